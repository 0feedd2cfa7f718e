"""The roll-ups' branch level (reports.snapshots.rollup.BRANCH): the manager-level rows of the
dates already rolled up, summed per branch under the grain "b:<grain>" (manager NULL), as the
build writes them from now on. No schema change: same table, partitions and index."""

from django.db import migrations

GRAINS = "('stage', 'tier', 'star', 'products')"

ROLLUP = f"""
INSERT INTO reports_rollupday
    (bank_id, business_date, branch_id, manager_id, grain, lifecycle_stage, tier, star_rating, products_held,
     product_categories, customer_count, product_count, aum, liabilities, contribution, fee_income, method_version)
SELECT bank_id, business_date, branch_id, NULL, 'b:' || grain, lifecycle_stage, tier, star_rating, products_held,
       product_categories, sum(customer_count), sum(product_count), sum(aum), sum(liabilities), sum(contribution),
       sum(fee_income), 1
FROM reports_rollupday
WHERE grain IN {GRAINS}
GROUP BY bank_id, business_date, branch_id, grain, lifecycle_stage, tier, star_rating, products_held, product_categories
"""

MOVEMENT = f"""
INSERT INTO reports_rollupmoveday
    (bank_id, business_date, compare_date, grain, branch_id, manager_id, then_branch_id, then_manager_id,
     before_value, after_value, customer_count, method_version)
SELECT bank_id, business_date, compare_date, 'b:' || grain, branch_id, NULL, then_branch_id, NULL,
       before_value, after_value, sum(customer_count), 1
FROM reports_rollupmoveday
WHERE grain IN {GRAINS}
GROUP BY bank_id, business_date, compare_date, grain, branch_id, then_branch_id, before_value, after_value
"""


def backfill(apps, schema_editor):
    schema_editor.execute("DELETE FROM reports_rollupday WHERE grain LIKE 'b:%%'")
    schema_editor.execute("DELETE FROM reports_rollupmoveday WHERE grain LIKE 'b:%%'")
    schema_editor.execute(ROLLUP)
    schema_editor.execute(MOVEMENT)


class Migration(migrations.Migration):
    dependencies = [("reports", "0073_rollup_partition_movement")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False)]
