"""The workbench's demo part: a year of tasks and appointments for the demo managers with their
own customers (past ones done/held, the next month open/planned), today's reminders, the desk's
announcements (one asking for acknowledgement, one waiting for the checker) and conversations, and
--reset removing them so the demo banks can be reloaded."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import F, Max, Min
from django.utils import timezone

from ocrm.approvals.models import ChangeRequest
from sysadmin.org.models import Bank, Staff
from workbench.announcements import services as announcements
from workbench.announcements.models import Announcement, AnnouncementReceipt
from workbench.calendar.models import Appointment
from workbench.messaging.models import Conversation, Message
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_managers_a_year_of_tasks_and_appointments_and_reset_removes_them():
    out = io.StringIO()
    call_command("seed_demo", "--customers-count", "300", stdout=out)
    assert "tasks" in out.getvalue() and "appointments" in out.getvalue()
    now = timezone.now()
    for bank in Bank.objects.filter(code__in=["OGB", "HCB"]):
        tasks = Task.objects.filter(bank=bank)
        appointments = Appointment.objects.filter(bank=bank)
        assert tasks.count() > 500 and appointments.count() > 300
        span = appointments.aggregate(first=Min("start"), last=Max("start"))
        assert span["first"] < now - datetime.timedelta(days=300) and span["last"] > now + datetime.timedelta(days=7)
        # Every appointment is with the owner's own customer, in the owner's bank.
        assert not appointments.exclude(customer__primary_manager=F("owner")).exists()
        assert not appointments.filter(start__lt=now, status=Appointment.Status.PLANNED).exists()
        assert tasks.filter(status=Task.Status.OPEN, due_at__gt=now).exists()
        assert tasks.filter(status=Task.Status.DONE, closed_at__isnull=False).exists()
        assert not tasks.filter(status=Task.Status.DONE, closed_at__isnull=True).exists()
    for bank in Bank.objects.filter(code__in=["OGB", "HCB"]):
        published = Announcement.objects.filter(bank=bank, status=Announcement.Status.PUBLISHED)
        ack = published.get(bank_wide=True, requires_ack=True)
        assert ack.published_by is not None and ack.published_by != ack.created_by  # through a checker
        assert AnnouncementReceipt.objects.filter(announcement=ack, acknowledged_at__isnull=False).exists()
        assert published.filter(bank_wide=False).exists()
        waiting = Announcement.objects.get(bank=bank, status=Announcement.Status.PENDING)
        assert ChangeRequest.objects.get(pk=waiting.change_request_id).status == ChangeRequest.Status.PENDING
        conversations = Conversation.objects.filter(bank=bank)
        assert conversations.count() >= 3 and conversations.filter(customer__isnull=False).exists()
        assert Message.objects.filter(bank=bank).count() >= 10
        assert not Message.objects.filter(bank=bank, sent_at__gt=now).exists()
    # The fixed manager log-in still has the acknowledgement to give: their today list shows it.
    manager = Staff.objects.get(username="mgr.sh1")
    assert [a.title for a in announcements.awaiting_acknowledgement(manager)]
    before = {
        "announcements": Announcement.objects.filter(bank__code="OGB").count(),
        "conversations": Conversation.objects.filter(bank__code="OGB").count(),
        "messages": Message.objects.filter(bank__code="OGB").count(),
    }
    call_command("seed_demo", "--reset", "--customers-count", "300", stdout=io.StringIO())
    assert Task.objects.filter(bank__code="OGB").count() > 500  # reloaded, not duplicated onto old rows
    assert before == {
        "announcements": Announcement.objects.filter(bank__code="OGB").count(),
        "conversations": Conversation.objects.filter(bank__code="OGB").count(),
        "messages": Message.objects.filter(bank__code="OGB").count(),
    }
    assert not Bank.objects.filter(code="OGB").count() > 1
