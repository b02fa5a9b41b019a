"""Consent wording belongs to a network: the column, nullable until 0005 fills it.

The old constraint (one version number per purpose) goes first, because 0005 gives every network
its own copy of each version, under the same number.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("volunteers", "0003_consent_purposes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="consenttext", name="consent_text_version_unique"),
        migrations.AddField(
            model_name="consenttext",
            name="network",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="owned_consent_texts",
                to="accounts.organisation",
            ),
        ),
    ]
