"""The nightly reminder generation against one hand-written INSERT ... SELECT, in the same run.

    make bench BENCH_ARGS="--suite reminders --size medium|large [--repeat N]"

On the demo customers of bench/customers.py's generator (customers/demo.py; medium 50k, large
1M), for the demo banks' local today, with the bench's leads (maturity 60 days, instalments 30,
identity documents 90: more rows than the defaults, the same statement):

  (a) one hand-written INSERT ... SELECT per bank writing the same reminder rows: the four
      built-in kinds' events in their windows, the customers' active managers, each row's delivery
      at 09:00 in the manager's zone on the next working day of the manager's branch (computed once
      per branch and date), ON CONFLICT DO NOTHING: what a person would write for these kinds;
  (b) workbench.reminders.services.generate per bank: the kinds' registry, the bank's rules and
      parameters, the union of the kinds' generators in one INSERT.

Before every timed run the date's reminders are deleted (then VACUUM ANALYZE). The bench checks
that (a) and (b) write the same rows (kind, event object, event date, lead, manager, delivery),
then reruns (b) for the same business date: it must insert 0 rows. Rounds alternate the order.
Targets (issue 14): (b) <= 2 x (a); a rerun inserts 0 rows.
"""

import os
import statistics
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench.customers import ensure_data
from bench.targets import Targets
from customers.master.models import Customer, Holding
from ocrm import tenants
from sysadmin.org.models import Bank
from sysadmin.parameters import services as parameter_store
from workbench.reminders import kinds, services
from workbench.reminders.models import Reminder, ReminderRule

LEADS = {"reminders.maturity_days": 60, "reminders.instalment_days": 30, "reminders.id_expiry_days": 90}

HAND_WRITTEN = """
WITH ev (kind, customer_id, object_id, event_date, lead, details) AS (
    SELECT 'maturity', h.customer_id, h.id, h.maturity_date, %(maturity)s,
           jsonb_build_object('account', '****' || right(h.account_number, 4), 'currency', h.currency,
                              'amount', h.balance::text, 'product', p.name_local)
    FROM customers_holding h JOIN customers_product p ON p.id = h.product_id
    WHERE h.bank_id = %(bank)s AND h.status <> 'closed' AND p.product_type = 'time_deposit'
      AND h.maturity_date BETWEEN %(day)s::date AND %(day)s::date + %(maturity)s
    UNION ALL
    SELECT 'instalment', h.customer_id, h.id, h.next_instalment_date, %(instalment)s,
           jsonb_build_object('account', '****' || right(h.account_number, 4), 'currency', h.currency,
                              'amount', h.next_instalment_amount::text, 'product', p.name_local)
    FROM customers_holding h JOIN customers_product p ON p.id = h.product_id
    WHERE h.bank_id = %(bank)s AND h.status <> 'closed' AND p.product_type = 'loan'
      AND h.next_instalment_date BETWEEN %(day)s::date AND %(day)s::date + %(instalment)s
    UNION ALL
    SELECT 'birthday', rp.customer_id, rp.customer_id, %(day)s::date, 0,
           jsonb_build_object('age', extract(year FROM age(%(day)s::date, rp.birth_date))::int)
    FROM customers_retailprofile rp
    WHERE rp.birth_date IS NOT NULL AND to_char(rp.birth_date, 'MM-DD') = ANY(%(birthdays)s) AND rp.birth_date < %(day)s::date
    UNION ALL
    SELECT 'id_expiry', d.customer_id, d.id, d.expiry_date, %(id_expiry)s,
           jsonb_build_object('document', d.doc_type, 'number', d.number_masked)
    FROM customers_identitydocument d
    WHERE d.bank_id = %(bank)s AND d.expiry_date BETWEEN %(day)s::date AND %(day)s::date + %(id_expiry)s
),
r AS MATERIALIZED (
    SELECT ev.*, c.bank_id, c.branch_id, c.primary_manager_id, s.branch_id AS manager_branch,
           coalesce(nullif(s.time_zone, ''), b.timezone, %(default_zone)s) AS zone,
           greatest(ev.event_date - ev.lead, %(day)s::date) AS remind_on
    FROM ev
    JOIN customers_customer c ON c.id = ev.customer_id AND c.bank_id = %(bank)s AND c.merged_into_id IS NULL
    JOIN sysadmin_staff s ON s.id = c.primary_manager_id AND s.is_active
    LEFT JOIN sysadmin_branch b ON b.id = s.branch_id
),
wd AS (  -- the next working day of each (manager's branch, date), once
    SELECT p.manager_branch, p.remind_on, coalesce(w.day, p.remind_on) AS day
    FROM (SELECT DISTINCT manager_branch, remind_on FROM r) p
    LEFT JOIN sysadmin_branch b ON b.id = p.manager_branch
    LEFT JOIN LATERAL (
        SELECT g::date AS day FROM generate_series(p.remind_on, p.remind_on + 60, interval '1 day') g
        WHERE b.id IS NULL OR (strpos(b.working_week, extract(isodow FROM g)::int::text) > 0
            AND NOT EXISTS (SELECT 1 FROM sysadmin_holiday hd WHERE hd.bank_id = b.bank_id AND hd.date = g::date
                            AND (hd.branch_id = b.id OR (hd.branch_id IS NULL AND hd.country = b.country))))
        ORDER BY g LIMIT 1
    ) w ON true
)
INSERT INTO workbench_reminder (bank_id, kind, rule_id, customer_id, branch_id, manager_id, object_id, event_date,
    event_at, lead, remind_on, business_date, deliver_at, status, details, created_at, reason)
SELECT r.bank_id, r.kind, NULL, r.customer_id, r.branch_id, r.primary_manager_id, r.object_id, r.event_date,
       NULL, r.lead, r.remind_on, %(day)s::date, ((wd.day + time '09:00')::timestamp AT TIME ZONE r.zone),
       'pending', r.details, now(), ''
FROM r LEFT JOIN wd ON wd.manager_branch IS NOT DISTINCT FROM r.manager_branch AND wd.remind_on = r.remind_on
ON CONFLICT DO NOTHING
"""


def hand_written_insert(bank, business_date):
    """(a): one INSERT ... SELECT for the bank; returns the rows it wrote."""
    params = {
        "bank": bank.pk,
        "day": business_date,
        "maturity": LEADS["reminders.maturity_days"],
        "instalment": LEADS["reminders.instalment_days"],
        "id_expiry": LEADS["reminders.id_expiry_days"],
        "birthdays": kinds.leap_aware_birthdays(business_date),
        "default_zone": settings.TIME_ZONE,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as services.generate: no seconds of JIT compiling for either
        cursor.execute(HAND_WRITTEN, params)
        return cursor.rowcount


def _reset(bank_ids):
    Reminder.objects.filter(bank_id__in=bank_ids).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE workbench_reminder")


def _rows(bank_ids):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(string_agg(concat_ws(',', kind, object_id, event_date, lead, manager_id, deliver_at, "
            "remind_on), ';' ORDER BY kind, object_id, event_date, lead)) FROM workbench_reminder WHERE bank_id = ANY(%s)",
            [bank_ids],
        )
        return cursor.fetchone()


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(size, repeat):
    ensure_data(size)
    banks = list(Bank.objects.filter(code__in=["OGB", "HCB"]).order_by("code"))
    bank_ids = [bank.pk for bank in banks]
    for key, value in LEADS.items():
        for bank in banks:
            parameter_store.set_value(key, str(value), bank=bank)
        parameter_store.set_value("reminders.kinds_off", "[]", bank=None)
    ReminderRule.objects.filter(bank_id__in=bank_ids).update(is_active=False)
    # The latest date that has begun in every demo bank's zone (their local today).
    dates = {bank.pk: timezone.now().astimezone(tenants.bank_zone(bank.pk)).date() for bank in banks}
    business_date = min(dates.values())
    rounds = max(1, min(repeat, 3 if size == "large" else 5))
    customers = Customer.objects.filter(bank_id__in=bank_ids, merged_into__isnull=True).count()
    holdings = Holding.objects.filter(bank_id__in=bank_ids).count()
    print(
        f"\nreminders: {customers} customers, {holdings} holdings, banks {', '.join(b.code for b in banks)}, "
        f"business date {business_date}, {rounds} rounds; load {os.getloadavg()[0]:.2f}"
    )
    with connection.cursor() as cursor:
        for table in ("customers_holding", "customers_retailprofile", "customers_identitydocument", "customers_customer"):
            cursor.execute(f"ANALYZE {table}")

    times = {"a": [], "b": []}
    outcome = {}

    def measure(which):
        _reset(bank_ids)
        if which == "a":
            seconds, written = _timed(lambda: sum(hand_written_insert(bank, business_date) for bank in banks))
        else:
            seconds, written = _timed(
                lambda: sum(services.generate(bank.pk, business_date)["reminders_created"] for bank in banks)
            )
        times[which].append(seconds)
        outcome.setdefault(which, _rows(bank_ids))
        label = "(a) hand-written INSERT" if which == "a" else "(b) services.generate"
        print(f"  {label:28} {seconds:8.2f} s  {written} reminders", flush=True)

    for index in range(rounds):
        for which in ("a", "b") if index % 2 == 0 else ("b", "a"):
            measure(which)
    # The rerun: (b) again for the same business date on top of its own rows.
    _reset(bank_ids)
    first = sum(services.generate(bank.pk, business_date)["reminders_created"] for bank in banks)
    rerun_seconds, rerun = _timed(lambda: sum(services.generate(bank.pk, business_date)["reminders_created"] for bank in banks))
    print(f"  {'rerun of (b), same date':28} {rerun_seconds:8.2f} s  {rerun} reminders (first run {first})")
    _reset(bank_ids)

    same = outcome["a"] == outcome["b"]
    a, b = statistics.median(times["a"]), statistics.median(times["b"])
    print(f"\n{'measure':58} {'median s':>9}")
    print(f"{'(a) one hand-written INSERT ... SELECT per bank':58} {a:9.3f}")
    print(f"{'(b) workbench.reminders.services.generate per bank':58} {b:9.3f}")
    print(
        f"ratio (b)/(a): {b / a:.2f}  [target <= 2.0]; rows {outcome['b'][0]}; same rows: {'yes' if same else 'NO'}; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    targets = Targets("reminders")
    targets.add("generate_vs_insert", b / a, "x", "<=2")
    targets.add("rerun_rows", rerun, "", "<=0")
    targets.print()
    if not same:
        raise SystemExit(f"(a) and (b) wrote different reminders: {outcome}")
