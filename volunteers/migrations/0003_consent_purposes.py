from django.db import migrations

PURPOSES = [
    ("health-information", "Store my health information", True),
    ("share-story", "Share my story with students", False),
    ("recording", "Audio or video recording", False),
    ("photographs", "Photographs", False),
    ("quotes-teaching", "Quotes in teaching materials", False),
    ("quotes-publications", "Quotes in publications", False),
    ("share-with-charity", "Share my participation with my charity", False),
    ("research-contact", "Contact about research", False),
]


def create_purposes(apps, schema_editor):
    ConsentPurpose = apps.get_model("volunteers", "ConsentPurpose")
    for order, (code, name, is_health) in enumerate(PURPOSES, start=1):
        ConsentPurpose.objects.update_or_create(
            code=code, defaults={"name": name, "is_health_data": is_health, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0002_profiles_availability_consent")]

    operations = [migrations.RunPython(create_purposes, migrations.RunPython.noop)]
