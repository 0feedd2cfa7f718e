"""Requests that book a branch appointment (预约; the built-in type "appointment"): the date and
time are the branch's local wall clock, on a working day of the branch (its working week, its and
its country's holidays), within servicerequests.appointment_hours, and the slot has room
(servicerequests.appointment_slot_capacity among the requests still alive). When the customer
confirms, the appointment enters the preparing manager's diary (workbench.calendar)."""

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm import parameters
from ocrm.errors import NotVisible
from sysadmin.org.models import Branch

APPOINTMENT_CODES = {"appointment"}
SLOT_MINUTES = 30
ALIVE = ("sent", "confirmed", "processing")


def needs_appointment(request_type):
    return request_type.code in APPOINTMENT_CODES


def _hours(bank_id):
    raw = str(parameters.get("servicerequests.appointment_hours", bank_id) or "09:00-17:00")
    try:
        opens, closes = (datetime.time.fromisoformat(part.strip()) for part in raw.split("-", 1))
    except ValueError:
        opens, closes = datetime.time(9), datetime.time(17)
    return opens, closes


def branch_of(bank_id, code):
    return Branch.objects.filter(bank_id=bank_id, code=code).first()


def start_of(branch, content):
    zone = zoneinfo.ZoneInfo(branch.timezone)
    day = datetime.date.fromisoformat(content["date"])
    at = datetime.time.fromisoformat(content["time"])
    return datetime.datetime.combine(day, at, tzinfo=zone)


def check(request_type, customer, content, exclude_pk=None, now=None):
    """ValidationError naming the field when the appointment cannot be taken."""
    from workbench.servicerequests.models import ServiceRequest  # noqa: PLC0415 - models import this module's caller

    if not needs_appointment(request_type) or not {"branch", "date", "time"} <= content.keys():
        return
    branch = branch_of(customer.bank_id, content["branch"])
    if branch is None:
        raise ValidationError({"branch": _("There is no branch with the code %(code)s.") % {"code": content["branch"]}})
    start = start_of(branch, content)
    if start <= (now or timezone.now()):
        raise ValidationError({"date": _("The appointment must be in the future.")})
    day = start.date()
    if not branch.is_working_day(day):
        raise ValidationError({"date": _("%(branch)s is closed on %(date)s.") % {"branch": branch.name_local, "date": day}})
    opens, closes = _hours(customer.bank_id)
    if not opens <= start.time() < closes:
        raise ValidationError(
            {
                "time": _("%(branch)s takes appointments from %(opens)s to %(closes)s.")
                % {"branch": branch.name_local, "opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}
            }
        )
    capacity = int(parameters.get("servicerequests.appointment_slot_capacity", customer.bank_id) or 0)
    taken = ServiceRequest.objects.filter(
        bank_id=customer.bank_id,
        request_type__code__in=APPOINTMENT_CODES,
        status__in=ALIVE,
        content__branch=content["branch"],
        content__date=content["date"],
        content__time=content["time"],
    )
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.count() >= capacity:
        raise ValidationError({"time": _("This time at %(branch)s is fully booked.") % {"branch": branch.name_local}})


def book(request):
    """On confirmation: the appointment in the preparing manager's diary (best effort: a manager who
    left or lost the customer from their scope gets none; the request itself stands)."""
    from workbench.calendar import services as calendar  # noqa: PLC0415 - kept lazy for app loading
    from workbench.calendar.models import Appointment  # noqa: PLC0415

    if not needs_appointment(request.request_type):
        return None
    branch = branch_of(request.bank_id, request.content.get("branch", ""))
    if branch is None:
        return None
    start = start_of(branch, request.content)
    try:
        with transaction.atomic():
            return calendar.create_appointment(
                request.created_by,
                title=f"{request.reference} {request.content.get('purpose', '')}".strip(),
                start=start,
                end=start + datetime.timedelta(minutes=SLOT_MINUTES),
                customer=request.customer,
                location=branch.name_local,
                channel=Appointment.Channel.BRANCH,
            )
    except (ValidationError, NotVisible):
        return None
