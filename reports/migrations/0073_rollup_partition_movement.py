"""RollupMoveDay partitioned by month on business_date like the snapshot tables (0002), with the
same immutability trigger. Not back-filled: a date built before it compares from the customer
rows (as every other pair of dates does)."""

from django.db import migrations

from ocrm.datalife import partitions


def partition(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "reports_rollupmoveday",
        "business_date",
        cache=1000,
        keys=["PRIMARY KEY (id, bank_id, business_date)"],
        indexes=["CREATE INDEX snap_rollup_move ON reports_rollupmoveday (bank_id, business_date, compare_date, grain)"],
    )
    schema_editor.execute(
        "CREATE TRIGGER reports_rollupmoveday_immutable BEFORE UPDATE ON reports_rollupmoveday "
        "FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0072_rollup_movement")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
