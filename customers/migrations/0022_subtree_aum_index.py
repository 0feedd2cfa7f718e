"""An index for a branch supervisor's name search in AUM order, largest first: the list's default (issue 19).

With more matches than the list counts exactly, the page walked the bank's (bank, AUM) index and
tested every customer of the bank on its way: at 1M customers, 12,800 rows read for a supervisor's
page of 慧敏 (20 ms). The list walks each branch of the subtree through this index instead, merged in
AUM order (customers.master.search.merged_ids): ~2,400 rows, the subtree's only.

Plain SQL like migration 0021's, built CONCURRENTLY: the table stays writable."""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("customers", "0021_subtree_name_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_branch_aum ON customers_customer (bank_id, branch_id, aum DESC, number, id)",
            "DROP INDEX CONCURRENTLY IF EXISTS customer_branch_aum",
        )
    ]
