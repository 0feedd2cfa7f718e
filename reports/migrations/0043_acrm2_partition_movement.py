"""MovementDay partitioned by month on business_date, as the other precomputed tables (0041)."""

from django.db import migrations

from ocrm.datalife import partitions


def partition(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "reports_movementday",
        "business_date",
        cache=1000,
        keys=["PRIMARY KEY (id, bank_id, business_date)"],
        indexes=["CREATE INDEX an_movement_day ON reports_movementday (bank_id, business_date, compare_date)"],
    )
    schema_editor.execute(
        "CREATE TRIGGER reports_movementday_immutable BEFORE UPDATE ON reports_movementday "
        "FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0042_acrm2_movement")]

    operations = [migrations.RunPython(partition, elidable=False)]
