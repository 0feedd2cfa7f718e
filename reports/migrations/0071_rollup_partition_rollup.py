"""RollupDay partitioned by month on business_date like the snapshot tables (0002), immutable
(the same trigger), and filled for the dates already built: one INSERT … SELECT … GROUP BY
GROUPING SETS over their CustomerDay rows (reports.snapshots.rollup's statement, for every bank
and date at once), so old dates read the roll-up too."""

from django.db import migrations

from ocrm.datalife import partitions

BACKFILL = """
INSERT INTO reports_rollupday
    (bank_id, business_date, branch_id, manager_id, grain, lifecycle_stage, tier, star_rating, products_held,
     product_categories, customer_count, product_count, aum, liabilities, contribution, fee_income, method_version)
SELECT bank_id, business_date, branch_id, manager_id,
       CASE WHEN GROUPING(lifecycle_stage) = 0 THEN 'stage' WHEN GROUPING(tier) = 0 THEN 'tier'
            WHEN GROUPING(star_rating) = 0 THEN 'star' ELSE 'products' END,
       lifecycle_stage, tier, star_rating, products_held, product_categories, count(*), sum(products_held), sum(aum),
       sum(liabilities), sum(contribution), sum(fee_income), 1
FROM reports_customerday
GROUP BY bank_id, business_date, branch_id, manager_id,
    GROUPING SETS ((lifecycle_stage), (tier), (star_rating), (products_held, product_categories))
"""


def partition(apps, schema_editor):
    partitions.convert(
        schema_editor,
        "reports_rollupday",
        "business_date",
        cache=1000,
        keys=["PRIMARY KEY (id, bank_id, business_date)"],
        indexes=["CREATE INDEX snap_rollup_day ON reports_rollupday (bank_id, business_date, grain, branch_id)"],
    )
    schema_editor.execute(
        "CREATE TRIGGER reports_rollupday_immutable BEFORE UPDATE ON reports_rollupday "
        "FOR EACH ROW EXECUTE FUNCTION reports_snapshot_immutable()"
    )
    schema_editor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [("reports", "0070_rollup_customer_rollup")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
