"""The nightly lifecycle, rating and tiering batch (customers.lifecycle), by hand:

* history rows keyed by (customer, business date): the batch upserts them, so a rerun of a
  date writes no second row (partial: hand-made rows without a business date stay free);
* (bank, business date) on both history tables: the "Lifecycle changes" page and the
  batch's look-up of a date's earlier rows;
* (bank, business date) on the balance history, covering the columns the trend reads: the
  trend's reference date and its rows without touching the table;
* the hourly beat tick (django-celery-beat row) that starts each bank's run once its
  local night has come (customers.tasks_lifecycle).

Raw SQL rather than Meta indexes: the unique indexes must carry exactly the predicate the
batch's ON CONFLICT names, and the models module belongs to every area of the app."""

from django.db import migrations

from ocrm import beat_schedules

SCHEDULE = {
    "name": "Nightly lifecycle and rating",
    "task": "customers.tasks_lifecycle.run_lifecycle",
    "minute": "15",
    "hour": "*",
    # A tick left over from a stopped worker is worthless: the next hour's tick does the same.
    "expire_seconds": 3000,
    "description": "Hourly at :15 UTC: each bank whose local time has passed lifecycle.run_local_hour gets its "
                   "lifecycle, tier and star run for its local yesterday (once per bank and date).",
}

INDEXES = [
    ("CREATE UNIQUE INDEX lifecycle_one_per_day ON customers_lifecyclechange (customer_id, business_date) "
     "WHERE business_date IS NOT NULL", "DROP INDEX lifecycle_one_per_day"),
    ("CREATE UNIQUE INDEX rating_one_per_day ON customers_ratingchange (customer_id, business_date) "
     "WHERE business_date IS NOT NULL", "DROP INDEX rating_one_per_day"),
    ("CREATE INDEX lifecycle_bank_day ON customers_lifecyclechange (bank_id, business_date)",
     "DROP INDEX lifecycle_bank_day"),
    ("CREATE INDEX rating_bank_day ON customers_ratingchange (bank_id, business_date)", "DROP INDEX rating_bank_day"),
    # Covering: the trend reads a whole bank-day of balances from the index alone.
    ("CREATE INDEX balance_bank_day ON customers_holdingbalance (bank_id, business_date) "
     "INCLUDE (holding_id, customer_id, balance_base)", "DROP INDEX balance_bank_day"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_assignment"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        *(migrations.RunSQL(create, drop) for create, drop in INDEXES),
        migrations.RunPython(*beat_schedules.run_python([SCHEDULE])),
    ]
