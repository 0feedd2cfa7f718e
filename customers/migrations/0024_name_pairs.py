"""The customers' CJK name pairs in the list's order, kept by the database (issue 19).

A bank-wide search for a common two-character Chinese name (慧敏: ~19,000 matches at 1M
customers) showed its first page in AUM order by walking the (bank, AUM) index and testing
each row's name: 5,322 rows read for 25 shown, 8–9 ms. customers_customernamepair holds one row
per pair of adjacent CJK characters of a customer's names (the two-character grams of
name_grams) with the customer's bank, AUM and number, and its (bank, pair, AUM descending,
number) index yields a pair's customers in the list's own order.

The table is kept by statement-level triggers with transition tables: one set-based statement
per INSERT, UPDATE, DELETE or COPY on customers_customer, whatever wrote it (a save, a feed's
COPY, the nightly AUM update, a merge, the demo generator). An UPDATE rewrites the pairs of the
rows whose grams, AUM, number, bank or merge changed only. Merged-away duplicates have no pairs.
TRUNCATE is not followed: Django's flush truncates both tables. The rows written here are not
vacuumed (a migration runs in a transaction): autovacuum sets the visibility map that lets a page's
ids be read from the index alone."""

from django.db import migrations, models

# A pair of CJK characters among a golden record's grams: two characters, not ASCII (the Latin
# grams are word prefixes of [a-z0-9]; a CJK character takes three bytes in UTF-8). A merged-away
# duplicate has none: a bank's pairs are then exactly what its list can show.
PAIRS_OF = """
    SELECT DISTINCT c.id, g.pair, c.bank_id, c.aum, c.number
    FROM {rows} c CROSS JOIN LATERAL unnest(c.name_grams) AS g(pair)
    WHERE c.merged_into_id IS NULL AND char_length(g.pair) = 2 AND octet_length(g.pair) > 2
"""
INSERT_PAIRS = "INSERT INTO customers_customernamepair (customer_id, pair, bank_id, aum, number) " + PAIRS_OF
CHANGED = """
    SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.name_grams, n.aum, n.number, n.bank_id, n.merged_into_id)
          IS DISTINCT FROM (o.name_grams, o.aum, o.number, o.bank_id, o.merged_into_id)
"""

CREATE = f"""
CREATE FUNCTION customers_name_pairs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {INSERT_PAIRS.format(rows="new_rows")};
    RETURN NULL;
END $$;

CREATE FUNCTION customers_name_pairs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customers_customernamepair p USING ({CHANGED}) AS changed WHERE p.customer_id = changed.id;
    {INSERT_PAIRS.format(rows=f"({CHANGED})")};
    RETURN NULL;
END $$;

CREATE FUNCTION customers_name_pairs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM customers_customernamepair p USING old_rows o WHERE p.customer_id = o.id;
    RETURN NULL;
END $$;

CREATE TRIGGER customer_name_pairs_insert AFTER INSERT ON customers_customer
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_name_pairs_inserted();
CREATE TRIGGER customer_name_pairs_update AFTER UPDATE ON customers_customer
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_name_pairs_updated();
CREATE TRIGGER customer_name_pairs_delete AFTER DELETE ON customers_customer
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_name_pairs_deleted();

{INSERT_PAIRS.format(rows="customers_customer")};
ANALYZE customers_customernamepair;
"""

DROP = """
DROP TRIGGER customer_name_pairs_insert ON customers_customer;
DROP TRIGGER customer_name_pairs_update ON customers_customer;
DROP TRIGGER customer_name_pairs_delete ON customers_customer;
DROP FUNCTION customers_name_pairs_inserted();
DROP FUNCTION customers_name_pairs_updated();
DROP FUNCTION customers_name_pairs_deleted();
"""


class Migration(migrations.Migration):
    dependencies = [("customers", "0023_subtree_tier_index")]

    operations = [
        migrations.CreateModel(
            name="CustomerNamePair",
            fields=[
                ("pk", models.CompositePrimaryKey("customer_id", "pair", blank=True, editable=False, primary_key=True, serialize=False)),
                ("customer_id", models.BigIntegerField()),
                ("pair", models.CharField(max_length=2)),
                ("bank_id", models.BigIntegerField()),
                ("aum", models.DecimalField(decimal_places=2, max_digits=20)),
                ("number", models.CharField(max_length=32)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["bank_id", "pair", "-aum", "number"], include=["customer_id"], name="customer_name_pair_walk"
                    )
                ]
            },
        ),
        migrations.RunSQL(CREATE, DROP),
    ]
