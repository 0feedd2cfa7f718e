"""Finer statistics for the name search keys.

With the default statistics target, PostgreSQL estimates a rare bigram ("刘洋") as common
and walks the (bank, aum) index looking for the first matches of a name nobody has
(1.6 s at 1M customers). With 2,000 most-common elements sampled, rare keys are
estimated as rare and the GIN index leads (4 ms), while common Latin prefixes still
use the sort-key index. Measured with `make bench` (bench/customers.py, large size)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_batch_maintenance")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE customers_customer ALTER COLUMN name_grams SET STATISTICS 2000",
            "ALTER TABLE customers_customer ALTER COLUMN name_grams SET STATISTICS -1",
        ),
    ]
