"""The nightly lifecycle + rating batch against one hand-written UPDATE, in the same run.

    make bench BENCH_ARGS="--suite lifecycle --size medium|large [--repeat N]"

On the demo customers of bench/customers.py's generator (customers/demo.py; medium 50k,
large 1M with ~10M transactions), for the demo banks' local yesterday:

  (a) one UPDATE per bank: the same classification CTEs (customers.lifecycle.services.classification:
      AUM by FX, last customer-initiated activity, the AUM trend from the balance history,
      stage, tier and stars) setting stage, tier, stars and AUM on the customers whose values
      differ, and nothing else (no history, no reasons, no notifications, no audit);
  (b) customers.lifecycle.services.run_nightly per bank: the same plus the day's history rows with
      their reasons, the counts, the audit entry and the managers' notifications.

Before every timed run the customers go back to their generated state and the date's history
rows are deleted (then VACUUM ANALYZE), so (a) and (b) write the same changes from the same
start; the bench checks that they leave the customers in the same state. Rounds alternate the
order (a, b), (b, a). Target (issue 4): (b) <= 2 x (a).
"""

import os
import statistics
import time

from django.db import connection, transaction

from bench.customers import ensure_data
from bench.targets import Targets
from customers.lifecycle import services as lifecycle
from customers.master.models import Customer, Transaction
from sysadmin.org.models import Bank

SNAPSHOT = "bench_lifecycle_start"
TABLES = ("customers_customer", "customers_lifecyclechange", "customers_ratingchange")


def _snapshot(bank_ids):
    """The generated state of the demo customers, saved once: every run starts from it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [SNAPSHOT])
        if cursor.fetchone()[0] is None:
            cursor.execute(
                f"CREATE TABLE {SNAPSHOT} AS SELECT id, lifecycle_stage, tier, star_rating, aum "
                f"FROM customers_customer WHERE bank_id = ANY(%s)",
                [bank_ids],
            )
            cursor.execute(f"ALTER TABLE {SNAPSHOT} ADD PRIMARY KEY (id)")


def _rates_for(bank_ids, business_date):
    """The generator posts its rates on the day it ran (after the business date): post the
    same rates for the business date too, as the daily rates feed would have."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO customers_fxrate (bank_id, currency, rate, buy_transfer, sell_transfer, buy_cash, sell_cash,
                                          as_of, effective_at, source, reference, created_at)
            SELECT DISTINCT ON (bank_id, currency) bank_id, currency, rate, buy_transfer, sell_transfer, buy_cash,
                   sell_cash, %(day)s::date, (%(day)s::date + time '12:00') AT TIME ZONE 'UTC', 'feed', 'bench', now()
            FROM customers_fxrate
            WHERE bank_id = ANY(%(banks)s) ORDER BY bank_id, currency, as_of DESC, effective_at DESC
            ON CONFLICT (bank_id, currency, effective_at) DO NOTHING""",
            {"day": business_date, "banks": bank_ids},
        )
        # The generator analyses its big tables only; without statistics on these small ones the
        # planner takes every product for a rare one and joins the balance history row by row.
        cursor.execute("ANALYZE customers_product")
        cursor.execute("ANALYZE customers_fxrate")


def _reset(bank_ids, business_date):
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE customers_customer c SET lifecycle_stage = s.lifecycle_stage, tier = s.tier,
                   star_rating = s.star_rating, aum = s.aum
            FROM {SNAPSHOT} s WHERE c.id = s.id
              AND (c.lifecycle_stage, c.tier, c.star_rating, c.aum)
                  IS DISTINCT FROM (s.lifecycle_stage, s.tier, s.star_rating, s.aum)""")
        for table in TABLES[1:]:
            cursor.execute(f"DELETE FROM {table} WHERE bank_id = ANY(%s) AND business_date = %s", [bank_ids, business_date])
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def _state(bank_ids):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(string_agg(concat_ws(',', id, lifecycle_stage, tier, star_rating, aum), ';' "
            "ORDER BY id)) FROM customers_customer WHERE bank_id = ANY(%s)",
            [bank_ids],
        )
        return cursor.fetchone()[0]


def hand_written_update(bank, business_date):
    """(a): one UPDATE statement for the bank; returns the rows it changed."""
    sql, params = lifecycle.classification(bank, business_date)
    statement = f"""
        WITH {sql.strip()}
        UPDATE customers_customer c
        SET lifecycle_stage = x.stage_new, tier = x.tier_new, star_rating = x.stars_new, aum = x.aum
        FROM classified x
        WHERE c.id = x.id
          AND (c.lifecycle_stage, c.tier, c.star_rating, c.aum) IS DISTINCT FROM (x.stage_new, x.tier_new, x.stars_new, x.aum)
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(size, repeat):
    ensure_data(size)
    banks = list(Bank.objects.filter(code__in=["OGB", "HCB"]).order_by("code"))
    bank_ids = [bank.pk for bank in banks]
    # The latest date that has ended in every demo bank's zone.
    business_date = min(lifecycle.local_yesterday(bank.pk) for bank in banks)
    rounds = max(1, min(repeat, 3 if size == "large" else 5))
    customers = Customer.objects.filter(bank_id__in=bank_ids, merged_into__isnull=True).count()
    print(
        f"\nlifecycle: {customers} customers, {Transaction.objects.filter(bank_id__in=bank_ids).count()} transactions, "
        f"banks {', '.join(b.code for b in banks)}, business date {business_date}, {rounds} rounds; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    _snapshot(bank_ids)
    _rates_for(bank_ids, business_date)

    times = {"a": [], "b": []}
    outcome = {}

    def measure(which):
        _reset(bank_ids, business_date)
        if which == "a":
            seconds, changed = _timed(lambda: sum(hand_written_update(bank, business_date) for bank in banks))
            detail = f"{changed} customers changed"
        else:
            seconds, counts = _timed(lambda: [lifecycle.run_nightly(bank, business_date) for bank in banks])
            changed = sum(c["customers_updated"] for c in counts)
            detail = (
                f"{changed} customers changed, {sum(c['stage_changes'] for c in counts)} stage and "
                f"{sum(c['rating_changes'] for c in counts)} rating changes, "
                f"{sum(c['managers_notified'] for c in counts)} managers notified"
            )
        times[which].append(seconds)
        state = _state(bank_ids)
        outcome.setdefault(which, state)
        label = "(a) hand-written UPDATE" if which == "a" else "(b) run_nightly"
        print(f"  {label:28} {seconds:8.2f} s  {detail}", flush=True)

    for index in range(rounds):
        for which in ("a", "b") if index % 2 == 0 else ("b", "a"):
            measure(which)
    _reset(bank_ids, business_date)
    same = outcome["a"] == outcome["b"]
    a, b = statistics.median(times["a"]), statistics.median(times["b"])
    print(f"\n{'measure':58} {'median s':>9}")
    print(f"{'(a) one hand-written UPDATE per bank (same classification)':58} {a:9.2f}")
    print(f"{'(b) customers.lifecycle.services.run_nightly per bank':58} {b:9.2f}")
    print(
        f"ratio (b)/(a): {b / a:.2f}  [target <= 2.0]; same resulting customer state: {'yes' if same else 'NO'}; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    targets = Targets("lifecycle")
    targets.add("run_nightly_vs_update", b / a, "x", "<=2")
    targets.print()
    if not same:
        raise SystemExit("(a) and (b) classified the customers differently")
