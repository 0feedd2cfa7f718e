"""TopCustomerDay partitioned by month on business_date, as the other precomputed tables (0041)."""

from django.db import migrations

from ocrm.datalife import partitions


def partition(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "reports_topcustomerday",
        "business_date",
        cache=1000,
        keys=["PRIMARY KEY (id, bank_id, business_date)"],
        indexes=[
            "CREATE INDEX an_top_aum ON reports_topcustomerday (bank_id, business_date, aum_rank)",
            "CREATE INDEX an_top_contribution ON reports_topcustomerday (bank_id, business_date, contribution_rank)",
        ],
    )
    schema_editor.execute(
        "CREATE TRIGGER reports_topcustomerday_immutable BEFORE UPDATE ON reports_topcustomerday "
        "FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0061_acrm3_top_customers")]

    operations = [migrations.RunPython(partition, elidable=False)]
