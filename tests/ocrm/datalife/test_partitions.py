"""Monthly partitions (ocrm.datalife.partitions): the migrations convert tables holding rows,
rows outside the monthly partitions land in the default partition and the nightly job moves
them into their month, months ahead are kept ready, and the audit log's months go whole once
every bank's retention has passed."""

import datetime
import os
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.utils import timezone

from customers.master.models import Holding, HoldingBalance, Transaction
from ocrm.audit.models import AuditLog
from ocrm.batch.runs import job_run
from ocrm.datalife import partitions, services
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_product

pytestmark = pytest.mark.django_db

NOW = timezone.now()
THIS_MONTH = partitions.this_month()


def where(table, row_id):
    """The partition holding row `row_id` of `table`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row_id])
        return cursor.fetchone()[0]


def have(table):
    with connection.cursor() as cursor:
        return partitions.monthly_partitions(cursor, table)


def transaction_at(customer, holding, moment, txn_id=""):
    return Transaction.objects.create(
        bank_id=customer.bank_id,
        customer_id=customer.pk,
        holding=holding,
        occurred_at=moment,
        amount=1,
        currency="CNY",
        direction="C",
        channel="atm",
        txn_type="deposit",
        source_txn_id=txn_id,
        source_system="CBS" if txn_id else "",
    )


@pytest.fixture
def holding(org):
    customer = make_customer("P1", org.a_sh)
    account = Holding.objects.create(
        bank_id=customer.bank_id, customer=customer, product=make_product(org.bank_a), account_number="6222", currency="CNY"
    )
    return customer, account


def test_the_tables_are_partitioned_by_month_with_a_default_partition():
    with connection.cursor() as cursor:
        specs = {spec.table: spec for spec in partitions.partitioned_tables(cursor)}
    assert {name: (spec.key, spec.key_type) for name, spec in specs.items()} == {
        "customers_transaction": ("occurred_at", "timestamp with time zone"),
        "customers_holdingbalance": ("business_date", "date"),
        "ocrm_auditlog": ("at", "timestamp with time zone"),
        "reports_customerday": ("business_date", "date"),
        "reports_holdingday": ("business_date", "date"),
        "reports_transactionday": ("business_date", "date"),
        "reports_measureday": ("business_date", "date"),
        "reports_paretoday": ("business_date", "date"),
        "reports_segmentday": ("business_date", "date"),
        "reports_movementday": ("business_date", "date"),
        "reports_churnday": ("business_date", "date"),
        "reports_churnwarningday": ("business_date", "date"),
        "reports_topcustomerday": ("business_date", "date"),
        "reports_rollupday": ("business_date", "date"),
        "reports_rollupmoveday": ("business_date", "date"),
        "reports_holdingbranchday": ("business_date", "date"),
        "reports_transactionbranchday": ("business_date", "date"),
    }
    for table in specs:
        months = have(table)
        # The past year (the demo's and a year of feeds) and the next three months are ready.
        wanted = set(partitions.months(partitions.add_months(THIS_MONTH, -12), partitions.add_months(THIS_MONTH, 3)))
        assert wanted <= set(months), table


def test_rows_outside_the_months_land_in_the_default_and_the_job_moves_them_into_their_month(holding):
    customer, account = holding
    old_month = partitions.add_months(THIS_MONTH, -20)
    moment = datetime.datetime.combine(old_month.replace(day=15), datetime.time(12), tzinfo=datetime.UTC)
    moved = transaction_at(customer, account, moment, "T-OLD")
    ancient = transaction_at(customer, account, datetime.datetime(1999, 5, 1, tzinfo=datetime.UTC), "T-1999")
    far = transaction_at(customer, account, NOW + datetime.timedelta(days=3650), "T-FUTURE")
    for row in (moved, ancient, far):
        assert where("customers_transaction", row.pk) == "customers_transaction_default"
    assert old_month not in have("customers_transaction")

    report = partitions.maintain(months_ahead=3)

    assert report["customers_transaction"] == {"created": 1, "moved": 1}
    assert where("customers_transaction", moved.pk) == f"customers_transaction_p{old_month:%Y%m}"
    # Older than OLDEST_MONTHS or beyond the months ahead: stays in the default.
    assert where("customers_transaction", ancient.pk) == "customers_transaction_default"
    assert where("customers_transaction", far.pk) == "customers_transaction_default"
    assert Transaction.objects.get(source_txn_id="T-OLD").occurred_at == moment
    # Nothing more to do on the next night.
    assert partitions.maintain(months_ahead=3)["customers_transaction"] == {"created": 0, "moved": 0}


def test_the_job_keeps_the_months_ahead_ready():
    assert partitions.add_months(THIS_MONTH, 6) not in have("customers_holdingbalance")
    report = partitions.maintain(months_ahead=6)
    assert report["customers_holdingbalance"]["created"] == 3
    assert set(partitions.months(THIS_MONTH, partitions.add_months(THIS_MONTH, 6))) <= set(have("customers_holdingbalance"))


def test_keys_hold_the_partition_key_and_a_source_transaction_is_still_one_row(holding):
    customer, account = holding
    transaction_at(customer, account, NOW, "T1")
    with pytest.raises(IntegrityError, match=r"Key \(bank_id, source_system, source_txn_id, occurred_at\)"):
        with connection.cursor() as cursor, db_transaction.atomic():
            cursor.execute(
                "INSERT INTO customers_transaction (bank_id, customer_id, holding_id, occurred_at, amount, currency, "
                "direction, channel, txn_type, description, is_financial, customer_initiated, source_system, "
                "source_txn_id) SELECT bank_id, customer_id, holding_id, occurred_at, 2, currency, direction, channel, "
                "txn_type, '', true, true, source_system, source_txn_id FROM customers_transaction WHERE source_txn_id = 'T1'"
            )
    HoldingBalance.objects.create(
        bank_id=customer.bank_id, customer_id=customer.pk, holding=account, business_date=NOW.date(), balance=1, balance_base=1
    )
    with pytest.raises(IntegrityError, match=r"Key \(bank_id, holding_id, business_date\)"):
        with db_transaction.atomic():
            HoldingBalance.objects.create(
                bank_id=customer.bank_id,
                customer_id=customer.pk,
                holding=account,
                business_date=NOW.date(),
                balance=2,
                balance_base=2,
            )


def plant_audit(months_back, bank_id):
    month = partitions.add_months(THIS_MONTH, -months_back)
    at = datetime.datetime.combine(month.replace(day=10), datetime.time(3), tzinfo=datetime.UTC)
    return AuditLog.objects.create(at=at, bank_id=bank_id, action=AuditLog.Action.OTHER, object_type="test.partition")


def run_maintenance():
    with job_run("partition_maintenance", business_date=NOW.date(), key_extra=str(NOW.timestamp())) as run:
        services.run_maintenance(run)
    return run.run.counts


def test_audit_months_go_whole_once_every_banks_retention_has_passed(org):
    parameters.set_value("audit.retention_days", 365)
    parameters.set_value("audit.retention_days", 30, bank=org.bank_a)  # the row job removes A's entries earlier
    parameters.set_value("audit.retention_days", 400, bank=org.bank_b)  # the longest decides for the months
    old = [plant_audit(months, org.bank_a.pk) for months in (40, 16, 15)]
    kept = [plant_audit(months, org.bank_b.pk) for months in (12, 1)]
    partitions.maintain(months_ahead=3)  # 40 and 16/15 months back get their own months
    assert where("ocrm_auditlog", old[0].pk) == f"ocrm_auditlog_p{partitions.add_months(THIS_MONTH, -40):%Y%m}"

    counts = run_maintenance()

    cutoff = NOW.astimezone(datetime.UTC).date() - datetime.timedelta(days=401)
    assert not AuditLog.objects.filter(pk__in=[row.pk for row in old]).exists()
    assert AuditLog.objects.filter(pk__in=[row.pk for row in kept]).count() == 2
    assert all(partitions.add_months(month, 1) > cutoff for month in have("ocrm_auditlog"))
    assert counts["dropped"] >= 3


def test_a_bank_keeping_the_audit_log_for_ever_keeps_every_month(org):
    parameters.set_value("audit.retention_days", 30)
    parameters.set_value("audit.retention_days", 0, bank=org.bank_b)
    row = plant_audit(40, org.bank_a.pk)
    partitions.maintain(months_ahead=3)
    assert run_maintenance()["dropped"] == 0
    assert AuditLog.objects.filter(pk=row.pk).exists()


# --- the migrations, forward on a database holding rows ------------------------------------------


def _manage(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]


ROWS_SQL = """
INSERT INTO ocrm_auditlog (at, bank_id, actor_name, action, object_type, object_id, object_repr, changes, detail)
SELECT now() - (i || ' days')::interval, i % 2 + 1, 'u', 'other', 't', i::text, '', '{}', '{"n": 1}'
FROM generate_series(0, 1500, 5) i;
INSERT INTO customers_transaction (bank_id, customer_id, holding_id, occurred_at, amount, currency, direction, channel,
    txn_type, description, is_financial, customer_initiated, source_system, source_txn_id, business_date)
SELECT i % 2 + 1, i, i, now() - (i || ' hours')::interval, i, 'CNY', 'C', 'atm', 'x', '', true, true, 'CBS', 'T' || i,
       (now() - (i || ' hours')::interval)::date
FROM generate_series(0, 12000) i;
INSERT INTO customers_transaction (bank_id, customer_id, holding_id, occurred_at, amount, currency, direction, channel,
    txn_type, description, is_financial, customer_initiated)
VALUES (1, 1, 1, '1999-12-31 23:00+00', 5, 'CNY', 'D', 'atm', 'x', 'before the partitions', true, true);
"""


def test_the_migrations_convert_tables_holding_rows():
    """customers 0013 and ocrm 0008 forward on a database whose three tables hold rows: every row
    kept (ids too), in its month's partition (or the default), the ids' sequence going on."""
    name = f"{connection.settings_dict['NAME']}_partition_migration"
    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _manage(f"{base}/{name}", "migrate", "customers", "0012_source_record_single_customer_index")
        _manage(f"{base}/{name}", "migrate", "ocrm", "0007_export_purge_schedule")
        with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
            db.execute(ROWS_SQL)
            before = {
                table: db.execute(f"SELECT count(*), sum(id), max(id) FROM {table}").fetchone()
                for table in ("customers_transaction", "ocrm_auditlog")
            }
        _manage(f"{base}/{name}", "migrate")
        with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
            after = {table: db.execute(f"SELECT count(*), sum(id), max(id) FROM {table}").fetchone() for table in before}
            assert after == before
            placed = dict(
                db.execute(
                    "SELECT description, tableoid::regclass::text FROM customers_transaction WHERE id IN "
                    "(SELECT max(id) FROM customers_transaction UNION SELECT min(id) FROM customers_transaction)"
                ).fetchall()
            )
            assert placed["before the partitions"] == "customers_transaction_default"
            assert placed[""] == f"customers_transaction_p{THIS_MONTH:%Y%m}"  # i = 0: now
            # Audit rows four years back got their own months (the oldest month holding rows on).
            oldest = db.execute("SELECT min(at) FROM ocrm_auditlog").fetchone()[0]
            month = oldest.astimezone(datetime.UTC).date().replace(day=1)
            assert db.execute("SELECT to_regclass(%s) IS NOT NULL", [f"ocrm_auditlog_p{month:%Y%m}"]).fetchone()[0]
            assert db.execute("SELECT count(*) FROM ocrm_auditlog_default").fetchone()[0] == 0
            new_id = db.execute(
                "INSERT INTO ocrm_auditlog (at, actor_name, action, object_type, object_id, object_repr, changes, detail) "
                "VALUES (now(), '', 'other', '', '', '', '{}', '{}') RETURNING id"
            ).fetchone()[0]
            assert new_id > before["ocrm_auditlog"][2]
            keys = dict(
                db.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid IN ('customers_transaction'::regclass, 'customers_holdingbalance'::regclass) "
                    "AND contype IN ('p', 'u')"
                ).fetchall()
            )
            assert keys["customers_transaction_pkey"] == "PRIMARY KEY (id, bank_id, occurred_at)"
            assert keys["balance_one_per_day"] == "UNIQUE (bank_id, holding_id, business_date)"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
