"""The workbench's part of the demo bank: a year of work for every demo manager (tasks and
appointments with their own customers: the past year done or held, a few cancelled or left
overdue, the next month open or planned, written with bulk_create from a seeded random plan, so
the same seed gives the same rows), then today's reminders of the demo customers, written by the
same generation the hourly job runs (workbench.reminders.services.generate), for each branch
zone's local today; the job's own runs later add nothing for those dates (one reminder per event
and lead). --reset deletes the demo banks' tasks and appointments (their staff are PROTECTed)."""

import datetime
import random
import zoneinfo

from django.db import transaction
from django.utils import timezone

from customers.master.models import Customer
from ocrm.batch.per_bank import scopes
from ocrm.seed import SeedPart
from sysadmin.org.models import Bank, Staff
from workbench.calendar.models import Appointment
from workbench.reminders import services
from workbench.reminders.tasks import GENERATION
from workbench.servicerequests import services as servicerequests
from workbench.servicerequests.models import ServiceRequestType
from workbench.todo.models import Task
from workbench.todo.services import due_moment

DEMO_BANKS = ["OGB", "HCB"]
PAST_DAYS, AHEAD_DAYS = 365, 30
TASKS_PER_WEEK, APPOINTMENTS_PER_WEEK = 3, 2
MANAGERS_PER_BANK = 40  # the largest books; enough for every demo login to have a year of work

TASK_TITLES = [
    "Call about the maturing deposit",
    "Send the fund factsheet",
    "Update the risk questionnaire",
    "Follow up on the card application",
    "Prepare the portfolio review",
    "Check the KYC documents",
    "Invite to the wealth seminar",
    "Renew the insurance policy",
]
APPOINTMENT_TITLES = [
    "Portfolio review",
    "Deposit renewal",
    "Wealth planning meeting",
    "Loan consultation",
    "Account opening",
    "Annual check-in",
]
LOCATIONS = ["Branch meeting room", "Customer's office", "Phone", "Video call"]


def _managers(bank_id):
    """(manager, [customer ids]) of the bank's managers with the largest books."""
    books = {}
    rows = Customer.objects.filter(bank_id=bank_id, merged_into__isnull=True, primary_manager__isnull=False).values_list(
        "primary_manager_id", "id"
    )
    for manager_id, customer_id in rows.order_by("primary_manager_id", "id"):
        books.setdefault(manager_id, []).append(customer_id)
    chosen = sorted(books, key=lambda pk: (-len(books[pk]), pk))[:MANAGERS_PER_BANK]
    staff = Staff.objects.in_bulk([pk for pk in chosen])
    return [(staff[pk], books[pk]) for pk in chosen if pk in staff and staff[pk].is_active]


def plan_work(bank_id, today, rng, now):
    """The tasks and appointments (unsaved) of a year for the bank's demo managers."""
    tasks, appointments = [], []
    weeks = (PAST_DAYS + AHEAD_DAYS) // 7
    for manager, customer_ids in _managers(bank_id):
        zone = zoneinfo.ZoneInfo(manager.effective_timezone)
        for _i in range(weeks * TASKS_PER_WEEK):
            day = today + datetime.timedelta(days=rng.randint(-PAST_DAYS, AHEAD_DAYS))
            due_time = datetime.time(rng.choice([10, 14, 16, 17])) if rng.random() < 0.4 else None
            due_at = due_moment(day, due_time, manager.effective_timezone)
            past = due_at < now
            roll = rng.random()
            status = Task.Status.OPEN
            if past:
                status = Task.Status.DONE if roll < 0.85 else (Task.Status.CANCELLED if roll < 0.93 else Task.Status.OPEN)
            closed_at = due_at - datetime.timedelta(hours=rng.randint(1, 48)) if status != Task.Status.OPEN else None
            tasks.append(
                Task(
                    bank_id=bank_id,
                    title=rng.choice(TASK_TITLES),
                    customer_id=rng.choice(customer_ids) if rng.random() < 0.8 else None,
                    assignee=manager,
                    created_by=manager,
                    due_date=day,
                    due_time=due_time,
                    due_at=due_at,
                    priority=rng.choice([1, 2, 2, 2, 3]),
                    status=status,
                    outcome="Done as agreed." if status == Task.Status.DONE else "",
                    created_at=min(now, due_at - datetime.timedelta(days=rng.randint(1, 14))),
                    closed_at=min(closed_at, now) if closed_at else None,
                    closed_by=manager if closed_at else None,
                )
            )
        for _i in range(weeks * APPOINTMENTS_PER_WEEK):
            day = today + datetime.timedelta(days=rng.randint(-PAST_DAYS, AHEAD_DAYS))
            start = datetime.datetime.combine(day, datetime.time(rng.randint(9, 16), rng.choice([0, 30])), tzinfo=zone)
            past = start < now
            roll = rng.random()
            status = Appointment.Status.PLANNED
            if past:
                status = Appointment.Status.HELD if roll < 0.9 else Appointment.Status.CANCELLED
            elif roll < 0.05:
                status = Appointment.Status.CANCELLED
            location = rng.choice(LOCATIONS)
            appointments.append(
                Appointment(
                    bank_id=bank_id,
                    title=rng.choice(APPOINTMENT_TITLES),
                    customer_id=rng.choice(customer_ids),
                    owner=manager,
                    start=start,
                    end=start + datetime.timedelta(minutes=rng.choice([30, 60, 90])),
                    location=location,
                    channel={"Phone": "phone", "Video call": "video"}.get(location, rng.choice(["visit", "branch"])),
                    status=status,
                    created_by=manager,
                    created_at=min(now, start - datetime.timedelta(days=rng.randint(1, 21))),
                )
            )
    return tasks, appointments


def load_part(options, write):
    now = timezone.now()
    rng = random.Random(f"workbench-{options.get('seed', '')}")
    made_tasks = made_appointments = 0
    banks = list(Bank.objects.filter(code__in=DEMO_BANKS, is_active=True).order_by("code").values_list("pk", flat=True))
    with transaction.atomic():
        for bank_id in banks:
            today = timezone.localdate(now)
            tasks, appointments = plan_work(bank_id, today, rng, now)
            made_tasks += len(Task.objects.bulk_create(tasks, batch_size=2000))
            made_appointments += len(Appointment.objects.bulk_create(appointments, batch_size=2000))
    if made_tasks or made_appointments:
        write(f"  work        {made_tasks} tasks, {made_appointments} appointments over a year")
    # The built-in service request types and their SMS templates (idempotent), so managers can
    # prepare requests from the 360 page of the demo's customers.
    for bank in Bank.objects.filter(pk__in=banks):
        servicerequests.seed_built_in_types(bank)
    created = 0
    for bank_id in banks:
        for scope in scopes(GENERATION, bank_id):
            created += services.generate(scope.bank_id, scope.business_date, scope.branch_ids)["reminders_created"]
    if created:
        write(f"  reminders   {created} for today")


def reset_part(options, write):
    bank_ids = list(Bank.objects.filter(code__in=DEMO_BANKS).values_list("pk", flat=True))
    if not bank_ids:
        return
    with transaction.atomic():
        Appointment.objects.filter(bank_id__in=bank_ids).delete()
        Task.objects.filter(bank_id__in=bank_ids).delete()
        # The built-in request types load_part seeded; a type with requests behind it stays (and so
        # does the bank: requests are a record the reset does not erase).
        ServiceRequestType.objects.filter(bank_id__in=bank_ids, requests__isnull=True).delete()


SEED_PART = SeedPart("workbench", 60, load_part, reset=reset_part)
