"""Cross-border requests: submit, the status machine, acceptance and reassignment in the receiving
branch, messages, minimal temporary sharing, and the SLA clock of the receiving branch."""

import datetime
import hashlib
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crossborder.agreements import services as agreements
from crossborder.requests import events
from crossborder.requests.clock import BusinessCalendar, from_ts, parse_hhmm, parse_lunch, to_ts
from crossborder.requests.models import CLOSED_STATUSES, CrossBorderRequest, RequestAttachment, RequestEvent, RequestMessage
from crossborder.requests.signals import request_completed
from customers.master.models import Customer
from ocrm import parameters
from ocrm.errors import NotVisible, Refused
from sysadmin.org.models import Branch, Holiday, Staff

S = CrossBorderRequest.Status
OFFICER_ROLE = "crossborder_officer"
OFFICER_PERMISSION = "handle_crossborder_request"  # crossborder.*, given to OFFICER_ROLE in sysadmin.roles

# status -> {target status: side allowed to move it}
TRANSITIONS = {
    S.SUBMITTED: {S.ACCEPTED: "receiver", S.DECLINED: "receiver", S.CANCELLED: "requester"},
    S.ACCEPTED: {S.IN_PROGRESS: "receiver", S.WAITING: "receiver", S.DECLINED: "receiver", S.CANCELLED: "requester"},
    S.IN_PROGRESS: {S.WAITING: "receiver", S.COMPLETED: "receiver", S.CANCELLED: "requester"},
    S.WAITING: {S.IN_PROGRESS: "either", S.COMPLETED: "receiver", S.CANCELLED: "requester"},
}

# ---------------------------------------------------------------- the clock

CALENDAR_DAYS_BEFORE = 14
CALENDAR_DAYS_AFTER = 180


def calendar_for(branch, around):
    """The receiving branch's business calendar around the moment `around` (UTC datetime)."""
    day = around.astimezone(branch.tzinfo).date()
    first = day - datetime.timedelta(days=CALENDAR_DAYS_BEFORE)
    last = day + datetime.timedelta(days=CALENDAR_DAYS_AFTER)
    holidays = Holiday.objects.filter(bank_id=branch.bank_id, date__range=(first, last)).filter(
        Q(branch=branch) | Q(branch__isnull=True, country=branch.country)
    )
    return BusinessCalendar(
        branch.timezone,
        working_week=branch.working_week,
        holidays=set(holidays.values_list("date", flat=True)),
        opening=parse_hhmm(parameters.get("crossborder.opening_time", branch.bank_id)),
        closing=parse_hhmm(parameters.get("crossborder.closing_time", branch.bank_id)),
        lunch=parse_lunch(parameters.get("crossborder.lunch_break", branch.bank_id)),
        first_day=first,
        last_day=last,
    )


def calendars_for(spans):
    """{branch id: BusinessCalendar} covering each branch's (from, to) UTC datetimes (a day of
    margin either side): the statistics' business hours of many requests in two queries."""
    if not spans:
        return {}
    branches = Branch.objects.in_bulk(spans)
    days = {}
    for pk, (low, high) in spans.items():
        zone = branches[pk].tzinfo
        days[pk] = (
            low.astimezone(zone).date() - datetime.timedelta(days=1),
            high.astimezone(zone).date() + datetime.timedelta(days=1),
        )
    first, last = min(d[0] for d in days.values()), max(d[1] for d in days.values())
    holidays = {}
    branch_of = {(b.bank_id, b.country): [] for b in branches.values()}
    for b in branches.values():
        branch_of[(b.bank_id, b.country)].append(b.pk)
    wanted = Q(branch_id__in=list(branches))
    for bank_id, country in branch_of:
        wanted |= Q(bank_id=bank_id, branch__isnull=True, country=country)
    for bank_id, country, branch_id, day in Holiday.objects.filter(wanted, date__range=(first, last)).values_list(
        "bank_id", "country", "branch_id", "date"
    ):
        for pk in [branch_id] if branch_id else branch_of.get((bank_id, country), []):
            holidays.setdefault(pk, set()).add(day)
    calendars = {}
    for pk, branch in branches.items():
        bank = branch.bank_id
        calendars[pk] = BusinessCalendar(
            branch.timezone,
            working_week=branch.working_week,
            holidays=holidays.get(pk, ()),
            opening=parse_hhmm(parameters.get("crossborder.opening_time", bank)),
            closing=parse_hhmm(parameters.get("crossborder.closing_time", bank)),
            lunch=parse_lunch(parameters.get("crossborder.lunch_break", bank)),
            first_day=days[pk][0],
            last_day=days[pk][1],
        )
    return calendars


def deadline(request, now=None):
    """What both sides see: due time in each side's zone, business seconds remaining, used share."""
    now = now or timezone.now()
    calendar = calendar_for(request.to_branch, request.submitted_at)
    remaining = calendar.business_seconds_between(to_ts(now), to_ts(request.due_at))
    used = request.sla_seconds - max(remaining, 0)
    return {
        "due_utc": request.due_at,
        "due_receiving": request.due_at.astimezone(request.to_branch.tzinfo),
        "due_requesting": request.due_at.astimezone(request.from_branch.tzinfo),
        "business_seconds_remaining": remaining,
        "business_hours_remaining": round(remaining / 3600, 1),
        "used_fraction": used / request.sla_seconds if request.sla_seconds else 1,
    }


# ---------------------------------------------------------------- sides and access


def side_of(user, request):
    if user.is_superuser:
        return "requester"
    if user.bank_id == request.bank_id and user.bank_id != request.to_bank_id:
        return "requester"
    if user.bank_id == request.to_bank_id and user.bank_id != request.bank_id:
        return "receiver"
    # Same bank: the receiving branch's people are the receiver.
    if user.branch_id and request.to_branch.path and user.branch.path.startswith(request.to_branch.path):
        return "receiver"
    return "requester"


def get_request(user, pk, *, for_update=False):
    """The request if the user may see it now; a partner bank's user loses it the moment the
    agreement stops being in force."""
    queryset = CrossBorderRequest.objects.visible_to(user).select_related(
        "from_branch", "to_branch", "service_type", "customer", "bank", "to_bank"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    request = queryset.filter(pk=pk).first()
    if request is None:
        raise NotVisible()
    if (
        request.bank_id != request.to_bank_id
        and not user.is_superuser
        and not agreements.in_force(request.bank_id, request.to_bank_id)
        and user.bank_id == request.to_bank_id
    ):
        raise NotVisible()
    return request


def is_officer(user, branch):
    return user.branch_id == branch.pk and user.has_perm(f"crossborder.{OFFICER_PERMISSION}")


def officers_of(branch):
    """The active staff of the branch holding the officer permission (by a role or on their own)."""
    holds = Q(groups__permissions__codename=OFFICER_PERMISSION, groups__permissions__content_type__app_label="crossborder") | Q(
        user_permissions__codename=OFFICER_PERMISSION, user_permissions__content_type__app_label="crossborder"
    )
    return Staff.objects.filter(branch=branch, is_active=True).filter(pk__in=Staff.objects.filter(holds).values("pk"))


def _log(request, actor, action, before="", after="", note=""):
    RequestEvent.objects.create(request=request, actor=actor, action=action, from_status=before, to_status=after, note=note)
    events.request_changed(request, actor, f"crossborder_{action}", status=after or request.status)


# ---------------------------------------------------------------- submit


def _validate_form(service_type, form_data):
    errors = {}
    known = {field["name"] for field in service_type.form_fields}
    for field in service_type.form_fields:
        if field.get("required") and not str(form_data.get(field["name"], "")).strip():
            errors[field["name"]] = _("%(field)s is required for this service.") % {"field": field["label_en"]}
    unknown = set(form_data) - known
    if unknown:
        errors["form_data"] = _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
    return errors


@transaction.atomic
def submit(user, *, customer_id, to_branch, service_type, form_data=None, shared_parts=(), now=None):
    now = now or timezone.now()
    form_data = dict(form_data or {})
    customer = Customer.objects.visible_to(user).filter(pk=customer_id).first()
    if customer is None:
        raise NotVisible()
    from_branch = user.branch
    if from_branch is None:
        raise Refused(_("Only staff of a branch may send a cross-border request."))
    if str(to_branch.country) == str(from_branch.country):
        raise Refused(_("The receiving branch must be in another country."))
    if not to_branch.is_active:
        raise Refused(_("The receiving branch is closed."))
    if not agreements.in_force(user.bank_id, to_branch.bank_id):
        raise Refused(_("There is no cross-border agreement in force with the receiving branch's bank."))
    if not service_type.is_active:
        raise Refused(_("This service is no longer offered."))
    errors = _validate_form(service_type, form_data)
    valid_parts = set(CrossBorderRequest.SharedPart.values)
    parts = list(dict.fromkeys(shared_parts))
    if any(part not in valid_parts for part in parts):
        errors["shared_parts"] = _("Choose the shared parts from the list.")
    if CrossBorderRequest.SharedPart.IDENTITY_FULL in parts and CrossBorderRequest.SharedPart.IDENTITY in parts:
        parts.remove(CrossBorderRequest.SharedPart.IDENTITY)
    if errors:
        raise ValidationError(errors)
    sla_seconds = int(service_type.sla_hours * 3600)
    calendar = calendar_for(to_branch, now)
    due = from_ts(calendar.due(to_ts(now), sla_seconds))
    request = CrossBorderRequest.objects.create(
        bank_id=user.bank_id,
        from_branch=from_branch,
        to_bank_id=to_branch.bank_id,
        to_branch=to_branch,
        service_type=service_type,
        customer=customer,
        requested_by=user,
        form_data=form_data,
        shared_parts=parts,
        submitted_at=now,
        sla_seconds=sla_seconds,
        due_at=due,
    )
    _log(request, user, "submitted", "", S.SUBMITTED)
    return request


# ---------------------------------------------------------------- status machine


def _move(user, request, target, note=""):
    allowed = TRANSITIONS.get(request.status, {})
    if target not in allowed:
        raise Refused(
            _("A request that is %(current)s cannot become %(target)s.")
            % {"current": request.get_status_display(), "target": S(target).label}
        )
    side = side_of(user, request)
    who = allowed[target]
    if who != "either" and who != side:
        raise PermissionDenied(_("Only the other side may do this."))
    if side == "receiver" and not (user.is_superuser or request.assigned_to_id == user.pk or is_officer(user, request.to_branch)):
        raise PermissionDenied(_("Only a cross-border officer of the receiving branch may do this."))
    before = request.status
    request.status = target
    if target in CLOSED_STATUSES:
        request.closed_at = timezone.now()
        days = parameters.get("crossborder.sharing_days", request.to_bank_id)
        request.sharing_ends_at = request.closed_at + datetime.timedelta(days=days)
    request.save()
    _log(request, user, f"status_{target}", before, target, note)
    return request


@transaction.atomic
def accept(user, pk):
    request = get_request(user, pk, for_update=True)
    if not user.is_superuser and not is_officer(user, request.to_branch):
        raise PermissionDenied(_("Only a cross-border officer of the receiving branch may accept a request."))
    request.assigned_to = user
    request.accepted_at = timezone.now()
    return _move(user, request, S.ACCEPTED)


@transaction.atomic
def transition(user, pk, target, note=""):
    if target in (S.ACCEPTED, S.COMPLETED):
        raise Refused(_("Use accept or complete for this."))
    return _move(user, get_request(user, pk, for_update=True), target, note)


@transaction.atomic
def complete(user, pk, *, fee_amount_minor=None, fee_currency="", note=""):
    request = get_request(user, pk, for_update=True)
    if fee_amount_minor is not None:
        if fee_amount_minor < 0:
            raise ValidationError({"fee_amount_minor": _("The fee cannot be negative.")})
        if len(fee_currency) != 3 or not fee_currency.isalpha():
            raise ValidationError({"fee_currency": _("Use a three-letter ISO 4217 code.")})
        request.fee_amount_minor = fee_amount_minor
        request.fee_currency = fee_currency.upper()
    _move(user, request, S.COMPLETED, note)
    if request.fee_amount_minor:
        booked_on = request.closed_at.astimezone(request.to_branch.tzinfo).date()
        transaction.on_commit(
            lambda: request_completed.send(
                sender=CrossBorderRequest,
                bank_id=request.bank_id,
                request_id=request.pk,
                originating_branch_id=request.from_branch_id,
                servicing_branch_id=request.to_branch_id,
                servicing_bank_id=request.to_bank_id,
                customer_id=request.customer_id,
                fee_type="crossborder_service",
                amount_minor=request.fee_amount_minor,
                currency=request.fee_currency,
                booked_on=booked_on,
            )
        )
    return request


@transaction.atomic
def reassign(user, pk, staff_id):
    request = get_request(user, pk, for_update=True)
    if side_of(user, request) != "receiver" or not (user.is_superuser or is_officer(user, request.to_branch)):
        raise PermissionDenied(_("Only a cross-border officer of the receiving branch may reassign a request."))
    if not request.is_open:
        raise Refused(_("A closed request cannot be reassigned."))
    staff = officers_of(request.to_branch).filter(pk=staff_id).first()
    if staff is None:
        raise ValidationError({"assigned_to": _("Choose a cross-border officer of the receiving branch.")})
    request.assigned_to = staff
    request.save(update_fields=["assigned_to"])
    _log(request, user, "reassigned", note=staff.get_full_name() or staff.username)
    return request


@transaction.atomic
def post_message(user, pk, body):
    request = get_request(user, pk)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if not request.is_open:
        raise Refused(_("A closed request takes no more messages."))
    return RequestMessage.objects.create(request=request, author=user, body=body[:5000])


# ---------------------------------------------------------------- minimal sharing


def sharing_open(request, now=None):
    now = now or timezone.now()
    return request.is_open or (request.sharing_ends_at is not None and now < request.sharing_ends_at)


def shared_record(user, pk, now=None):
    """Exactly the parts the requester chose, for the receiving side, while sharing lasts; every
    look is written to both banks' audit logs. The requesting side reads its own customer pages."""
    request = get_request(user, pk)
    if side_of(user, request) != "receiver" and not user.is_superuser:
        raise PermissionDenied(_("The shared record is what the receiving side sees."))
    if not sharing_open(request, now):
        raise Refused(_("The sharing period of this request has ended."))
    customer = request.customer
    parts = request.shared_parts
    record = {}
    if "profile" in parts:
        record["profile"] = {
            "name": customer.name_local,
            "name_latin": customer.name_latin,
            "kind": customer.get_kind_display(),
            "tier": customer.get_tier_display(),
            "risk_level": customer.risk_level,
        }
    if "identity" in parts or "identity_full" in parts:
        full = "identity_full" in parts
        record["identity"] = [
            {
                "type": doc.get_doc_type_display(),
                "number": doc.clear_number() if full else doc.number_masked,
                "country": str(doc.issuing_country),
                "expiry": doc.expiry_date,
            }
            for doc in customer.identity_documents.all()
        ]
    if "holdings" in parts:
        record["holdings"] = list(
            customer.holdings.exclude(status="closed")
            .values("product__product_type", "currency")
            .annotate(accounts=Count("id"), balance=Sum("balance"))
            .order_by("product__product_type", "currency")
        )
    events.shared_viewed(request, user, record.keys())
    return request, record


# ---------------------------------------------------------------- attachments

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024

# The file's type comes from its first bytes, never from its name or the browser's word.
_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]


def sniff_type(head):
    return next((content_type for signature, content_type in _SIGNATURES if head.startswith(signature)), None)


@transaction.atomic
def add_attachment(user, pk, uploaded, document_kind=""):
    """A file from either side of an open request (PDF, PNG, JPEG or GIF, at most 5 MB); the
    document it stands for is one of the service's required documents, or none."""
    request = get_request(user, pk, for_update=True)
    side = side_of(user, request)
    if not request.is_open:
        raise Refused(_("A closed request takes no more attachments."))
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file.")})
    data = uploaded.read(MAX_ATTACHMENT_BYTES + 1)
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB.")})
    content_type = sniff_type(data[:16])
    if content_type is None:
        raise ValidationError({"file": _("Only PDF files and PNG, JPEG or GIF images are accepted.")})
    document_kind = (document_kind or "").strip()
    if document_kind and document_kind not in (request.service_type.required_documents or []):
        raise ValidationError({"document_kind": _("Choose one of the service's documents, or none.")})
    digest = hashlib.sha256(data).hexdigest()
    name = os.path.basename(getattr(uploaded, "name", "") or "file")[:200]
    attachment = RequestAttachment(
        request=request,
        side=side,
        document_kind=document_kind,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=user,
    )
    attachment.file.save(f"xborder-{request.pk}-{digest[:16]}", ContentFile(data), save=False)
    attachment.save()
    _log(request, user, "attachment_added", note=name)
    return attachment


def open_attachment(user, pk, attachment_id):
    """(attachment, open file) for either side of the request; the receiving side only while the
    sharing lasts. Every opening is audited in both banks. NotVisible otherwise."""
    request = get_request(user, pk)
    if side_of(user, request) == "receiver" and not user.is_superuser and not sharing_open(request):
        raise NotVisible()
    attachment = RequestAttachment.objects.filter(request=request, pk=attachment_id).first()
    if attachment is None:
        raise NotVisible()
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotVisible() from None
    events.attachment_viewed(request, user, attachment)
    return attachment, handle
