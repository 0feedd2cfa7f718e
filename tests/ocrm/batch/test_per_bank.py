"""One job runner (ocrm.batch.per_bank, ocrm.batch.tasks.BatchTask) on a frozen clock: each
bank's business date is its own head office's (or each branch zone's), so at 20:00 UTC on
2026-12-06 a bank in Shanghai (already 04:00 on the 7th) and one in New York (15:00 on the
6th) run for different dates; the lifecycle's "not before the local hour" rule across
daylight-saving changes; reruns, failures, the jobs page's start and detail."""

import datetime

import pytest
from celery.exceptions import Retry
from django.urls import reverse
from django.utils import timezone

from customers.ecif.matching.tasks import DUPLICATE_SCAN, find_duplicates
from customers.lifecycle import services as lifecycle
from customers.lifecycle.tasks import run_lifecycle
from customers.ownership.assignment.models import AssignmentChange, AttributionRule, MarketingCredit
from customers.ownership.assignment.tasks import ATTRIBUTION, apply_attribution_rules
from customers.ownership.sharing.tasks import JOB as SHARE_CLEAN_UP
from customers.ownership.sharing.tasks import clean_up_ended_shares
from ocrm import tenants
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.batch.per_bank import BusinessDay, PerBankJob, run_per_bank, scopes
from sysadmin.org.models import Bank, Branch
from tests.factories import make_branch, make_customer, make_staff
from tests.ocrm.batch.workers import run_held_elsewhere

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

# 20:00 UTC on 6 December 2026: 04:00 on the 7th in Shanghai, 15:00 on the 6th in New York.
EVENING_UTC = datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.UTC)
DEC_6, DEC_7 = datetime.date(2026, 12, 6), datetime.date(2026, 12, 7)


class Clock:
    """timezone.now() as the test sets it (None: the real clock)."""

    real = staticmethod(timezone.now)

    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now or self.real()


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def make_bank(code, zone, country, currency):
    bank = Bank.objects.create(code=code, name_local=code, name_en=code, base_currency=currency, head_office_country=country)
    head_office = make_branch(bank, f"{code}-HO", country=country, tz=zone, level=Branch.Level.HEAD_OFFICE)
    make_branch(bank, f"{code}-1", head_office, country=country, tz=zone)
    return bank


@pytest.fixture
def banks(db):
    """A bank whose head office is in Shanghai and one whose head office is in New York."""
    return make_bank("SHA", "Asia/Shanghai", "CN", "CNY"), make_bank("NYC", "America/New_York", "US", "USD")


def make_superuser(username):
    return make_staff(username, is_superuser=True, is_staff=True)


def bank_runs(job):
    """{bank id: (business date, status)} of a job's per-bank runs."""
    return {run.bank_id: (run.business_date, run.status) for run in JobRun.objects.filter(job=job, bank_id__isnull=False)}


def all_banks_run(job):
    return JobRun.objects.get(job=job, bank_id__isnull=True)


# --- each bank's own business date -------------------------------------------------------------


def test_time_zones_come_from_the_head_office_through_the_kernel(banks, org):
    shanghai, new_york = banks
    assert tenants.zone_key(tenants.bank_zone(shanghai.pk)) == "Asia/Shanghai"
    assert tenants.zone_key(tenants.bank_zone(new_york.pk)) == "America/New_York"
    # Bank A's head office is in Shanghai, its London region and branch are in London.
    zones = {branch: tenants.zone_key(zone) for branch, zone in tenants.branch_zones(org.bank_a.pk).items()}
    assert zones[org.a_ho.pk] == "Asia/Shanghai" and zones[org.a_ldn.pk] == zones[org.a_gb.pk] == "Europe/London"
    # A bank without branches, or a name the tz database does not know, lives in UTC.
    bare = Bank.objects.create(code="BARE", name_local="B", name_en="B", base_currency="EUR", head_office_country="DE")
    assert tenants.bank_zone(bare.pk) is datetime.UTC and tenants.zone_named("Mars/Olympus") is datetime.UTC


def test_the_duplicate_scan_runs_each_bank_for_its_own_local_today(clock, banks):
    shanghai, new_york = banks
    clock.now = EVENING_UTC

    result = find_duplicates.apply().get()  # as beat sends it: no arguments

    assert bank_runs(DUPLICATE_SCAN.name) == {
        shanghai.pk: (DEC_7, JobRun.Status.SUCCEEDED),
        new_york.pk: (DEC_6, JobRun.Status.SUCCEEDED),
    }
    parent = all_banks_run(DUPLICATE_SCAN.name)
    assert (parent.business_date, parent.status, parent.counts) == (DEC_6, JobRun.Status.SUCCEEDED, {"banks": 2})
    assert result["job_run"] == parent.pk
    assert {(r["bank_id"], r["business_date"]) for r in result["sub_runs"]} == {
        (shanghai.pk, "2026-12-07"),
        (new_york.pk, "2026-12-06"),
    }
    # One task, one id on every run it did: the jobs page links them.
    assert set(JobRun.objects.values_list("task_id", flat=True)) == {parent.task_id} and parent.task_id


def test_attribution_writes_each_banks_own_business_date(clock, banks):
    shanghai, new_york = banks
    customers = {}
    for bank in banks:
        AttributionRule.objects.create(bank=bank, branch_rule="opening_branch", manager_rule="marketing_credit")
        branch = bank.branches.get(code=f"{bank.code}-1")
        manager = make_staff(f"{bank.code.lower()}.mgr", branch=branch, roles=["customer_manager"])
        customers[bank.pk] = make_customer(f"C-{bank.code}", branch)
        MarketingCredit.objects.create(bank_id=bank.pk, customer=customers[bank.pk], manager=manager)
    clock.now = EVENING_UTC

    apply_attribution_rules.apply().get()

    assert bank_runs(ATTRIBUTION.name) == {
        shanghai.pk: (DEC_7, JobRun.Status.SUCCEEDED),
        new_york.pk: (DEC_6, JobRun.Status.SUCCEEDED),
    }
    # The assignment history and the audit entry carry the bank's date, not UTC's.
    history = dict(AssignmentChange.objects.filter(kind="attribution").values_list("bank_id", "business_date"))
    assert history == {shanghai.pk: DEC_7, new_york.pk: DEC_6}
    audited = {
        entry.bank_id: entry.detail["business_date"] for entry in AuditLog.objects.filter(detail__event="attribution_applied")
    }
    assert audited == {shanghai.pk: "2026-12-07", new_york.pk: "2026-12-06"}


def test_a_date_given_by_the_jobs_page_is_every_banks_date(clock, banks):
    clock.now = EVENING_UTC
    find_duplicates.apply(kwargs={"business_date": "2026-12-05"}).get()
    assert {date for date, _status in bank_runs(DUPLICATE_SCAN.name).values()} == {datetime.date(2026, 12, 5)}


def test_a_date_that_has_not_begun_for_a_bank_fails_only_that_banks_run(clock, banks):
    """The 7th has begun in Shanghai, not in New York: the all-banks run does Shanghai and
    reports New York's sub-run by its number, never by the bank's name."""
    shanghai, new_york = banks
    clock.now = EVENING_UTC
    superuser = make_superuser("root.pb")
    with pytest.raises(jobs.JobError):  # the jobs page refuses it for New York ...
        jobs.start_job(superuser, DUPLICATE_SCAN.name, DEC_7, bank_id=new_york.pk)
    queued = jobs.start_job(superuser, DUPLICATE_SCAN.name, DEC_7)  # ... but not for all banks

    with pytest.raises(jobs.JobError):
        find_duplicates.apply(kwargs={"business_date": "2026-12-07", "run_id": queued.pk}).get()

    runs = {run.bank_id: run for run in JobRun.objects.filter(job=DUPLICATE_SCAN.name)}
    assert runs[shanghai.pk].status == JobRun.Status.SUCCEEDED and runs[shanghai.pk].triggered_by == superuser
    assert runs[new_york.pk].status == JobRun.Status.FAILED and "2026-12-07 lies in the future" in runs[new_york.pk].error_report
    parent = runs[None]
    assert parent.pk == queued.pk and parent.status == JobRun.Status.FAILED
    assert f"Sub-runs failed: #{runs[new_york.pk].pk}." in parent.error_report and "NYC" not in parent.error_report


def test_the_jobs_page_knows_each_banks_today(client, clock, banks):
    shanghai, new_york = banks
    clock.now = EVENING_UTC
    superuser = make_superuser("root.pg")
    client.force_login(superuser)
    form = {"job": DUPLICATE_SCAN.name, "business_date": "2026-12-07"}

    response = client.post(reverse("jobs:start"), {**form, "bank": new_york.pk}, follow=True)
    assert "cannot lie in the future" in response.content.decode() and not JobRun.objects.exists()
    client.post(reverse("jobs:start"), {**form, "bank": shanghai.pk})
    assert JobRun.objects.get().bank_id == shanghai.pk


def test_the_detail_page_lists_sub_runs_of_other_dates(client, clock, banks):
    shanghai, new_york = banks
    clock.now = EVENING_UTC
    find_duplicates.apply().get()
    parent = all_banks_run(DUPLICATE_SCAN.name)
    clock.now = None
    client.force_login(make_superuser("root.dt"))

    html = client.get(reverse("jobs:detail", args=[parent.pk])).content.decode()

    for bank in banks:
        sub = JobRun.objects.get(job=DUPLICATE_SCAN.name, bank_id=bank.pk)
        assert f'href="/sysadmin/jobs/{sub.pk}/"' in html
    assert "2026-12-07" in html  # Shanghai's run, which does not share the all-banks run's date


# --- reruns and redeliveries --------------------------------------------------------------------

FAILING = set()  # bank ids whose work fails, for RECORDED


def record(run, scope):
    if scope.bank_id in FAILING:
        raise RuntimeError("the bank's work failed")
    run.add(worked=1)


RECORDED = PerBankJob("test_recorded", record, BusinessDay())


def test_a_rerun_skips_the_banks_that_succeeded_and_keeps_the_first_deliverys_dates(clock, banks):
    """Shanghai fails at 15:50 UTC (23:50 there); the redelivery comes after Shanghai's
    midnight and reruns Shanghai for the 6th, on the same run, not for the 7th."""
    shanghai, new_york = banks
    FAILING.add(shanghai.pk)
    clock.now = datetime.datetime(2026, 12, 6, 15, 50, tzinfo=datetime.UTC)
    try:
        with pytest.raises(jobs.JobError):
            run_per_bank(RECORDED)
    finally:
        FAILING.clear()
    first = {run.bank_id: run for run in JobRun.objects.filter(job=RECORDED.name)}
    assert first[new_york.pk].status == JobRun.Status.SUCCEEDED and first[shanghai.pk].status == JobRun.Status.FAILED

    clock.now = datetime.datetime(2026, 12, 6, 16, 10, tzinfo=datetime.UTC)
    summary = run_per_bank(RECORDED)

    assert summary["status"] == JobRun.Status.SUCCEEDED and summary["job_run"] == first[None].pk
    after = {run.bank_id: run for run in JobRun.objects.filter(job=RECORDED.name)}
    assert {bank: run.pk for bank, run in after.items()} == {bank: run.pk for bank, run in first.items()}
    assert (after[shanghai.pk].business_date, after[shanghai.pk].attempts) == (DEC_6, 2)
    assert (after[new_york.pk].attempts, after[new_york.pk].counts) == (1, {"worked": 1})  # not run again
    assert after[None].attempts == 2


def test_one_bank_alone_runs_in_its_own_run_for_its_local_date(clock, banks):
    shanghai, _new_york = banks
    clock.now = EVENING_UTC
    summary = run_per_bank(RECORDED, bank_id=shanghai.pk)
    run = JobRun.objects.get()
    assert (run.pk, run.bank_id, run.business_date, run.counts) == (summary["job_run"], shanghai.pk, DEC_7, {"worked": 1})
    assert run_per_bank(RECORDED, bank_id=shanghai.pk)["job_run"] == run.pk  # already done: nothing more
    assert JobRun.objects.get().counts == {"worked": 1}


# --- each branch zone in a run of its own ----------------------------------------------------------

BY_BRANCH_ZONE = PerBankJob(
    "test_branch_zones",
    lambda run, scope: run.count(branches=len(scope.branch_ids)),
    BusinessDay(per_branch_zone=True, not_before_hour="lifecycle.run_local_hour"),
)


def test_a_job_may_follow_each_branch_zone(clock, org):
    """Bank A's head office and Chinese branches are in Shanghai, its region GB in London."""
    clock.now = EVENING_UTC
    run_per_bank(BY_BRANCH_ZONE, bank_id=org.bank_a.pk)

    zone_runs = {
        run.key.rsplit("|", 1)[1]: (run.business_date, run.counts)
        for run in JobRun.objects.filter(job=BY_BRANCH_ZONE.name).exclude(key__endswith="|")
    }
    assert zone_runs == {"zone=Asia/Shanghai": (DEC_7, {"branches": 5}), "zone=Europe/London": (DEC_6, {"branches": 2})}

    # The hourly tick leaves out a zone whose local time has not reached the hour yet:
    # 01:30 UTC is 09:30 in Shanghai and Hong Kong, 01:30 in London.
    early = datetime.datetime(2026, 12, 6, 1, 30, tzinfo=datetime.UTC)
    due = {(scope.bank_id, tenants.zone_key(scope.zone)) for scope in scopes(BY_BRANCH_ZONE, now=early, due_only=True)}
    assert due == {(org.bank_a.pk, "Asia/Shanghai"), (org.bank_b.pk, "Asia/Hong_Kong")}
    # 17:30 UTC: 01:30 in Shanghai and Hong Kong, 17:30 in London: bank A's London branches are due alone.
    late = datetime.datetime(2026, 12, 6, 17, 30, tzinfo=datetime.UTC)
    [london] = scopes(BY_BRANCH_ZONE, now=late, due_only=True)
    assert (london.bank_id, tenants.zone_key(london.zone), london.business_date) == (org.bank_a.pk, "Europe/London", DEC_6)
    assert london.branch_ids == (org.a_gb.pk, org.a_ldn.pk)


# --- the lifecycle's local hour across daylight-saving changes -----------------------------------


def due_at(moment):
    return {(scope.bank_id, scope.business_date) for scope in scopes(lifecycle.NIGHTLY, now=moment, due_only=True)}


@pytest.fixture
def london(db):
    return make_bank("LDN", "Europe/London", "GB", "GBP")


def test_the_local_hour_follows_london_into_summer_time(london):
    """lifecycle.run_local_hour = 2: on Saturday 28 March 2026 (GMT) London's night comes at
    02:00 UTC; on Sunday the 29th clocks go forward at 01:00 UTC and it comes at 01:00 UTC."""

    def at(day, hour):
        return datetime.datetime(2026, 3, day, hour, 15, tzinfo=datetime.UTC)

    assert due_at(at(28, 1)) == set()  # 01:15 GMT
    assert due_at(at(28, 2)) == {(london.pk, datetime.date(2026, 3, 27))}  # 02:15 GMT
    assert due_at(at(29, 0)) == set()  # 00:15 GMT
    assert due_at(at(29, 1)) == {(london.pk, datetime.date(2026, 3, 28))}  # 02:15 BST


def test_the_local_hour_follows_new_york_out_of_summer_time(banks):
    """On Sunday 1 November 2026 New York's clocks go back at 06:00 UTC (02:00 EDT -> 01:00 EST):
    the night that came at 06:15 UTC the day before comes at 07:15 UTC."""
    _shanghai, new_york = banks

    def new_york_due(month, day, hour):
        moment = datetime.datetime(2026, month, day, hour, 15, tzinfo=datetime.UTC)
        return {date for bank, date in due_at(moment) if bank == new_york.pk}

    assert new_york_due(10, 31, 5) == set()  # 01:15 EDT
    assert new_york_due(10, 31, 6) == {datetime.date(2026, 10, 30)}  # 02:15 EDT
    assert new_york_due(11, 1, 6) == set()  # 01:15 EST, the second 01:15 of that night
    assert new_york_due(11, 1, 7) == {datetime.date(2026, 10, 31)}  # 02:15 EST


def test_the_hourly_tick_runs_the_banks_whose_night_has_come_once(clock, banks, london):
    """03:15 UTC on 29 March 2026 (summer time in London since 01:00 UTC): 04:15 in London,
    11:15 in Shanghai, 23:15 on the 28th in New York - three banks, three local yesterdays."""
    shanghai, new_york = banks
    clock.now = datetime.datetime(2026, 3, 29, 3, 15, tzinfo=datetime.UTC)

    first = run_lifecycle.apply().get()

    assert bank_runs(lifecycle.JOB) == {
        london.pk: (datetime.date(2026, 3, 28), JobRun.Status.SUCCEEDED),
        shanghai.pk: (datetime.date(2026, 3, 28), JobRun.Status.SUCCEEDED),
        new_york.pk: (datetime.date(2026, 3, 27), JobRun.Status.SUCCEEDED),
    }
    assert first["counts"] == {"banks": 3}
    # The next tick finds every bank done for its date: it writes no run at all.
    clock.now += datetime.timedelta(hours=1)
    assert run_lifecycle.apply().get() == {"job_run": None, "status": "nothing due", "sub_runs": []}
    assert JobRun.objects.filter(job=lifecycle.JOB).count() == 4


# --- BatchTask ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_run_is_held_elsewhere_retries_without_touching_it(clock, org):
    """A duplicate delivery of the hourly share clean-up while another worker holds its run."""
    now = clock.now = EVENING_UTC  # the same hour, hence the same run, for both deliveries
    with run_held_elsewhere(SHARE_CLEAN_UP, business_date=now.date(), key_extra=now.strftime("%Y-%m-%dT%H")) as held_id:
        with pytest.raises(Retry):
            clean_up_ended_shares.run()
        row = JobRun.objects.get(job=SHARE_CLEAN_UP)
        assert (row.pk, row.status, row.attempts, row.counts) == (held_id, JobRun.Status.RUNNING, 1, {})
    summary = clean_up_ended_shares.run()  # now the run has succeeded: nothing more to do
    assert summary["job_run"] == row.pk and JobRun.objects.get(job=SHARE_CLEAN_UP).attempts == 1
