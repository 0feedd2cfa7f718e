"""Work reports: a draft pre-filled from the contacts logged and the customers gained or lost,
submitted by its author; supervisors read their subtree's, comment and the author is notified;
who has not submitted this week; scope (404 outside it); XLSX export."""

import datetime
import io
import zoneinfo

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from customers.master.models import ServiceContact
from customers.ownership.assignment.models import AssignmentChange
from ocrm.audit.models import AuditLog
from ocrm.notifications.models import Notification
from tests.factories import make_customer
from workbench.workreports import services
from workbench.workreports.models import WorkReport, WorkReportComment

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def record_day(org, day):
    """On `day` (Shanghai), the manager logged two contacts, gained one customer and lost another."""
    at = datetime.datetime.combine(day, datetime.time(10, 0), SHANGHAI)
    kept = make_customer("C-WR-1", org.a_sh, org.manager, name_local="李娜")
    gone = make_customer("C-WR-2", org.a_sh, org.manager_sub, name_local="张伟")
    for subject in ("Maturity call", "Card upgrade"):
        ServiceContact.objects.create(
            bank_id=org.bank_a.pk, customer=kept, staff=org.manager, channel="phone", occurred_at=at, subject=subject
        )
    # Logged the day before in Shanghai (although the same UTC date): not in the report.
    ServiceContact.objects.create(
        bank_id=org.bank_a.pk,
        customer=kept,
        staff=org.manager,
        channel="phone",
        occurred_at=datetime.datetime.combine(day, datetime.time(0, 0), SHANGHAI) - datetime.timedelta(minutes=1),
        subject="Yesterday",
    )
    common = {"bank_id": org.bank_a.pk, "from_branch": org.a_sh, "to_branch": org.a_sh, "actor": org.supervisor, "at": at}
    AssignmentChange.objects.create(
        customer=kept, kind="reassignment", from_manager=org.manager_sub, to_manager=org.manager, **common
    )
    AssignmentChange.objects.create(
        customer=gone, kind="reassignment", from_manager=org.manager, to_manager=org.manager_sub, **common
    )
    return kept, gone


def test_a_daily_draft_is_pre_filled_from_contacts_logged_and_assignment_changes(org):
    day = datetime.date(2026, 12, 3)
    record_day(org, day)
    report = services.open_draft(org.manager, WorkReport.Kind.DAILY, day)
    lines = {line["kind"]: line for line in report.activity}
    assert lines["contacts"]["count"] == 2
    assert any("Maturity call" in detail for detail in lines["contacts"]["details"])
    assert "Yesterday" not in str(report.activity)
    assert lines["customers_gained"]["count"] == 1 and "C-WR-1" in lines["customers_gained"]["details"][0]
    assert lines["customers_lost"]["count"] == 1 and "C-WR-2" in lines["customers_lost"]["details"][0]
    assert "Service contacts logged: 2" in report.summary and "Customers gained: 1" in report.summary
    # Opening it again returns the same draft; the weekly report covers Monday to Sunday.
    assert services.open_draft(org.manager, WorkReport.Kind.DAILY, day).pk == report.pk
    weekly = services.open_draft(org.manager, WorkReport.Kind.WEEKLY, day)
    assert (weekly.period_start, weekly.period_end) == (datetime.date(2026, 11, 30), datetime.date(2026, 12, 6))
    assert {line["kind"]: line["count"] for line in weekly.activity}["contacts"] == 3
    assert AuditLog.objects.filter(detail__event="work_report_drafted").count() == 2


def test_the_author_edits_and_submits_then_it_is_frozen(client, org):
    as_user(client, org.manager)
    response = client.post(reverse("workbench:workreport_open"), {"kind": "daily"})
    report = WorkReport.objects.get(author=org.manager)
    assert response.url == reverse("workbench:workreport_edit", args=[report.pk])
    edit = reverse("workbench:workreport_edit", args=[report.pk])
    response = client.post(edit, {"summary": "", "plan": "", "submit": "1"})
    assert "Say what you did" in response.content.decode()
    client.post(edit, {"summary": "Called five customers", "plan": "Visit two", "submit": "1"})
    report.refresh_from_db()
    assert report.status == "submitted" and report.summary == "Called five customers" and report.submitted_at
    client.post(edit, {"summary": "changed later"})
    report.refresh_from_db()
    assert report.summary == "Called five customers"
    # Another person may not edit it: a 404, even their supervisor.
    assert as_user(client, org.supervisor).get(edit).status_code == 404


def test_a_supervisor_comments_and_the_author_is_notified(client, org, english_staff):
    report = services.open_draft(org.manager, WorkReport.Kind.DAILY, datetime.date(2026, 12, 3))
    services.save_report(report, org.manager, summary="Done", plan="", submit=True)
    as_user(client, org.supervisor)
    detail = reverse("workbench:workreport_detail", args=[report.pk])
    assert 'id="comment-form"' in client.get(detail).content.decode()
    client.post(reverse("workbench:workreport_comment", args=[report.pk]), {"text": "Good work, follow up on the card upgrade"})
    comment = WorkReportComment.objects.get()
    assert comment.author == org.supervisor and comment.report == report
    note = Notification.objects.get(recipient=org.manager)
    assert "commented on your" in note.title and note.link == detail
    assert AuditLog.objects.filter(detail__event="work_report_commented").exists()
    # The author reads the feedback; a supervisor of another subtree or bank cannot comment.
    assert "follow up on the card upgrade" in as_user(client, org.manager).get(detail).content.decode()
    client.post(reverse("workbench:workreport_comment", args=[report.pk]), {"text": "self"})
    assert WorkReportComment.objects.count() == 1
    assert (
        as_user(client, org.b_supervisor)
        .post(reverse("workbench:workreport_comment", args=[report.pk]), {"text": "x"})
        .status_code
        == 404
    )
    assert WorkReportComment.objects.count() == 1


def test_scope_manager_own_supervisor_subtree_other_bank_never(client, org):
    mine = services.open_draft(org.manager, WorkReport.Kind.DAILY)
    colleague = services.open_draft(org.manager_bj, WorkReport.Kind.DAILY)
    sub = services.open_draft(org.manager_sub, WorkReport.Kind.DAILY)
    other_bank = services.open_draft(org.b_manager, WorkReport.Kind.DAILY)
    detail = lambda report: reverse("workbench:workreport_detail", args=[report.pk])  # noqa: E731
    as_user(client, org.manager)
    assert client.get(detail(mine)).status_code == 200
    assert client.get(detail(colleague)).status_code == 404 and client.get(detail(other_bank)).status_code == 404
    assert [r.pk for r in client.get(reverse("workbench:workreports")).context["table"].data] == [mine.pk]
    as_user(client, org.supervisor)
    assert client.get(detail(sub)).status_code == 200 and client.get(detail(mine)).status_code == 200
    assert client.get(detail(colleague)).status_code == 404 and client.get(detail(other_bank)).status_code == 404
    listed = {r.pk for r in client.get(reverse("workbench:workreports")).context["table"].data}
    assert listed == {mine.pk, sub.pk}
    # A teller writes no reports and opens no list.
    assert as_user(client, org.teller).get(reverse("workbench:workreports")).status_code == 403


def test_who_has_not_submitted_this_week_is_visible_to_the_supervisor(client, org):
    week_start, _end = services.period_of(WorkReport.Kind.WEEKLY, services.local_today(org.supervisor))
    done = services.open_draft(org.manager, WorkReport.Kind.WEEKLY)
    services.save_report(done, org.manager, summary="Week done", plan="", submit=True)
    services.open_draft(org.manager_sub, WorkReport.Kind.WEEKLY)  # a draft is not a submission
    missing = {person.username for person in services.not_submitted(org.supervisor, week_start)}
    assert missing == {"a.mgr.sh1"}  # not the Beijing manager (outside the subtree), nor the supervisor
    page = as_user(client, org.supervisor).get(reverse("workbench:workreports_missing")).content.decode()
    assert "a.mgr.sh1" in page and "a.mgr.bj" not in page and ">a.mgr.sh<" not in page
    assert as_user(client, org.manager).get(reverse("workbench:workreports_missing")).status_code == 403


def test_the_list_exports_xlsx(client, org):
    report = services.open_draft(org.manager, WorkReport.Kind.DAILY)
    services.save_report(report, org.manager, summary="Visited the market", plan="", submit=True)
    services.open_draft(org.b_manager, WorkReport.Kind.DAILY)
    response = as_user(client, org.supervisor).get(reverse("workbench:workreports") + "?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and "author" in rows[0]


def test_the_list_issues_a_fixed_number_of_queries(client, org, django_assert_max_num_queries):
    for person in (org.manager, org.manager_sub):
        services.open_draft(person, WorkReport.Kind.DAILY)
    as_user(client, org.supervisor).get(reverse("workbench:workreports"))
    with django_assert_max_num_queries(15):
        assert client.get(reverse("workbench:workreports")).status_code == 200


def test_today_is_the_authors_local_day(org, make_staff):
    london = make_staff("a.mgr.ldn2", branch=org.a_ldn, roles=["customer_manager"])
    # 23:30 in London on 3 December is already 4 December in Shanghai.
    now = datetime.datetime(2026, 12, 3, 23, 30, tzinfo=zoneinfo.ZoneInfo("Europe/London"))
    assert services.local_today(london, now) == datetime.date(2026, 12, 3)
    assert services.local_today(org.manager, now) == datetime.date(2026, 12, 4)
    assert timezone.is_aware(services.bounds(london, datetime.date(2026, 12, 3), datetime.date(2026, 12, 3))[0])
