"""The analyses' precomputed day tables become range-partitioned by month on business_date
(as the snapshot tables in 0002), so the snapshots' retention drops their months too; the
same immutability trigger refuses an UPDATE (rows are written once per date by the build)."""

from django.db import migrations

from ocrm.datalife import partitions

TABLES = {
    "reports_paretoday": [
        "CREATE INDEX an_pareto_day ON reports_paretoday (bank_id, business_date, branch_id)",
    ],
    "reports_segmentday": [
        "CREATE INDEX an_segment_day ON reports_segmentday (bank_id, business_date, branch_id)",
    ],
    "reports_churnday": [
        "CREATE INDEX an_churn_day ON reports_churnday (bank_id, business_date, branch_id)",
    ],
    "reports_churnwarningday": [
        "CREATE INDEX an_warning_day ON reports_churnwarningday (bank_id, business_date, score DESC, aum DESC, customer_id)",
        "CREATE INDEX an_warning_customer ON reports_churnwarningday (customer_id, business_date)",
    ],
}


def partition(apps, schema_editor):
    for table, indexes in TABLES.items():
        partitions.convert(
            schema_editor,
            table,
            "business_date",
            cache=1000,
            keys=["PRIMARY KEY (id, bank_id, business_date)"],
            indexes=indexes,
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0040_acrm2_precomputed")]

    operations = [migrations.RunPython(partition, elidable=False)]
