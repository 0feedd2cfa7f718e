"""The four snapshot day tables become range-partitioned by month on business_date
(ocrm.datalife.partitions.convert, as customers' 0013), so retention drops whole months; each
keeps its indexes, and a trigger refuses any UPDATE of a snapshot row (immutable: rows are
written once by the nightly build, a later change of a customer never reaches an older date).
The database's primary keys carry the partition key and bank_id; Django keeps addressing rows by id."""

from django.db import migrations

from ocrm.datalife import partitions

TABLES = {
    "reports_customerday": [
        "CREATE INDEX snap_cust_day_branch ON reports_customerday (bank_id, business_date, branch_id)",
        "CREATE INDEX snap_cust_day_manager ON reports_customerday (business_date, manager_id)",
        "CREATE INDEX snap_cust_customer ON reports_customerday (customer_id, business_date)",
    ],
    "reports_holdingday": [
        "CREATE INDEX snap_hold_day_branch ON reports_holdingday (bank_id, business_date, branch_id)",
    ],
    "reports_transactionday": [
        "CREATE INDEX snap_txn_day_branch ON reports_transactionday (bank_id, business_date, branch_id)",
    ],
    "reports_measureday": [
        "CREATE INDEX snap_measure_day ON reports_measureday (bank_id, business_date, measure)",
    ],
}

IMMUTABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION reports_snapshot_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'snapshot rows are immutable: a row of %% is never updated', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


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
    schema_editor.execute(IMMUTABLE_FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_snapshots")]

    operations = [migrations.RunPython(partition, elidable=False)]
