"""The reminders pages: a manager's own, a supervisor's subtree, 404 outside the scope, the actions,
the export, bounded queries."""

import datetime

import pytest

from tests.factories import make_customer
from workbench.reminders import services
from workbench.reminders.models import Reminder
from workbench.todo.models import Task

from .conftest import deposit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

D = datetime.date
MON_DEC_7 = D(2026, 12, 7)


@pytest.fixture
def reminders(desk):
    sub_customer = make_customer("R-SUB", desk.org.a_sh_sub, desk.org.manager_sub)
    bj_customer = make_customer("R-BJ", desk.org.a_bj, desk.org.manager_bj)
    for customer in (desk.cust_sh, sub_customer, bj_customer, desk.cust_ldn):
        deposit(customer, desk.time_deposit, D(2026, 12, 14))
    services.generate(desk.org.bank_a.pk, MON_DEC_7, None)
    return {r.customer.number: r for r in Reminder.objects.select_related("customer")}


def listed(client, user, query=""):
    client.force_login(user)
    response = client.get(f"/workbench/reminders/{query}")
    assert response.status_code == 200
    return {row.record.customer.number for row in response.context["table"].page.object_list}


def test_a_manager_sees_their_own_and_a_supervisor_the_subtree(client, desk, reminders):
    assert listed(client, desk.mgr_sh) == {"R-SH"}
    assert listed(client, desk.org.supervisor) == {"R-SH", "R-SUB"}  # A-SH and its sub-branch, not A-BJ nor London
    assert listed(client, desk.org.admin) == {"R-SH", "R-SUB", "R-BJ", "R-LDN"}
    assert listed(client, desk.org.b_manager) == set()


def test_the_list_filters_by_kind_and_date(client, desk, reminders):
    assert listed(client, desk.org.admin, "?kind=birthday") == set()
    assert listed(client, desk.org.admin, "?kind=maturity&date_from=2026-12-07&date_to=2026-12-07") == {
        "R-SH",
        "R-SUB",
        "R-BJ",
        "R-LDN",
    }
    assert listed(client, desk.org.admin, "?event_from=2026-12-15") == set()
    assert listed(client, desk.org.admin, "?date_from=not-a-date") == set()  # a bad filter shows nothing, never a 500


def test_the_list_runs_a_fixed_number_of_queries(client, desk, reminders, django_assert_max_num_queries):
    client.force_login(desk.org.admin)
    client.get("/workbench/reminders/")
    with django_assert_max_num_queries(12):
        assert client.get("/workbench/reminders/").status_code == 200


def test_the_export_is_an_xlsx(client, desk, reminders):
    client.force_login(desk.mgr_sh)
    response = client.get("/workbench/reminders/?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_another_managers_reminder_is_a_404(client, desk, reminders):
    other = reminders["R-BJ"]
    client.force_login(desk.mgr_sh)
    assert client.get(f"/workbench/reminders/{other.pk}/").status_code == 404
    assert client.post(f"/workbench/reminders/{other.pk}/dismiss/", {"reason": "x"}).status_code == 404
    assert client.post(f"/workbench/reminders/{other.pk}/task/").status_code == 404
    client.force_login(desk.org.supervisor)
    assert client.get(f"/workbench/reminders/{other.pk}/").status_code == 404
    assert Reminder.objects.get(pk=other.pk).status == "pending"


def test_a_teller_may_not_open_the_list(client, desk, reminders):
    client.force_login(desk.org.teller)
    assert client.get("/workbench/reminders/").status_code == 403


def test_snooze_dismiss_and_task_from_the_page(client, desk, reminders):
    mine = reminders["R-SH"]
    client.force_login(desk.mgr_sh)
    page = client.get(f"/workbench/reminders/{mine.pk}/")
    assert page.status_code == 200 and b"reminder-snooze" in page.content
    response = client.post(f"/workbench/reminders/{mine.pk}/snooze/", {"until": "2099-01-01T09:00", "reason": "later"})
    assert response.status_code == 302
    assert Reminder.objects.get(pk=mine.pk).status == "pending"  # too far: refused with a message
    response = client.post(f"/workbench/reminders/{mine.pk}/snooze/", {"until": "", "reason": "later"}, follow=True)
    assert "until" in response.content.decode()
    response = client.post(f"/workbench/reminders/{mine.pk}/task/")
    assert response.status_code == 302
    assert Reminder.objects.get(pk=mine.pk).status == "tasked" and Task.objects.get().assignee == desk.mgr_sh
    response = client.post(f"/workbench/reminders/{mine.pk}/dismiss/", {"reason": "x"}, follow=True)
    assert "already handled" in response.content.decode()
    sub = reminders["R-SUB"]
    client.force_login(desk.org.supervisor)
    assert client.post(f"/workbench/reminders/{sub.pk}/dismiss/", {"reason": "Moved away"}).status_code == 302
    assert Reminder.objects.get(pk=sub.pk).reason == "Moved away"


def test_the_pages_speak_chinese(client, desk, reminders):
    mine = reminders["R-SH"]
    client.force_login(desk.mgr_sh)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/workbench/reminders/{mine.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "转为任务" in page and "于 2026-12-14 到期" in page
    listing = client.get("/workbench/reminders/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "定期存款到期" in listing
