"""The nightly generation and the delivery moment: 09:00 in the manager's own zone on a working
day of the manager's branch, across weekends, holidays and daylight-saving changes in Shanghai,
London and New York; one reminder per event and lead time whatever the reruns and windows."""

import datetime

import pytest

from customers.master.models import Holding, IdentityDocument, RetailProfile
from ocrm.notifications.models import Notification
from sysadmin.org.models import Holiday
from sysadmin.parameters import services as parameters
from workbench.reminders import kinds, services
from workbench.reminders.models import Reminder

from .conftest import at, deposit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = datetime.date
MON_DEC_7 = D(2026, 12, 7)


def generate(desk, day, branch=None):
    branches = None if branch is None else [branch.pk]
    return services.generate(desk.org.bank_a.pk, day, branches)["reminders_created"]


def only(**filters):
    return Reminder.objects.get(**filters)


def test_a_maturity_is_delivered_at_nine_local_for_each_managers_zone(desk):
    for customer in (desk.cust_sh, desk.cust_ldn, desk.cust_ny):
        deposit(customer, desk.time_deposit, MON_DEC_7 + datetime.timedelta(days=7))
    assert generate(desk, MON_DEC_7) == 3
    delivered = {r.manager_id: r.deliver_at for r in Reminder.objects.filter(kind="maturity")}
    assert delivered == {
        desk.mgr_sh.pk: at(2026, 12, 7, 1),  # 09:00 CST (UTC+8)
        desk.mgr_ldn.pk: at(2026, 12, 7, 9),  # 09:00 GMT
        desk.mgr_ny.pk: at(2026, 12, 7, 14),  # 09:00 EST (UTC-5)
    }
    reminder = only(manager=desk.mgr_sh)
    assert (reminder.event_date, reminder.lead, reminder.remind_on, reminder.status) == (D(2026, 12, 14), 7, MON_DEC_7, "pending")
    assert reminder.details["account"].endswith(reminder.details["account"][-4:]) and "****" in reminder.details["account"]
    assert "matures on 2026-12-14" in reminder.title


def test_a_rerun_and_the_following_nights_add_nothing(desk):
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    assert generate(desk, MON_DEC_7) == 1
    assert generate(desk, MON_DEC_7) == 0  # the same business date again
    for offset in range(1, 8):  # T-6 ... T0: no repeats
        assert generate(desk, MON_DEC_7 + datetime.timedelta(days=offset)) == 0
    assert Reminder.objects.count() == 1


def test_an_event_that_appears_late_still_gets_its_one_reminder(desk):
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 9))  # two days away, lead 7
    assert generate(desk, MON_DEC_7) == 1
    assert only().remind_on == MON_DEC_7 and only().lead == 7
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 6), number="PAST")
    assert generate(desk, MON_DEC_7) == 0  # an event already past gets none


def test_a_weekend_delivers_on_monday_and_a_holiday_on_the_next_working_day(desk):
    saturday = D(2026, 12, 12)
    for customer in (desk.cust_sh, desk.cust_ldn):
        deposit(customer, desk.time_deposit, saturday + datetime.timedelta(days=7))
    Holiday.objects.create(bank=desk.org.bank_a, country="GB", date=D(2026, 12, 14), name="Bank holiday")
    assert generate(desk, saturday) == 2
    assert only(manager=desk.mgr_sh).deliver_at == at(2026, 12, 14, 1)  # Monday 09:00 Shanghai
    assert only(manager=desk.mgr_ldn).deliver_at == at(2026, 12, 15, 9)  # Monday is a GB holiday: Tuesday


def test_a_holiday_of_the_managers_own_branch_counts_and_the_working_week_too(desk):
    Holiday.objects.create(bank=desk.org.bank_a, country="CN", branch=desk.org.a_sh, date=MON_DEC_7, name="Branch day")
    desk.ny.working_week = "1234"  # New York branch works Monday to Thursday
    desk.ny.save()
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    deposit(desk.cust_ny, desk.time_deposit, D(2026, 12, 18))
    generate(desk, MON_DEC_7)
    generate(desk, D(2026, 12, 11))  # Friday
    assert only(manager=desk.mgr_sh).deliver_at == at(2026, 12, 8, 1)
    assert only(manager=desk.mgr_ny).deliver_at == at(2026, 12, 14, 14)  # Friday off: Monday 09:00 EST


def test_the_managers_own_zone_wins_over_the_branchs(desk):
    desk.mgr_sh.time_zone = "Europe/London"
    desk.mgr_sh.save()
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    generate(desk, MON_DEC_7)
    assert only().deliver_at == at(2026, 12, 7, 9)


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        # London: clocks go forward on Sunday 29 March 2026 (GMT -> BST).
        ("ldn", (D(2026, 3, 27), at(2026, 3, 27, 9)), (D(2026, 3, 30), at(2026, 3, 30, 8))),
        # New York: clocks go forward on Sunday 8 March 2026 (EST -> EDT).
        ("ny", (D(2026, 3, 6), at(2026, 3, 6, 14)), (D(2026, 3, 9), at(2026, 3, 9, 13))),
        # London autumn: back on Sunday 25 October 2026 (BST -> GMT).
        ("ldn", (D(2026, 10, 23), at(2026, 10, 23, 8)), (D(2026, 10, 26), at(2026, 10, 26, 9))),
        # New York autumn: back on Sunday 1 November 2026 (EDT -> EST).
        ("ny", (D(2026, 10, 30), at(2026, 10, 30, 13)), (D(2026, 11, 2), at(2026, 11, 2, 14))),
    ],
)
def test_the_daylight_saving_week_keeps_nine_local(desk, who, before, after):
    customer = getattr(desk, f"cust_{who}")
    for day, _expected in (before, after):
        deposit(customer, desk.time_deposit, day + datetime.timedelta(days=7))
        generate(desk, day)
    # A reminder of the Saturday in the change's weekend is delivered on Monday, in the new offset.
    saturday = before[0] + datetime.timedelta(days=1)
    deposit(customer, desk.time_deposit, saturday + datetime.timedelta(days=7), number="SAT")
    generate(desk, saturday)
    delivered = sorted(Reminder.objects.values_list("deliver_at", flat=True))
    assert delivered == [before[1], after[1], after[1]]


def test_birthdays_fall_on_the_customers_local_day_and_leap_days_on_the_28th(desk):
    RetailProfile.objects.filter(customer=desk.cust_ny).update(birth_date=D(1980, 12, 7))
    RetailProfile.objects.filter(customer=desk.cust_sh).update(birth_date=D(1984, 2, 29))
    assert generate(desk, D(2026, 12, 6), desk.ny) == 0
    assert generate(desk, MON_DEC_7, desk.ny) == 1
    birthday = only(kind="birthday")
    assert (birthday.customer_id, birthday.event_date, birthday.deliver_at) == (desk.cust_ny.pk, MON_DEC_7, at(2026, 12, 7, 14))
    assert birthday.details == {"age": 46} and "turns 46" in birthday.title
    assert generate(desk, D(2027, 2, 28), desk.org.a_sh) == 1  # 2027 has no 29 February
    assert generate(desk, D(2028, 2, 28), desk.org.a_sh) == 0
    assert generate(desk, D(2028, 2, 29), desk.org.a_sh) == 1
    assert kinds.leap_aware_birthdays(D(2027, 2, 28)) == ["02-28", "02-29"]


def test_instalments_and_identity_documents_have_their_own_leads(desk):
    Holding.objects.create(
        bank_id=desk.org.bank_a.pk,
        customer=desk.cust_sh,
        product=desk.loan,
        account_number="LN-0001",
        currency="CNY",
        balance=-50_000,
        next_instalment_date=D(2026, 12, 10),
        next_instalment_amount=1234,
    )
    document = IdentityDocument(
        bank_id=desk.org.bank_a.pk, customer=desk.cust_ldn, doc_type="passport", issuing_country="GB", expiry_date=D(2027, 1, 6)
    )
    document.set_number("P1234567")
    document.save()
    assert generate(desk, MON_DEC_7) == 2
    instalment, expiry = only(kind="instalment"), only(kind="id_expiry")
    assert (instalment.lead, instalment.details["amount"]) == (3, "1234.00")
    assert (expiry.lead, expiry.object_id, expiry.event_date) == (30, document.pk, D(2027, 1, 6))
    assert "1234567" not in expiry.title


def test_a_customer_without_an_active_manager_or_merged_away_gets_none(desk):
    desk.mgr_ny.is_active = False
    desk.mgr_ny.save()
    deposit(desk.cust_ny, desk.time_deposit, D(2026, 12, 14))
    desk.cust_ldn.merged_into = desk.cust_sh
    desk.cust_ldn.save()
    deposit(desk.cust_ldn, desk.time_deposit, D(2026, 12, 14))
    assert generate(desk, MON_DEC_7) == 0


def test_a_kind_switched_off_by_a_parameter_adds_nothing(desk):
    parameters.set_value("reminders.kinds_off", '["maturity"]', bank=desk.org.bank_a)
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    assert generate(desk, MON_DEC_7) == 0


def test_the_delivery_tick_delivers_once_and_notifies_once(desk, django_capture_on_commit_callbacks):
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 14))
    deposit(desk.cust_sh, desk.time_deposit, D(2026, 12, 13), number="TD-2")
    deposit(desk.cust_ny, desk.time_deposit, D(2026, 12, 14))
    generate(desk, MON_DEC_7)
    assert services.deliver_due(at(2026, 12, 7, 0, 59)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_due(at(2026, 12, 7, 1)) == 2  # Shanghai's 09:00, New York still waits
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_due(at(2026, 12, 7, 1, 5)) == 0
    notice = Notification.objects.get()
    assert (notice.recipient_id, notice.body) == (desk.mgr_sh.pk, "You have 2 new reminders.")
    assert set(Reminder.objects.values_list("manager_id", "status")) == {
        (desk.mgr_sh.pk, "delivered"),
        (desk.mgr_ny.pk, "pending"),
    }
