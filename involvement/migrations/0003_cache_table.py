"""The database cache's table (settings ``CACHES["default"]``): sign-in rate limits and used
two-factor codes live there so that a Redis outage cannot lift them. ``createcachetable`` makes the
table of every database cache in the settings and leaves an existing one alone."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("involvement", "0002_notification_about")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
