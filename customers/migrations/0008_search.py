"""Indexes for the customer list's sort orders (customers.views_list).

Sorting a bank's customers by name had no index to walk: PostgreSQL sorted every customer
the user may see (965 ms for 700k at 1M customers, `make bench --suite customers --size
large`). With (bank, name) indexes the first page is an index walk. A name *search* sorted
by name must not walk them (its matches cluster in one stretch of the alphabet, which the
planner does not know): views_list counts those matches in the page query, which makes
PostgreSQL read the matches through the name keys and sort them.

The list's default order is AUM, highest first, and AUM goes with tier, star rating and
lifecycle stage: walking (bank, aum) to find "tier = mass" passes every richer customer
first (1.6 s; "stars = 1" 2.2 s). With the filter's column ahead of AUM, the walk starts
at the first match.

Plain SQL, outside the model state (the indexes serve one page's sort, not the model), and
built CONCURRENTLY: a million-row table stays writable while they build."""

from django.db import migrations

INDEXES = {
    "customer_bank_name_latin": "(bank_id, name_latin)",
    "customer_bank_name_local": "(bank_id, name_local)",
    "customer_bank_tier_aum": "(bank_id, tier, aum)",
    "customer_bank_stars_aum": "(bank_id, star_rating, aum)",
    "customer_bank_stage_aum": "(bank_id, lifecycle_stage, aum)",
}


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("customers", "0007_lifecycle")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON customers_customer {columns}",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
