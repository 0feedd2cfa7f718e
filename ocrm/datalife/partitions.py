"""Monthly range partitions of the largest tables (DESIGN §6; docs/scaling.md).

A partitioned table `t` has one partition per month, `t_pYYYYMM`, and a default partition
`t_default` that catches any row outside them (a back-dated correction, a far-future date):
no load ever fails for its date. The nightly job (`maintain`) keeps the months ahead ready and
moves the rows the default holds for a month in range into that month's own partition.
Retention drops whole partitions (`drop_before`), never deletes rows one by one.

Months of timestamp keys are UTC months: a partition boundary is where rows are stored, not a
business date. The kernel names no app's table: the partitioned tables are read from the
catalogue. Migrations import `convert`: keep its behaviour stable.
"""

import dataclasses
import datetime
import re

from django.db import connection, transaction
from django.utils import timezone

MONTHS_BACK = 12  # a new partitioned table gets the past year's months (the demo's year, a year of feeds)
OLDEST_MONTHS = 120  # months further back than this stay in the default partition
PARTITION_NAME = re.compile(r"_p(\d{4})(\d{2})$")


@dataclasses.dataclass(frozen=True)
class Partitioned:
    table: str
    key: str
    key_type: str  # "date" or "timestamp with time zone"

    def bound(self, month):
        """The literal of the first instant of `month` (a date, day 1) in the key's type."""
        return f"'{month.isoformat()}'" if self.key_type == "date" else f"'{month.isoformat()} 00:00:00+00'"

    def partition(self, month):
        return f"{self.table}_p{month:%Y%m}"

    @property
    def default(self):
        return f"{self.table}_default"


def month_start(day):
    return day.replace(day=1)


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months(first, last):
    """The months from `first` to `last`, both included (dates, day 1)."""
    month = first
    while month <= last:
        yield month
        month = add_months(month, 1)


def this_month():
    return month_start(timezone.now().date())


def _q(name):
    return connection.ops.quote_name(name)


def partitioned_tables(cursor):
    """Every range-partitioned table of the schema, with its (single) key column."""
    cursor.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_partitioned_table p
        JOIN pg_class c ON c.oid = p.partrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
        WHERE p.partstrat = 'r' AND NOT c.relispartition
        ORDER BY c.relname"""
    )
    return [Partitioned(*row) for row in cursor.fetchall()]


def monthly_partitions(cursor, table):
    """{month: partition name} of the table's monthly partitions."""
    cursor.execute(
        """
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = %s::regclass""",
        [table],
    )
    found = {}
    for (name,) in cursor.fetchall():
        match = PARTITION_NAME.search(name)
        if match:
            found[datetime.date(int(match[1]), int(match[2]), 1)] = name
    return found


def months_in_default(cursor, spec):
    """The months the default partition holds rows of (a scan of the default: it is kept small)."""
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {_q(spec.key)} AT TIME ZONE 'UTC')::date FROM {_q(spec.default)}"
        if spec.key_type != "date"
        else f"SELECT DISTINCT date_trunc('month', {_q(spec.key)})::date FROM {_q(spec.default)}"
    )
    return sorted(row[0] for row in cursor.fetchall())


def add_partition(cursor, spec, month):
    """Create `month`'s partition; rows the default partition holds for it move in (PostgreSQL
    refuses a new partition while the default holds rows of its range)."""
    name, low, high = spec.partition(month), spec.bound(month), spec.bound(add_months(month, 1))
    table, default, key = _q(spec.table), _q(spec.default), _q(spec.key)
    in_range = f"{key} >= {low} AND {key} < {high}"
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {in_range})")
    if not cursor.fetchone()[0]:
        cursor.execute(f"CREATE TABLE {_q(name)} PARTITION OF {table} FOR VALUES FROM ({low}) TO ({high})")
        return 0
    cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {default}")
    cursor.execute(f"CREATE TABLE {_q(name)} PARTITION OF {table} FOR VALUES FROM ({low}) TO ({high})")
    cursor.execute(f"INSERT INTO {_q(name)} SELECT * FROM {default} WHERE {in_range}")
    moved = cursor.rowcount
    cursor.execute(f"DELETE FROM {default} WHERE {in_range}")
    cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {default} DEFAULT")
    return moved


def maintain(months_ahead, now_month=None):
    """Every partitioned table: the months from this one to `months_ahead` ahead exist, and
    each month the default partition holds rows of (not older than OLDEST_MONTHS, not beyond
    the months ahead) gets its own partition, the rows moving in. Each table in its own
    transaction. Answers {table: {"created": n, "moved": rows}}."""
    now_month = now_month or this_month()
    last = add_months(now_month, months_ahead)
    oldest = add_months(now_month, -OLDEST_MONTHS)
    report = {}
    with connection.cursor() as cursor:
        specs = partitioned_tables(cursor)
    for spec in specs:
        with transaction.atomic(), connection.cursor() as cursor:
            have = monthly_partitions(cursor, spec.table)
            wanted = set(months(now_month, last)) | {m for m in months_in_default(cursor, spec) if oldest <= m <= last}
            created = moved = 0
            for month in sorted(wanted - set(have)):
                moved += add_partition(cursor, spec, month)
                created += 1
            report[spec.table] = {"created": created, "moved": moved}
    return report


def drop_before(table, cutoff):
    """Drop the monthly partitions of `table` that end on or before `cutoff` (a date: their
    rows are all older), and delete the default partition's rows older than it. Answers the
    names dropped and the default's rows deleted."""
    with transaction.atomic(), connection.cursor() as cursor:
        spec = next(s for s in partitioned_tables(cursor) if s.table == table)
        dropped = []
        for month, name in sorted(monthly_partitions(cursor, table).items()):
            if add_months(month, 1) <= cutoff:
                cursor.execute(f"DROP TABLE {_q(name)}")
                dropped.append(name)
        cursor.execute(f"DELETE FROM {_q(spec.default)} WHERE {_q(spec.key)} < {spec.bound(cutoff)}")
        return dropped, cursor.rowcount


def convert(schema_editor, table, key, *, keys, indexes, cache=1):
    """Turn the plain `table` into one range-partitioned by month on `key`, rows kept (for
    migrations). `keys`: the PRIMARY KEY / UNIQUE / FOREIGN KEY clauses of the new table,
    `indexes`: its CREATE INDEX statements (names free again once the old table is gone).
    The id keeps its identity sequence's position. Monthly partitions: from the older of the
    first month holding rows (not before OLDEST_MONTHS ago) and MONTHS_BACK ago, to 3 ahead."""
    execute = schema_editor.execute
    old = f"{table}_unpartitioned"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [table])
        (pkey,) = cursor.fetchone()
        cursor.execute(f"SELECT min({_q(key)}) FROM {_q(table)}")
        first = cursor.fetchone()[0]
    execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    execute(f"ALTER TABLE {_q(old)} RENAME CONSTRAINT {_q(pkey)} TO {_q(old + '_pkey')}")
    execute(f"ALTER SEQUENCE {_q(table + '_id_seq')} RENAME TO {_q(old + '_id_seq')}")
    execute(f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS) PARTITION BY RANGE ({_q(key)})")
    execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (CACHE {int(cache)})")
    with schema_editor.connection.cursor() as cursor:
        spec = next(s for s in partitioned_tables(cursor) if s.table == table)
    now_month = this_month()
    start = add_months(now_month, -MONTHS_BACK)
    if first is not None:
        first_month = month_start(first.astimezone(datetime.UTC).date() if isinstance(first, datetime.datetime) else first)
        start = max(min(start, first_month), add_months(now_month, -OLDEST_MONTHS))
    for month in months(start, add_months(now_month, 3)):
        execute(
            f"CREATE TABLE {_q(spec.partition(month))} PARTITION OF {_q(table)} "
            f"FOR VALUES FROM ({spec.bound(month)}) TO ({spec.bound(add_months(month, 1))})"
        )
    execute(f"CREATE TABLE {_q(spec.default)} PARTITION OF {_q(table)} DEFAULT")
    execute(f"INSERT INTO {_q(table)} OVERRIDING SYSTEM VALUE SELECT * FROM {_q(old)}")
    execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
        f"GREATEST((SELECT max(id) FROM {_q(table)}), (SELECT last_value FROM {_q(old + '_id_seq')}), 1))",
        [table],
    )
    execute(f"DROP TABLE {_q(old)}")
    for clause in keys:
        execute(f"ALTER TABLE {_q(table)} ADD {clause}")
    for statement in indexes:
        execute(statement)
    execute(f"ANALYZE {_q(table)}")
