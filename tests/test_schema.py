"""The schema is ready to grow past one machine (DESIGN §6, docs/scaling.md): every large table
carries bank_id (the distribution key a sharded PostgreSQL - Citus - would use), its unique keys
hold bank_id, and the partitioned tables' keys hold their partition key. Read from the migrated
database itself, not from the models: what Citus would check is the real constraints.

A table or key that does not comply is listed below with the reason; the last test fails when a
listed exception is no longer needed, so the lists only shrink."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

# The tables that grow with the customers, their history and the work done on them.
LARGE_TABLES = {
    "customers_customer",
    "customers_retailprofile",
    "customers_corporateprofile",
    "customers_identitydocument",
    "customers_contactpoint",
    "customers_address",
    "customers_sourcerecord",
    "customers_relationship",
    "customers_customertag",
    "customers_customernote",
    "customers_servicecontact",
    "customers_holding",
    "customers_holdingbalance",
    "customers_transaction",
    "customers_lifecyclechange",
    "customers_ratingchange",
    "customers_matchcandidate",
    "customers_feederror",
    "customers_maintenancerow",
    "sysadmin_importrow",
    "ocrm_auditlog",
    "ocrm_notification",
    "ocrm_jobrun",
}

PARTITIONED = {"customers_transaction": "occurred_at", "customers_holdingbalance": "business_date", "ocrm_auditlog": "at"}

# A child row reached only through its parent: the distribution step of docs/scaling.md adds
# bank_id (filled from the parent) before the table is distributed; until then it is co-located
# in nothing and has no scope of its own.
NO_BANK_COLUMN = {
    "customers_retailprofile": "one-to-one with the customer (primary key customer_id); bank_id added at distribution",
    "customers_corporateprofile": "one-to-one with the customer (primary key customer_id); bank_id added at distribution",
    "customers_customertag": "the customer-tag link table; bank_id added at distribution",
    "customers_feederror": "rows of a feed load (load_id); purged after feed.staging_keep_days; bank_id added at distribution",
    "customers_maintenancerow": "rows of a maintenance batch (batch_id); purged after import.staging_keep_days",
    "sysadmin_importrow": "rows of an organisation import batch (batch_id); purged after import.staging_keep_days",
}

# Rows of no bank exist: Citus refuses NULL in the distribution column, so docs/scaling.md maps
# them to the platform's own tenant (bank_id 0) when the table is distributed.
NULLABLE_BANK = {
    "ocrm_auditlog": "entries of no bank: platform operators, failed log-ins under unknown user names",
    "ocrm_notification": "notices to platform staff who belong to no bank",
    "ocrm_jobrun": "the all-banks run of a per-bank job (its sub-runs carry their bank)",
}

# Unique keys without bank_id. Each key's other columns already lead to one bank (a customer's
# or a batch's id is unique across banks, from one sequence), so adding bank_id changes no
# meaning: the distribution step adds it (and the loaders' ON CONFLICT targets follow).
KEYS_WITHOUT_BANK = {
    "customers_retailprofile_pkey": "(customer_id): one-to-one with the customer; no bank_id yet (NO_BANK_COLUMN)",
    "customers_corporateprofile_pkey": "(customer_id): one-to-one with the customer; no bank_id yet (NO_BANK_COLUMN)",
    "customertag_unique": "(customer_id, tag_id): the table has no bank_id yet (NO_BANK_COLUMN)",
    "lifecycle_one_per_day": "(customer_id, business_date): customers.lifecycle's upsert target; bank_id added at distribution",
    "rating_one_per_day": "(customer_id, business_date): customers.lifecycle's upsert target; bank_id added at distribution",
    "matchcandidate_pair": "(customer_a_id, customer_b_id): matching's ON CONFLICT target; bank_id added at distribution",
    "relationship_unique": "(from_customer_id, to_customer_id, kind): bank_id added at distribution",
    "maintrow_unique_number": "(batch_id, row_number): the table has no bank_id yet (NO_BANK_COLUMN)",
    "importrow_unique_number": "(batch_id, row_number): the table has no bank_id yet (NO_BANK_COLUMN)",
    "notification_dedupe": "(recipient_id, dedupe_key): a recipient belongs to one bank; bank_id is nullable (NULLABLE_BANK)",
    "ocrm_auditlog_pkey": "(id, at): bank_id is nullable (NULLABLE_BANK); the key holds the partition key",
}

# A surrogate primary key (id) of a table that is not partitioned: single-column foreign keys
# reference it. Distributing swaps it for (bank_id, id) and the foreign keys for (bank_id, x_id)
# in one step (docs/scaling.md); until then the id, from one sequence, is unique across banks.
SURROGATE_PRIMARY_KEY = ["id"]


def columns(table):
    with connection.cursor() as cursor:
        return {c.name: c.null_ok for c in connection.introspection.get_table_description(cursor, table)}


def unique_keys(table):
    """{index name: [columns]} of the table's unique indexes (primary key included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, array_agg(a.attname ORDER BY k.ord)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
            WHERE x.indrelid = %s::regclass AND x.indisunique
            GROUP BY i.relname""",
            [table],
        )
        return dict(cursor.fetchall())


def is_partitioned(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
        return cursor.fetchone()[0] == "p"


def test_the_large_tables_exist():
    assert LARGE_TABLES <= set(connection.introspection.table_names())


def test_every_large_table_carries_bank_id():
    missing, nullable = [], []
    for table in sorted(LARGE_TABLES):
        found = columns(table)
        if "bank_id" not in found:
            if table not in NO_BANK_COLUMN:
                missing.append(table)
        elif found["bank_id"] and table not in NULLABLE_BANK:
            nullable.append(table)
    assert missing == [] and nullable == []


def test_unique_keys_hold_the_distribution_key():
    failing = []
    for table in sorted(LARGE_TABLES):
        for name, key in unique_keys(table).items():
            surrogate = key == SURROGATE_PRIMARY_KEY and not is_partitioned(table)
            if "bank_id" not in key and not surrogate and name not in KEYS_WITHOUT_BANK:
                failing.append(f"{table}.{name} {key}")
    assert failing == []


def test_the_partitioned_tables_keys_hold_their_partition_key():
    for table, key_column in PARTITIONED.items():
        assert is_partitioned(table), table
        keys = unique_keys(table)
        assert keys and all(key_column in key for key in keys.values()), (table, keys)
        # Not one of them is a primary key on id alone: a row is found by id within its months.
        assert all(key != SURROGATE_PRIMARY_KEY for key in keys.values())


def test_every_listed_exception_is_still_needed():
    """An exception that the schema no longer needs is taken off its list."""
    for table in NO_BANK_COLUMN:
        assert "bank_id" not in columns(table), table
    for table in NULLABLE_BANK:
        assert columns(table)["bank_id"], table
    keys = {name: key for table in LARGE_TABLES for name, key in unique_keys(table).items()}
    for name in KEYS_WITHOUT_BANK:
        assert name in keys and "bank_id" not in keys[name], name
