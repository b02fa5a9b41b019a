"""Every consent text now has its network (0005): the column becomes required, and versions are
numbered per (purpose, network)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0005_consent_texts_per_network")]

    operations = [
        migrations.AlterField(
            model_name="consenttext",
            name="network",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="owned_consent_texts",
                to="accounts.organisation",
            ),
        ),
        migrations.AddConstraint(
            model_name="consenttext",
            constraint=models.UniqueConstraint(
                fields=("purpose", "network", "version"), name="consent_text_version_unique_per_network"
            ),
        ),
    ]
