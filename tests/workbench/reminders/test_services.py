"""What a person does with a reminder (snooze, dismiss, turn into a task), the rule kinds an
administrator adds, the today list, and the job run per bank and branch zone on a frozen clock."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.master.models import Customer, HoldingBalance, RetailProfile
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.per_bank import run_per_bank
from ocrm.errors import NotVisible, Refused
from sysadmin.parameters import services as parameters
from workbench import desk as desk_registry
from workbench.reminders import services
from workbench.reminders.models import Reminder, ReminderRule
from workbench.reminders.tasks import GENERATION
from workbench.todo.models import Task

from .conftest import at, deposit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = datetime.date
MON_DEC_7 = D(2026, 12, 7)


@pytest.fixture
def reminder(desk):
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    services.generate(desk.org.bank_a.pk, MON_DEC_7, None)
    return Reminder.objects.get()


def test_snooze_keeps_the_reason_and_reads_a_local_time_in_the_actors_zone(desk, reminder):
    now = at(2026, 12, 7, 2)
    snoozed = services.snooze(reminder, desk.mgr_sh, datetime.datetime(2026, 12, 8, 9, 30), "Customer abroad", now=now)
    assert (snoozed.status, snoozed.reason) == ("snoozed", "Customer abroad")
    assert snoozed.snoozed_until == at(2026, 12, 8, 1, 30)  # 09:30 in Shanghai
    assert not Reminder.objects.due(at(2026, 12, 8, 1, 29)).exists()
    assert Reminder.objects.due(at(2026, 12, 8, 1, 30)).get() == reminder
    entry = AuditLog.objects.filter(detail__event="reminder_snoozed").get()
    assert entry.detail["reason"] == "Customer abroad"


@pytest.mark.parametrize(
    ("until", "reason", "field"),
    [
        (None, "x", "until"),
        (datetime.datetime(2026, 12, 7, 9, 0), "x", "until"),  # 01:00 UTC: before now
        (datetime.datetime(2027, 2, 1, 9, 0), "x", "until"),  # beyond 30 days
        (datetime.datetime(2026, 12, 8, 9, 0), "  ", "reason"),
        (datetime.datetime(2026, 12, 8, 9, 0), "y" * 301, "reason"),
    ],
)
def test_a_bad_snooze_names_the_field(desk, reminder, until, reason, field):
    with pytest.raises(ValidationError) as refused:
        services.snooze(reminder, desk.mgr_sh, until, reason, now=at(2026, 12, 7, 2))
    assert field in refused.value.message_dict
    assert Reminder.objects.get().status == "pending"


def test_dismiss_keeps_the_reason_and_a_handled_reminder_stays_handled(desk, reminder):
    dismissed = services.dismiss(reminder, desk.mgr_sh, "Already renewed at the counter")
    assert (dismissed.status, dismissed.acted_by) == ("dismissed", desk.mgr_sh)
    assert dismissed.reason == "Already renewed at the counter"
    with pytest.raises(Refused):
        services.turn_into_task(reminder, desk.mgr_sh)
    with pytest.raises(ValidationError):
        services.dismiss(reminder, desk.mgr_sh, "")


def test_turn_into_a_task_goes_through_the_task_service_once(desk, reminder):
    tasked = services.turn_into_task(reminder, desk.mgr_sh, now=at(2026, 12, 7, 2))
    task = Task.objects.get()
    assert tasked.task == task and tasked.status == "tasked"
    assert (task.assignee, task.customer, task.source, task.source_key) == (
        desk.mgr_sh,
        desk.cust_sh,
        Task.Source.REMINDER,
        f"reminder:{reminder.pk}",
    )
    assert task.due_date == D(2026, 12, 14) and "matures on 2026-12-14" in task.title


def test_a_supervisor_acts_within_the_subtree_and_another_manager_not_at_all(desk, reminder):
    with pytest.raises(NotVisible):
        services.dismiss(reminder, desk.org.manager_bj, "not mine")
    with pytest.raises(NotVisible):
        services.dismiss(reminder, desk.org.b_supervisor, "other bank")
    tasked = services.turn_into_task(reminder, desk.org.supervisor)
    assert tasked.task.assignee == desk.mgr_sh  # the customer's manager does the work


def test_the_today_list_shows_due_reminders_of_this_manager_only(desk, reminder, django_assert_max_num_queries):
    assert services.today_items(desk.mgr_sh, at(2026, 12, 7, 0, 59)) == []
    with django_assert_max_num_queries(1):
        items = services.today_items(desk.mgr_sh, at(2026, 12, 7, 1))
    assert [item.title for item in items] == [reminder.title]
    assert items[0].url == f"/workbench/reminders/{reminder.pk}/"
    assert services.today_items(desk.mgr_ldn, at(2026, 12, 7, 1)) == []
    services.register_desk()
    assert "reminders" in [source.key for source in desk_registry.today_sources(desk.mgr_sh)]


# --- rules an administrator adds ----------------------------------------------------------------


def test_a_rule_checks_its_parameters_and_names_them(desk):
    rule = ReminderRule(bank=desk.org.bank_a, name="AUM drop", rule_kind="aum_drop", parameters={"percent": 20, "days": 30})
    rule.full_clean()
    assert rule.parameters == {"percent": 20.0, "days": 30}
    for given in ({"percent": 0, "days": 30}, {"percent": 20, "days": 2.5}, {"percent": "x", "days": 30}, {"oops": 1}, []):
        rule.parameters = given
        with pytest.raises(ValidationError) as refused:
            rule.full_clean()
        assert "parameters" in refused.value.message_dict
    rule.rule_kind = "nonsense"
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "rule_kind" in refused.value.message_dict


def test_an_aum_drop_rule_reminds_once_per_quiet_period(desk):
    rule = ReminderRule.objects.create(
        bank=desk.org.bank_a, name="AUM drop", rule_kind="aum_drop", parameters={"percent": 20, "days": 30}
    )
    holding = deposit(desk.cust_sh, desk.time_deposit, D(2027, 6, 1), balance=50_000)
    other = deposit(desk.cust_ldn, desk.time_deposit, D(2027, 6, 1), balance=100_000)
    for h, before in ((holding, 100_000), (other, 100_000)):
        HoldingBalance.objects.create(
            bank_id=h.bank_id,
            customer_id=h.customer_id,
            holding=h,
            business_date=D(2026, 11, 6),
            balance=before,
            balance_base=before,
        )
    Customer.objects.filter(pk=desk.cust_sh.pk).update(aum=50_000)  # fell by half
    Customer.objects.filter(pk=desk.cust_ldn.pk).update(aum=90_000)  # fell by 10 %: below the rule's 20 %
    assert services.generate(desk.org.bank_a.pk, MON_DEC_7, None)["reminders_created"] == 1
    found = Reminder.objects.get(kind="aum_drop")
    assert (found.rule, found.customer_id, found.details["percent"]) == (rule, desk.cust_sh.pk, "50.0")
    assert found.title.startswith("AUM drop: AUM fell 50.0% in 30 days")
    assert services.generate(desk.org.bank_a.pk, D(2026, 12, 8), None)["reminders_created"] == 0  # quiet period


# --- the job: each branch zone after its local midnight ------------------------------------------


class Clock:
    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def test_the_hourly_tick_runs_each_branch_zone_after_its_local_midnight(desk, clock):
    """A birthday is the customer's local day: Shanghai's customer at 00:xx Shanghai time (16:xx
    UTC the day before), New York's at 00:xx New York time (05:xx UTC) - never at 00:00 UTC."""
    RetailProfile.objects.filter(customer__in=[desk.cust_sh, desk.cust_ny]).update(birth_date=D(1990, 12, 7))
    clock.now = at(2026, 12, 6, 15, 7)  # 23:07 in Shanghai
    run_per_bank(GENERATION)
    assert not Reminder.objects.exists()
    clock.now = at(2026, 12, 6, 16, 7)  # 00:07 on the 7th in Shanghai, 11:07 on the 6th in New York
    run_per_bank(GENERATION)
    assert list(Reminder.objects.values_list("customer_id", "event_date")) == [(desk.cust_sh.pk, MON_DEC_7)]
    clock.now = at(2026, 12, 7, 5, 7)  # 00:07 on the 7th in New York
    run_per_bank(GENERATION)
    assert set(Reminder.objects.values_list("customer_id", "event_date")) == {
        (desk.cust_sh.pk, MON_DEC_7),
        (desk.cust_ny.pk, MON_DEC_7),
    }
    runs = JobRun.objects.filter(job=services.JOB, bank_id=desk.org.bank_a.pk).exclude(key__endswith="|")
    by_zone = {(run.key.rsplit("=", 1)[1], run.business_date): run.counts for run in runs}
    assert by_zone[("Asia/Shanghai", MON_DEC_7)] == {"reminders_created": 1}
    assert by_zone[("Asia/Shanghai", D(2026, 12, 6))] == {"reminders_created": 0}  # the first tick: Shanghai's 6th
    assert by_zone[("America/New_York", MON_DEC_7)] == {"reminders_created": 1}
    clock.now = at(2026, 12, 7, 6, 7)  # a later tick of the same local day: nothing more
    run_per_bank(GENERATION)
    assert Reminder.objects.count() == 2


def test_open_reminders_follow_a_handed_over_customer_and_handled_ones_stay(desk, reminder):
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 13), number="TD-OLD")
    services.generate(desk.org.bank_a.pk, MON_DEC_7, None)
    handled = Reminder.objects.exclude(pk=reminder.pk).get()
    services.dismiss(handled, desk.mgr_sh, "done")
    Customer.objects.filter(pk=desk.cust_sh.pk).update(branch=desk.org.a_sh_sub)
    moved = services.move_customer_reminders([(desk.cust_sh.pk, desk.mgr_sh.pk, desk.org.manager_sub.pk)], None)
    assert moved == 1
    reminder.refresh_from_db()
    assert (reminder.manager, reminder.branch) == (desk.org.manager_sub, desk.org.a_sh_sub)
    assert Reminder.objects.get(pk=handled.pk).manager == desk.mgr_sh


def test_a_delivery_hour_out_of_range_stops_the_run_with_a_readable_reason(desk):
    parameters.set_value("reminders.delivery_hour", "25", bank=desk.org.bank_a)
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    with pytest.raises(services.ReminderError, match="reminders.delivery_hour"):
        services.generate(desk.org.bank_a.pk, MON_DEC_7, None)


def test_a_rule_changed_in_admin_is_audited(desk):
    rule = ReminderRule.objects.create(
        bank=desk.org.bank_a, name="AUM drop", rule_kind="aum_drop", parameters={"percent": 20, "days": 30}
    )
    rule.parameters = {"percent": 25, "days": 30}
    rule.save()
    assert AuditLog.objects.filter(object_type="workbench.reminderrule", object_id=str(rule.pk)).count() == 2
