"""manage.py seed_demo: a realistic, deterministic demo organisation that people can log in to."""

import datetime
import io
import json
import re
import time
from decimal import Decimal

import pytest
import pytz
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.master.models import FxRate, Holding
from ocrm import beat_schedules
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.celery import app
from sysadmin import demo
from sysadmin.org.models import Bank, BankCode, Branch, Holiday, Staff
from sysadmin.roles import ROLE_LABELS
from tests.support import mfa as second_factor
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def seed(*args):
    """The organisation part of seed_demo (customers are tested in test_customer_demo.py)."""
    out = io.StringIO()
    call_command("seed_demo", *args, "--customers", "none", stdout=out)
    return out.getvalue()


def demo_staff():
    return Staff.objects.filter(bank__code__in=["OGB", "HCB"])


def test_loads_two_banks_thirty_branches_two_hundred_staff(django_assert_max_num_queries):
    started = time.monotonic()
    # Set-based: the query count does not grow with the ~300 staff (branches go through save()).
    with django_assert_max_num_queries(600):
        output = seed()
    assert time.monotonic() - started < 30

    assert Bank.objects.count() == 2
    assert 25 <= Branch.objects.count() <= 40
    assert 180 <= Staff.objects.count() <= 300
    countries = set(Branch.objects.values_list("country", flat=True))
    assert {"CN", "HK", "SG", "GB", "US"} <= countries
    assert len(set(Branch.objects.values_list("timezone", flat=True))) >= 5
    assert "Demo data loaded (seed 20261122)" in output
    assert f"staff       {Staff.objects.count()}" in output
    assert "mgr.ldn1" in output and demo.DEMO_PASSWORD in output


def test_every_role_has_members_in_both_banks():
    seed()
    for role in ROLE_LABELS:
        group = Group.objects.get(name=role)
        assert group.user_set.filter(bank__code="OGB").exists(), role
        assert group.user_set.filter(bank__code="HCB").exists(), role
    # A user holds exactly one role, and admin rights follow the role.
    assert not Staff.objects.exclude(groups__isnull=False).exists()
    assert set(Staff.objects.filter(is_staff=True).values_list("groups__name", flat=True)) == {"system_admin"}
    assert not Staff.objects.filter(is_superuser=True).exists()


def test_branches_form_a_tree_with_valid_time_zones_per_country():
    seed()
    for branch in Branch.objects.select_related("parent"):
        assert branch.timezone in pytz.country_timezones[str(branch.country)], branch
        expected = f"{branch.parent.path if branch.parent else '/'}{branch.pk}/"
        assert branch.path == expected, branch
        if branch.parent:
            assert branch.parent.bank_id == branch.bank_id
    for bank in Bank.objects.all():
        assert bank.branches.filter(parent__isnull=True, level=Branch.Level.HEAD_OFFICE).count() == 1
    shanghai = Branch.objects.get(bank__code="OGB", code="SH")
    assert Branch.objects.subtree(shanghai).count() == 4  # the branch and its three sub-branches


def test_names_fit_each_locale():
    seed()
    staff = demo_staff()
    for person in staff.filter(branch__country__in=["CN", "HK"]):
        assert CJK.search(person.name_local), person.username
        assert person.language == "zh-hans"
    for person in staff.filter(branch__country__in=["GB", "US"]):
        assert person.name_local.isascii() and person.name_local == f"{person.first_name} {person.last_name}"
        assert person.language == "en"
    hk_surnames = {rom for _local, rom in demo.HK_SURNAMES}
    assert all(p.last_name in hk_surnames for p in staff.filter(branch__country="HK"))
    singapore = list(staff.filter(branch__country="SG").values_list("name_local", flat=True))
    assert any(CJK.search(n) for n in singapore), "no Chinese names in Singapore"
    assert any(" bin " in n or " binte " in n for n in singapore), "no Malay names in Singapore"
    assert any(" s/o " in n or " d/o " in n for n in singapore), "no Indian names in Singapore"
    assert staff.values("username").distinct().count() == staff.count()
    assert all(p.employee_no and p.email.endswith(".example") and p.phone for p in staff)


def test_holidays_for_this_year_and_next_in_every_country():
    seed()
    this_year = timezone.localdate().year
    for bank in Bank.objects.all():
        for country in set(bank.branches.values_list("country", flat=True)):
            for year in (this_year, this_year + 1):
                n = Holiday.objects.filter(bank=bank, country=country, date__year=year).count()
                assert n >= 8, (bank.code, country, year, n)
    ogb = Bank.objects.get(code="OGB")
    national_day = Holiday.objects.get(bank=ogb, country="CN", date=datetime.date(this_year, 10, 1))
    assert "国庆节" in national_day.name and "National Day" in national_day.name
    assert Holiday.objects.filter(bank=ogb, country="GB", date=datetime.date(this_year, 12, 25)).exists()
    assert Holiday.objects.filter(bank=ogb, country="US", date=datetime.date(this_year, 7, 4)).exists()
    # Chinese New Year moves with the lunar calendar: it must be there all the same.
    assert Holiday.objects.filter(bank=ogb, country="SG", date__year=this_year + 1, name__icontains="Chinese New Year")
    london = Branch.objects.get(bank=ogb, code="LDN")
    assert not london.is_working_day(datetime.date(this_year, 12, 25))


def test_bank_codes_per_country_and_each_other():
    seed()
    ogb, hcb = Bank.objects.get(code="OGB"), Bank.objects.get(code="HCB")
    assert set(BankCode.objects.filter(bank=ogb).values_list("country", flat=True)) >= {"CN", "HK", "SG", "GB", "US"}
    assert BankCode.objects.get(bank=ogb, code="DEMO-HCB").bic == hcb.bic
    assert BankCode.objects.get(bank=hcb, code="DEMO-OGB").bic == ogb.bic
    assert all(len(bic) in (8, 11) for bic in BankCode.objects.values_list("bic", flat=True))


def test_fixed_demo_logins_have_their_roles_and_branches():
    seed("--seed", "7")  # the fixed log-ins do not depend on the seed
    expected = {
        "admin": ("OGB", "HO", "system_admin"),
        "auditor": ("OGB", "HO", "auditor"),
        "sup.sh": ("OGB", "SH", "branch_supervisor"),
        "mgr.sh1": ("OGB", "SH", "customer_manager"),
        "teller.sh1": ("OGB", "SH", "teller"),
        "mgr.ldn1": ("OGB", "LDN", "customer_manager"),
        "pm1": ("OGB", "HO", "product_manager"),
        "mm1": ("OGB", "HO", "marketing_manager"),
        "xb1": ("OGB", "HO", "crossborder_officer"),
        "hcb.admin": ("HCB", "HO", "system_admin"),
    }
    for username, (bank, branch, role) in expected.items():
        user = Staff.objects.select_related("bank", "branch").get(username=username)
        assert (user.bank.code, user.branch.code, list(user.groups.values_list("name", flat=True))) == (bank, branch, [role]), (
            username
        )
        assert not user.must_change_password
    admin = Staff.objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser
    assert Staff.objects.get(username="mgr.ldn1").effective_timezone == "Europe/London"


def test_demo_login_works_in_the_browser_session(client):
    seed()
    response = client.post("/accounts/login/", {"username": "mgr.ldn1", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Europe/London" in home.content.decode()
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "admin", "password": demo.DEMO_PASSWORD})
    assert client.get("/admin/").url.startswith("/accounts/second-factor/enrol/")  # administrators: a second factor
    second_factor.verify_session(client, Staff.objects.get(username="admin"))
    assert client.get("/admin/").status_code == 200


def test_same_seed_gives_the_same_plan_and_another_seed_does_not():
    first, second = demo.build_plan(20261122), demo.build_plan(20261122)
    assert first.branches == second.branches and first.staff == second.staff and first.holidays == second.holidays
    other = demo.build_plan(99)
    assert [s.username for s in other.staff] != [s.username for s in first.staff]
    assert [b.code for b in other.branches] == [b.code for b in first.branches]


def test_reset_and_reload_recreate_identical_data():
    seed()
    before = (
        sorted(demo_staff().values_list("username", "name_local", "branch__code")),
        sorted(Branch.objects.values_list("bank__code", "code", "timezone")),
    )
    old_ids = set(demo_staff().values_list("pk", flat=True))
    output = seed("--reset")
    assert "Removed 2 demo bank(s)" in output
    after = (
        sorted(demo_staff().values_list("username", "name_local", "branch__code")),
        sorted(Branch.objects.values_list("bank__code", "code", "timezone")),
    )
    assert after == before
    assert not old_ids & set(demo_staff().values_list("pk", flat=True))  # really recreated
    assert AuditLog.objects.filter(action=AuditLog.Action.IMPORT, detail__source="seed_demo").count() == 4


def test_if_empty_does_nothing_the_second_time():
    seed("--if-empty")
    ids = sorted(Staff.objects.values_list("pk", flat=True))
    output = seed("--if-empty")
    assert "demo data not loaded" in output
    assert sorted(Staff.objects.values_list("pk", flat=True)) == ids
    assert Bank.objects.count() == 2


def test_if_empty_respects_any_existing_bank(org):
    output = seed("--if-empty")
    assert "demo data not loaded" in output
    assert not Bank.objects.filter(code__in=["OGB", "HCB"]).exists()


def test_second_load_without_reset_is_refused_and_changes_nothing():
    seed()
    count = Staff.objects.count()
    with pytest.raises(CommandError, match="exist already"):
        seed()
    assert Staff.objects.count() == count


def test_reset_keeps_other_banks(org):
    others = sorted(Staff.objects.values_list("username", flat=True))
    seed()
    seed("--reset")
    assert set(Bank.objects.values_list("code", flat=True)) == {"BKA", "BKB", "OGB", "HCB"}
    assert sorted(Staff.objects.exclude(bank__code__in=["OGB", "HCB"]).values_list("username", flat=True)) == others


def test_reset_refuses_while_other_data_refers_to_a_demo_branch():
    seed()
    count = demo_staff().count()
    # Someone outside the demo banks still works at a demo branch: reset must not delete it.
    Staff.objects.create(username="outsider", branch=Branch.objects.get(bank__code="OGB", code="LDN"))
    with pytest.raises(CommandError, match="nothing was deleted"):
        seed("--reset")
    assert demo_staff().count() == count
    assert Branch.objects.filter(bank__code="OGB").count() == 24


# --- the whole demo bank (organisation and customers) under the batch layer -------------------


@pytest.mark.worker
@pytest.mark.timeout(900)
def restore_beat_schedules():
    """The beat schedules are rows the data migrations wrote (ocrm.beat_schedules.run_python); an
    earlier transactional test of this process flushed them away. Re-run those migration steps."""
    loader = MigrationLoader(connection)
    for migration in loader.disk_migrations.values():
        for operation in migration.operations:
            code = getattr(operation, "code", None)
            if code is not None and code.__module__ == beat_schedules.__name__:
                code(django_apps, None)


@pytest.mark.django_db(transaction=True)
def test_every_scheduled_and_startable_job_succeeds_on_the_demo_bank(celery_worker):
    """After `make run` every job must succeed on the demo data (issue 12.1): each beat schedule
    is sent as beat sends it, and each job the jobs page can start is started for each demo
    bank's yesterday, on a real worker. Iterates over what the registries offer: a new schedule
    or job is covered without touching this test."""
    restore_beat_schedules()
    call_command("seed_demo", "--customers-count", "600", stdout=io.StringIO())
    since = timezone.now()

    schedules = list(PeriodicTask.objects.filter(enabled=True).exclude(task__startswith="celery."))
    assert len(schedules) >= 5
    for schedule in schedules:
        result = app.send_task(schedule.task, args=json.loads(schedule.args), kwargs=json.loads(schedule.kwargs))
        result.get(timeout=300, propagate=False)
        assert result.successful(), (schedule.name, result.result, result.traceback)

    startable = [spec for spec in jobs.JOBS.values() if spec.startable]
    assert "customers_lifecycle" in {spec.name for spec in startable}
    for admin in Staff.objects.filter(username__in=["admin", "hcb.admin"]):
        yesterday = jobs.today(admin.bank_id) - datetime.timedelta(days=1)
        for spec in startable:
            run = jobs.start_job(admin, spec.name, yesterday)
            wait_for(
                lambda run=run: JobRun.objects.get(pk=run.pk).status not in (JobRun.Status.QUEUED, JobRun.Status.RUNNING),
                f"{spec.name} for {admin.bank_id}",
                timeout=300,
            )

    runs = JobRun.objects.filter(created_at__gte=since)
    failed = [(run.job, run.bank_id, run.business_date, run.error_report[:300]) for run in runs.exclude(status="succeeded")]
    assert not failed
    ran = set(runs.values_list("job", flat=True))
    assert {spec.name for spec in startable} <= ran
    lifecycle_runs = runs.filter(job="customers_lifecycle", bank_id__isnull=False)
    assert set(lifecycle_runs.values_list("bank_id", flat=True)) == set(
        Bank.objects.filter(code__in=["OGB", "HCB"]).values_list("pk", flat=True)
    )


def test_the_demo_holds_a_daily_rate_history_for_every_currency_held():
    """The batch layer converts at each business date's rate: 13 months of daily rates up to
    today for every currency a demo holding is in (issue 12.1; the sample feeds need it too)."""
    call_command("seed_demo", "--customers-count", "300", stdout=io.StringIO())
    today = timezone.localdate()
    first = today - datetime.timedelta(days=395)
    for bank in Bank.objects.filter(code__in=["OGB", "HCB"]):
        held = set(Holding.objects.filter(bank_id=bank.pk).values_list("currency", flat=True)) | {bank.base_currency}
        assert len(held) >= 3
        for currency in held:
            days = set(
                FxRate.objects.filter(bank=bank, currency=currency, as_of__range=(first, today)).values_list("as_of", flat=True)
            )
            assert len(days) == (today - first).days + 1, (bank.code, currency)
        base = FxRate.objects.filter(bank=bank, currency=bank.base_currency).values_list("rate", flat=True)
        assert set(base) == {1}
        usd = FxRate.objects.filter(bank=bank, currency="USD").values_list("rate", flat=True)
        assert len(set(usd)) > 100 and max(usd) / min(usd) < Decimal("1.1")  # it moves, a little
