"""Campaigns: the dry run over the bench's customers, the launch against one hand-written
INSERT ... SELECT of the same task rows, and the evaluation page, in the same run.

    make bench BENCH_ARGS="--suite campaigns --size medium|large [--repeat N]"
    python -m bench.campaigns --size small        # the 12k-customer quick run

On the demo customers of bench/customers.py's generator (small 12k, medium 50k) of bank OGB; at
large size the medium set plus copies of OGB's customers up to 1M in all (see ensure_customers:
the shared generator's ~33 transactions per customer take hours at 1M on a loaded machine, and the
campaign rules read none of them). 70% agree to marketing, 10% were already contacted 4 times this month (the frequency cap),
and a dynamic group (a saved filter) of every customer is the campaign's source, with one offer per
household and a 10% control group.

  (a) one hand-written INSERT ... SELECT of the campaign's task rows (one per target with a
      manager, due at the end of the campaign's last day in the manager's zone);
  (a2) the same, and one hand-written INSERT ... SELECT of the contact-log rows: every row (b) writes;
  (b) marketing.campaigns.services.launch: the same tasks through the workbench task service and
      the contact log rows for the frequency cap (target and control rows and the aggregates are
      the dry run's).

Targets (issue 15): the dry run over all customers (funnel counts) <= 30 s at large size;
(b) <= 2 x (a2) (the same rows), and also reported against (a) alone; the
evaluation page's median <= 150 ms.
"""

import statistics
import time

if __name__ == "__main__":
    # `python -m bench.campaigns --size small|medium|large`: bench's own set-up (the *_bench
    # database, migrations) before Django's models are imported; bench's --size has no "small".
    import argparse
    import os

    import django

    parser = argparse.ArgumentParser(prog="python -m bench.campaigns")
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--repeat", type=int, default=5)
    ARGS = parser.parse_args()
    _base, _, _name = os.environ["DATABASE_URL"].partition("?")[0].rpartition("/")
    os.environ["DATABASE_URL"] = f"{_base}/{_name}_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocrm.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bench.__main__ import _ensure_database

    _ensure_database(f"{_base}/postgres", f"{_name}_bench")
    django.setup()
    from django.core.management import call_command

    from tests.support import mfa

    mfa.install()
    call_command("migrate", verbosity=0)

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.customers import ensure_data  # noqa: E402
from bench.targets import Targets  # noqa: E402
from customers import demo as customer_demo  # noqa: E402
from customers.consent.models import ContactLog  # noqa: E402
from customers.master.models import Customer, CustomerGroup  # noqa: E402
from marketing.campaigns import services  # noqa: E402
from marketing.campaigns.models import Campaign, CampaignMember, CampaignStat  # noqa: E402
from sysadmin.org.models import Bank, Branch, Staff  # noqa: E402
from workbench.todo.models import Task  # noqa: E402

HAND_WRITTEN = """
INSERT INTO workbench_task (bank_id, title, customer_id, assignee_id, due_date, due_at, priority, status,
                            source, source_key, notes, outcome, created_at, updated_at)
SELECT %(bank)s, 'Campaign', t.customer_id, t.manager_id, %(due)s::date,
       ((%(due)s::date + 1)::timestamp AT TIME ZONE coalesce(nullif(s.time_zone, ''), b.timezone)),
       2, 'open', 'campaign', 'campaign:' || t.campaign_id || ':customer:' || t.customer_id, '', '', now(), now()
  FROM marketing_campaignmember t
  JOIN sysadmin_staff s ON s.id = t.manager_id AND s.is_active
  LEFT JOIN sysadmin_branch b ON b.id = s.branch_id
 WHERE t.campaign_id = %(campaign)s AND t.excluded_by = '' AND t.arm = 'target'
ON CONFLICT (bank_id, source, source_key) WHERE source_key <> '' DO NOTHING
"""

# The other rows the launch writes: one contact per target (the frequency cap counts them).
HAND_WRITTEN_CONTACTS = """
INSERT INTO customers_contactlog (bank_id, customer_id, channel, source, contacted_at)
SELECT %(bank)s, t.customer_id, 'task', 'campaign:' || t.campaign_id, now()
  FROM marketing_campaignmember t
 WHERE t.campaign_id = %(campaign)s AND t.excluded_by = '' AND t.arm = 'target'
ON CONFLICT (customer_id, source, channel) DO NOTHING
"""


# A copy of a customer: every column of the customer row, a new number, no household (a copy is
# not a member of the original's household) and no merge. Holdings, transactions and profiles are
# not copied: the campaign's candidates and rules read the customer row, consent and contact logs.
COPY_CUSTOMERS = """
INSERT INTO customers_customer (number, kind, name_local, name_latin, name_grams, lifecycle_stage, tier, star_rating,
                                risk_level, aum, contribution, source_systems, do_not_contact, do_not_sms, do_not_email,
                                created_at, updated_at, bank_id, branch_id, merged_into_id, primary_manager_id, household_id)
SELECT c.number || 'K' || n, c.kind, c.name_local, c.name_latin, c.name_grams, c.lifecycle_stage, c.tier, c.star_rating,
       c.risk_level, c.aum, c.contribution, c.source_systems, c.do_not_contact, c.do_not_sms, c.do_not_email,
       c.created_at, now(), c.bank_id, c.branch_id, NULL, c.primary_manager_id, NULL
  FROM generate_series(1, %(copies)s) n
 CROSS JOIN (SELECT * FROM customers_customer WHERE bank_id = %(bank)s AND merged_into_id IS NULL) c
 LIMIT %(missing)s
"""


def ensure_customers(size):
    """The suite's customers: the shared generator's at small and medium size; at large size the
    medium set and copies of OGB's customers up to the large count (1M in both demo banks, so
    bench.customers.ensure_data("large") takes them as they are)."""
    if size != "large":
        ensure_data(size)
        return
    wanted, medium = customer_demo.SIZES["large"], customer_demo.SIZES["medium"]
    have = Customer.objects.filter(bank__code__in=["OGB", "HCB"]).count()
    if have == wanted:
        print(f"using the {have} customers already there (medium set and copies)")
        return
    if have != medium:
        ensure_data("medium")
    bank = Bank.objects.get(code="OGB")
    originals = Customer.objects.filter(bank=bank, merged_into__isnull=True).count()
    missing = wanted - medium
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COPY_CUSTOMERS, {"bank": bank.pk, "copies": -(-missing // originals), "missing": missing})
        copied = cursor.rowcount
        cursor.execute("ANALYZE customers_customer")
    print(f"copied {copied} customers of {bank.code} in {time.perf_counter() - started:.0f} s", flush=True)


def _person(bank, username):
    head_office = Branch.objects.filter(bank=bank, parent__isnull=True).order_by("path").first()
    person, _created = Staff.objects.get_or_create(
        username=username, defaults={"bank": bank, "branch": head_office, "first_name": username}
    )
    person.groups.add(Group.objects.get(name="marketing_manager"))
    Staff.objects.filter(pk=person.pk).update(password_changed_at=timezone.now(), must_change_password=False)
    return Staff.objects.get(pk=person.pk)  # permissions cache cleared


def _prepare(bank):
    """Consent for 70%, four contacts this month for 10% (the frequency cap)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO customers_contactpolicy (bank_id, customer_id, marketing_consent, service_opt_out, language,
                                                    time_zone, updated_at)
               SELECT c.bank_id, c.id, c.id %% 10 < 7, false, '', '', now() FROM customers_customer c WHERE c.bank_id = %s
               ON CONFLICT (customer_id) DO UPDATE SET marketing_consent = EXCLUDED.marketing_consent""",
            [bank.pk],
        )
        cursor.execute("DELETE FROM customers_contactlog WHERE source LIKE 'bench:%%' OR source LIKE 'campaign:%%'")
        cursor.execute(
            """INSERT INTO customers_contactlog (bank_id, customer_id, channel, source, contacted_at)
               SELECT c.bank_id, c.id, 'sms', 'bench:' || n, now() - interval '1 day'
                 FROM customers_customer c CROSS JOIN generate_series(1, 4) n
                WHERE c.bank_id = %s AND c.id %% 10 = 5""",
            [bank.pk],
        )
        cursor.execute("ANALYZE customers_contactpolicy")
        cursor.execute("ANALYZE customers_contactlog")
        # Fair to both sides: fresh statistics of the staff (a stale estimate sends the hand-written
        # INSERT into a nested loop) and no dead member/task rows of earlier runs (this cluster runs
        # without autovacuum; production does not).
        cursor.execute("ANALYZE sysadmin_staff")
        cursor.execute("VACUUM ANALYZE marketing_campaignmember")
        cursor.execute("VACUUM ANALYZE workbench_task")


def _reset_launch(campaign):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM workbench_task WHERE bank_id = %s AND source = 'campaign' AND source_key LIKE %s",
            [
                campaign.bank_id,
                f"campaign:{campaign.pk}:%",
            ],
        )
        cursor.execute("DELETE FROM customers_contactlog WHERE source = %s", [campaign.source])
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PENDING, launched_at=None)


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(size, repeat):
    ensure_customers(size)
    bank = Bank.objects.get(code="OGB")
    maker, checker = _person(bank, "bench.campaigns.maker"), _person(bank, "bench.campaigns.checker")
    _prepare(bank)
    customers = Customer.objects.filter(bank=bank).count()
    Campaign.objects.filter(bank=bank, name__startswith="Bench").delete()
    group = CustomerGroup.objects.create(
        bank=bank, owner=maker, name="Bench everyone", kind=CustomerGroup.Kind.DYNAMIC, filter_query="aum_min=0"
    )
    campaign = services.create_campaign(
        maker,
        name="Bench campaign",
        goal="Bench",
        starts_on=time.strftime("%Y-%m-%d"),
        ends_on="2099-12-31",
        branch=maker.branch,
        group=group,
        holdout_percent=10,
        household_once=True,
        cost_per_contact=1,
    )
    rounds = max(1, min(repeat, 3))
    print(f"\ncampaigns: {customers} customers of {bank.code}, {rounds} rounds")

    dry_runs = []
    for _ in range(rounds):
        seconds, campaign = _timed(lambda current=campaign: services.dry_run(current, maker))
        dry_runs.append(seconds)
        print(f"  dry run {seconds:8.2f} s  funnel {[(code, n) for code, _label, n in campaign.funnel]}", flush=True)
    # The machine's pace in the same run: one hand-written INSERT ... SELECT of the same candidate
    # rows into the member table with no rule at all (rolled back; the commit is not timed here,
    # the dry run's is).
    plain_runs = [_plain_member_insert(campaign) for _ in range(rounds)]
    plain = statistics.median(plain_runs)
    print(f"  plain member INSERT ... SELECT (no rules) {plain:8.2f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketing_campaignmember")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PENDING)
    campaign.refresh_from_db()

    times = {"a": [], "a2": [], "b": []}
    rows = {}

    def measure(which):
        _reset_launch(campaign)
        with transaction.atomic():
            if which == "a":
                seconds, _none = _timed(lambda: _hand_written(campaign))
            elif which == "a2":
                seconds, _none = _timed(lambda: _hand_written(campaign, contacts=True))
            else:
                seconds, _none = _timed(lambda: services.launch(campaign, checker))
        times[which].append(seconds)
        rows[which] = Task.objects.filter(bank=bank, source="campaign", source_key__startswith=f"campaign:{campaign.pk}:").count()
        label = {"a": "(a) hand-written tasks", "a2": "(a2) hand-written tasks+contacts", "b": "(b) services.launch"}[which]
        print(f"  {label:34} {seconds:8.2f} s  {rows[which]} tasks", flush=True)

    for index in range(rounds):
        for which in ("a", "a2", "b") if index % 2 == 0 else ("b", "a2", "a"):
            measure(which)
    # (b) last: the campaign stays launched for the evaluation page; a relaunch adds nothing.
    _reset_launch(campaign)
    with transaction.atomic():
        services.launch(campaign, checker)
    again = services.launch(campaign, checker)

    client = Client()
    client.force_login(maker)
    url = f"/marketing/campaigns/{campaign.pk}/evaluation/"
    assert client.get(url).status_code == 200
    page_times = []
    for _ in range(max(repeat, 10)):
        started = time.perf_counter()
        client.get(url)
        page_times.append((time.perf_counter() - started) * 1000)

    a, a2, b = (statistics.median(times[which]) for which in ("a", "a2", "b"))
    dry = statistics.median(dry_runs)
    page = statistics.median(page_times)
    members = CampaignMember.objects.filter(campaign=campaign).count()
    stats = CampaignStat.objects.filter(campaign=campaign).count()
    contacts = ContactLog.objects.filter(source=campaign.source).count()
    print(f"  members {members}, aggregate rows {stats}, contact log rows {contacts}")
    same = "yes" if rows["a"] == rows["b"] == rows["a2"] else "NO"
    print(f"  ratio (b)/(a2): {b / a2:.2f}, (b)/(a): {b / a:.2f}; same task rows: {same}; relaunch tasks {again}")
    print(f"  dry run / plain member INSERT of the same candidates: {dry / plain:.2f}")
    targets = Targets("campaigns")
    # 30 s for 1M customers (issue 15), scaled to this run's customers.
    targets.add("dry_run", dry, "s", f"<={max(1.0, 30 * customers / 1_000_000):.1f}")
    # Against the hand-written INSERTs of the same rows the launch writes (tasks and contacts), and
    # against the task rows alone (the stricter reading).
    targets.add("launch_vs_insert", b / a2, "x", "<=2")
    targets.add("launch_vs_tasks_insert", b / a, "x", "<=2")
    targets.add("relaunch_tasks", again, "", "<=0")
    targets.add("evaluation_page_median", page, "ms", "<=150")
    targets.print()
    if rows["a"] != rows["b"]:
        raise SystemExit(f"(a) and (b) wrote different numbers of tasks: {rows}")


def _plain_member_insert(campaign):
    source_sql, source_params = services.candidates(campaign, campaign.created_by).query.sql_with_params()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM marketing_campaignmember WHERE campaign_id = %s", [campaign.pk])
            started = time.perf_counter()
            cursor.execute(
                f"""INSERT INTO marketing_campaignmember (campaign_id, customer_id, branch_id, manager_id, excluded_by, arm,
                                                          aum_at_start, response)
                    SELECT %s, c.id, c.branch_id, c.primary_manager_id, '', 'target', c.aum, ''
                      FROM customers_customer c WHERE c.id IN ({source_sql})""",
                [campaign.pk, *source_params],
            )
            seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def _hand_written(campaign, contacts=False):
    values = {"bank": campaign.bank_id, "due": campaign.ends_on, "campaign": campaign.pk}
    with connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN, values)
        if contacts:
            cursor.execute(HAND_WRITTEN_CONTACTS, values)
        return cursor.rowcount


if __name__ == "__main__":
    run(size=ARGS.size, repeat=ARGS.repeat)
