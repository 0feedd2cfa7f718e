"""Indexes for a branch supervisor's customer list sorted by name (issue 19).

A subtree's customers cluster in the alphabet: at 1M customers the Shanghai subtree's pinyin names
begin after 41,883 other names of the bank, so walking the bank's (bank, name) index in name order
read all of those first (113 ms a page). The list walks each branch of the subtree through these
indexes instead, a page's rows per branch (customers.master.search.subtree_ids), and a name search
sorted by name walks them too, keeping its matches.

Plain SQL beside migration 0008's (bank, name) indexes, built CONCURRENTLY: the table stays writable."""

from django.db import migrations

INDEXES = {
    "customer_branch_name_latin": "(bank_id, branch_id, name_latin)",
    "customer_branch_name_local": "(bank_id, branch_id, name_local)",
}


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("customers", "0020_perf_holding_due_indexes")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON customers_customer {columns}",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
