"""The workbench's part of the demo bank: a year of work for every demo manager (tasks and
appointments with their own customers: the past year done or held, a few cancelled or left
overdue, the next month open or planned, written with bulk_create from a seeded random plan, so
the same seed gives the same rows), then today's reminders of the demo customers, written by the
same generation the hourly job runs (workbench.reminders.services.generate), for each branch
zone's local today; the job's own runs later add nothing for those dates (one reminder per event
and lead). Then each demo bank's desk news: announcements written and published through their
services (a bank-wide one that asks for acknowledgement, approved by a checker; a bank-wide one
left waiting for the checker's decision; a branch's own notice), a few acknowledgements, and staff
conversations (a manager and their supervisor about a customer, a branch team, two managers of
different branches) with messages over the last days. --reset deletes the demo banks' tasks,
appointments, announcements (and their publish requests) and conversations (their staff are
PROTECTed). A second load without --reset is refused by the organisation's part, so nothing here
is written twice."""

import datetime
import random
import zoneinfo

from django.db import transaction
from django.utils import timezone

from customers.master.models import Customer
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.batch.per_bank import scopes
from ocrm.seed import SeedPart
from sysadmin.demo import FIXED_LOGINS
from sysadmin.org.models import Bank, Staff
from workbench.announcements import services as announcements
from workbench.announcements.models import Announcement, AnnouncementReceipt
from workbench.calendar.models import Appointment
from workbench.messaging import services as messaging
from workbench.messaging.models import Conversation, Message
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


# --- announcements and conversations --------------------------------------------------------------

FIXED_USERNAMES = {name for names in FIXED_LOGINS.values() for name in names}

ANNOUNCEMENTS = {
    # Bank-wide, asks for acknowledgement: published through the checker (maker-checker).
    "ack": {
        "kind": Announcement.Kind.BUSINESS,
        "title": "New anti-money-laundering checklist from Monday / 反洗钱核查清单下周一起启用",
        "body": (
            "<p>From Monday every account opening and every cash transaction above the reporting threshold is "
            "checked against the new AML checklist. Please read the attached procedure and acknowledge.</p>"
            "<p>自下周一起，所有开户及超过报告门槛的现金交易须按新版反洗钱核查清单办理。请阅读并确认。</p>"
        ),
        "requires_ack": True,
        "pinned": True,
    },
    # Bank-wide, left waiting for the checker (the administrator's inbox shows it).
    "pending": {
        "kind": Announcement.Kind.MARKETING,
        "title": "Year-end wealth campaign: 6-month deposit at a promotional rate / 年末财富季：六个月定期优惠利率",
        "body": (
            "<p>From the 15th: invite customers whose deposits mature this quarter.</p>"
            "<p>自 15 日起，请邀约本季度存款到期客户。</p>"
        ),
        "requires_ack": False,
        "pinned": False,
    },
    # The supervisor's own branch and the branches below it: published at once.
    "branch": {
        "kind": Announcement.Kind.SERVICE,
        "title": "Meeting rooms closed for renovation next week / 下周会议室装修暂停使用",
        "body": "<p>Book customer meetings in the ground-floor VIP room meanwhile.</p><p>期间客户会面请预约一楼贵宾室。</p>",
        "requires_ack": False,
        "pinned": False,
    },
}

CONVERSATIONS = {
    "customer": [
        "Could you join the portfolio review with this customer? Their deposit matures this month.",
        "Yes — send me the proposal first, I will check the risk profile.",
        "Sent. The customer prefers Thursday afternoon.",
        "Thursday 15:00 works. 我会准时参加。",
    ],
    "team": [
        "Reminder: weekly reports are due Friday evening. 本周工作报告请周五前提交。",
        "Noted. Two of my customers asked about the year-end campaign — is the rate final?",
        "Not yet: head office is approving it, you will see the announcement.",
        "Thanks! 收到。",
    ],
    "colleague": [
        "My customer is moving to your city next month and asked for a contact there.",
        "Happy to meet them. Is there anything special about the account?",
        "A maturing time deposit and a mortgage question. I will introduce you by e-mail.",
    ],
}


def _staff_with_role(bank_id, role, branch_code=None):
    """Active staff of the bank in this role (the fixed demo log-ins first, then by username)."""
    people = Staff.objects.filter(bank_id=bank_id, is_active=True, groups__name=role).select_related("branch")
    if branch_code is not None:
        people = people.filter(branch__code=branch_code)
    return sorted(people, key=lambda person: (person.username not in FIXED_USERNAMES, person.username))


def _supervisor_of(manager, supervisors):
    """The supervisor of the manager's branch or the nearest branch above it, else None."""
    best = None
    for supervisor in supervisors:
        if supervisor.branch_id and manager.branch and manager.branch.path.startswith(supervisor.branch.path):
            if best is None or len(supervisor.branch.path) > len(best.branch.path):
                best = supervisor
    return best


def desk_news(bank_id, rng, now):
    """The bank's announcements and conversations, written through their services. A bank without
    customers (seed_demo --customers none: the organisation alone, as the organisation's tests load
    it) gets none, as it gets no tasks: the desk is the work with customers."""
    made = {"announcements": 0, "acknowledged": 0, "conversations": 0, "messages": 0}
    if not Customer.objects.filter(bank_id=bank_id).exists():
        return made
    supervisors = _staff_with_role(bank_id, "branch_supervisor")
    managers = _staff_with_role(bank_id, "customer_manager")
    _announce(bank_id, now, supervisors, managers, made)
    _converse(bank_id, rng, now, supervisors, managers, made)
    return made


def _announce(bank_id, now, supervisors, managers, made):
    publishers = _staff_with_role(bank_id, "marketing_manager", "HO")
    checkers = [p for p in _staff_with_role(bank_id, "system_admin", "HO") if p.has_perm(announcements.CHECKER_PERM)]
    if publishers and checkers:
        maker, checker = publishers[0], checkers[0]
        for key in ("ack", "pending"):
            data = {**ANNOUNCEMENTS[key], "bank_wide": True, "valid_from": now - datetime.timedelta(days=2)}
            announcement = announcements.save_announcement(maker, data)
            announcement = announcements.publish(announcement.pk, maker, reason="Demo: for the whole bank")
            if key == "ack":
                approvals.approve(announcement.change_request_id, checker, "Checked")
                # A third of the supervisors and managers read and acknowledged it over the two days
                # (in one statement: the query count of the demo does not grow with its staff); the
                # fixed demo log-ins have not (their dashboard's today list asks them to).
                readers = [p for p in [*supervisors, *managers] if p.username not in FIXED_USERNAMES][::3]
                receipts = []
                for index, person in enumerate(readers):
                    read_at = now - datetime.timedelta(hours=2 + (index * 7) % 44)
                    receipts.append(
                        AnnouncementReceipt(
                            bank_id=bank_id, announcement=announcement, staff=person, opened_at=read_at, acknowledged_at=read_at
                        )
                    )
                made["acknowledged"] += len(AnnouncementReceipt.objects.bulk_create(receipts))
            made["announcements"] += 1
    if supervisors and supervisors[0].has_perm(announcements.PUBLISH_PERM):
        supervisor = supervisors[0]
        data = {**ANNOUNCEMENTS["branch"], "bank_wide": False, "branches": [supervisor.branch]}
        announcement = announcements.save_announcement(supervisor, data)
        announcements.publish(announcement.pk, supervisor)
        made["announcements"] += 1


def _converse(bank_id, rng, now, supervisors, managers, made):
    books = dict((manager.pk, customer_ids) for manager, customer_ids in _managers(bank_id))
    with_books = [m for m in managers if books.get(m.pk)]
    started = []
    # A manager and their supervisor about one of the manager's customers (the fixed log-ins first).
    for manager in with_books[:4]:
        supervisor = _supervisor_of(manager, supervisors)
        if supervisor is None:
            continue
        number = Customer.objects.get(pk=rng.choice(books[manager.pk])).number
        started.append(
            (manager, [supervisor], {"title": "", "customer_number": number}, CONVERSATIONS["customer"], [manager, supervisor])
        )
    # A branch team: the supervisor and the managers of the branch.
    if supervisors:
        lead = supervisors[0]
        team = [m for m in managers if m.branch_id == lead.branch_id][:5]
        if team:
            title = f"{lead.branch.name_en or lead.branch.name_local} team"
            started.append((lead, team, {"title": title}, CONVERSATIONS["team"], [lead, team[0], lead, team[-1]]))
    # Two managers of different branches about a customer moving.
    pair = next(
        ((a, b) for a in with_books for b in with_books if a.branch_id != b.branch_id),
        None,
    )
    if pair:
        a, b = pair
        number = Customer.objects.get(pk=rng.choice(books[a.pk])).number
        started.append((a, [b], {"title": "", "customer_number": number}, CONVERSATIONS["colleague"], [a, b, a]))
    for opener, others, options, texts, senders in started:
        conversation = messaging.start_conversation(opener, others, **options)
        made["conversations"] += 1
        # The messages of the last few days, oldest first: each an hour or so after the previous one.
        moment = now - datetime.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
        for text, sender in zip(texts, senders * len(texts), strict=False):
            message = messaging.send_message(conversation, sender, text)
            Message.objects.filter(pk=message.pk).update(sent_at=moment)
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=moment)
            moment += datetime.timedelta(minutes=rng.randint(20, 180))
            made["messages"] += 1


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
    news = {"announcements": 0, "acknowledged": 0, "conversations": 0, "messages": 0}
    with transaction.atomic():
        for bank_id in banks:
            for key, n in desk_news(bank_id, rng, now).items():
                news[key] += n
    if news["announcements"] or news["conversations"]:
        write(
            f"  desk        {news['announcements']} announcements ({news['acknowledged']} acknowledgements), "
            f"{news['conversations']} conversations with {news['messages']} messages"
        )
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
        Conversation.objects.filter(bank_id__in=bank_ids).delete()
        ChangeRequest.objects.filter(bank_id__in=bank_ids, action=announcements.ACTION_PUBLISH).delete()
        Announcement.objects.filter(bank_id__in=bank_ids).delete()
        Appointment.objects.filter(bank_id__in=bank_ids).delete()
        Task.objects.filter(bank_id__in=bank_ids).delete()
        # The built-in request types load_part seeded; a type with requests behind it stays (and so
        # does the bank: requests are a record the reset does not erase).
        ServiceRequestType.objects.filter(bank_id__in=bank_ids, requests__isnull=True).delete()


SEED_PART = SeedPart("workbench", 60, load_part, reset=reset_part)
