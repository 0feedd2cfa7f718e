"""HoldingBranchDay and TransactionBranchDay partitioned by month on business_date like the
snapshot tables (0002), immutable (the same trigger), and filled for the dates already built (the
statements of reports.snapshots.rollup.write_branch, for every bank and date at once)."""

from django.db import migrations

from ocrm.datalife import partitions

HOLDINGS = """
INSERT INTO reports_holdingbranchday
    (bank_id, business_date, branch_id, product_id, category, currency, holders, accounts, balance, balance_base,
     method_version)
SELECT bank_id, business_date, branch_id, product_id, category, currency, sum(holders), sum(accounts), sum(balance),
       sum(balance_base), 1
FROM reports_holdingday
GROUP BY bank_id, business_date, branch_id, product_id, category, currency
"""

TRANSACTIONS = """
INSERT INTO reports_transactionbranchday
    (bank_id, business_date, branch_id, channel, txn_type, currency, count, amount_base, method_version)
SELECT bank_id, business_date, branch_id, channel, txn_type, currency, sum(count), sum(amount_base), 1
FROM reports_transactionday
GROUP BY bank_id, business_date, branch_id, channel, txn_type, currency
"""


def partition(apps, schema_editor):
    for table, index in (("reports_holdingbranchday", "snap_hold_branch"), ("reports_transactionbranchday", "snap_txn_branch")):
        partitions.convert(
            schema_editor,
            table,
            "business_date",
            cache=1000,
            keys=["PRIMARY KEY (id, bank_id, business_date)"],
            indexes=[f"CREATE INDEX {index} ON {table} (bank_id, business_date, branch_id)"],
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
        )
    schema_editor.execute(HOLDINGS)
    schema_editor.execute(TRANSACTIONS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0081_rollup_branch_tables")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
