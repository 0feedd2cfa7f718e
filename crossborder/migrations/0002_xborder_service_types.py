"""The catalogue of cross-border service types (reference data). The types themselves are in
crossborder/requests/service_types.py, which also writes them again after every migrate: one
list, written through this migration's state of the model."""

from django.db import migrations

from crossborder.requests import service_types


def seed(apps, schema_editor):
    service_types.seed(using=schema_editor.connection.alias if schema_editor else "default", apps=apps)


class Migration(migrations.Migration):
    dependencies = [("crossborder", "0001_xborder_requests")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
