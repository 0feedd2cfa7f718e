"""Service requests: the state machine, hash-bound confirmation, steps with attachments and the
tamper-evident operation log. Views, the channel API and batch jobs all go through here."""

import datetime
import hashlib
import json
import secrets
import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.master.models import Customer
from ocrm import labels, parameters
from ocrm.errors import NotVisible, Refused
from sysadmin.org.models import Branch
from workbench.servicerequests import appointments
from workbench.servicerequests.models import (
    ServiceRequest,
    ServiceRequestAttachment,
    ServiceRequestLogEntry,
    ServiceRequestType,
)

S = ServiceRequest.Status
GENESIS = "0" * 64
DEFAULT_EXPIRY_DAYS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024

# Only these moves exist; everything else is refused with a message naming both states.
TRANSITIONS = {
    S.DRAFT: {S.SENT, S.CANCELLED},
    S.SENT: {S.SENT, S.CONFIRMED, S.DECLINED, S.EXPIRED, S.CANCELLED},
    S.CONFIRMED: {S.PROCESSING, S.CANCELLED},
    S.DECLINED: set(),
    S.EXPIRED: set(),
    S.PROCESSING: {S.COMPLETED, S.REJECTED, S.CANCELLED},
    S.COMPLETED: set(),
    S.REJECTED: set(),
    S.CANCELLED: set(),
}


# --- hashing -----------------------------------------------------------------------


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def content_hash(content):
    """What the customer confirms: sha256 of the canonical JSON of the pre-filled content."""
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def _entry_hash(previous_hash, sequence, at, actor_id, event, detail):
    body = canonical_json(
        {"prev": previous_hash, "seq": sequence, "at": at.isoformat(), "actor": actor_id, "event": event, "detail": detail}
    )
    return hashlib.sha256(body.encode()).hexdigest()


# --- the log -----------------------------------------------------------------------


def _log(request, event, actor=None, actor_label="", **detail):
    """Append one chained entry; callers hold the request's row lock, so sequences do not race."""
    last = request.log_entries.order_by("-sequence").first()
    sequence = (last.sequence + 1) if last else 1
    previous = last.entry_hash if last else GENESIS
    at = timezone.now()
    detail = json.loads(canonical_json(detail))
    actor_id = actor.pk if actor else None
    return ServiceRequestLogEntry.objects.create(
        request=request,
        sequence=sequence,
        at=at,
        actor=actor,
        actor_label=actor_label or (str(actor) if actor else ""),
        event=event,
        detail=detail,
        previous_hash=previous,
        entry_hash=_entry_hash(previous, sequence, at, actor_id, event, detail),
    )


def verify_log(request):
    """(True, None) when the chain is intact, else (False, the first bad entry's sequence and why)."""
    previous = GENESIS
    expected_sequence = 1
    for entry in request.log_entries.order_by("sequence"):
        if entry.sequence != expected_sequence:
            return False, (expected_sequence, "missing entry")
        if entry.previous_hash != previous:
            return False, (entry.sequence, "previous hash does not match")
        recomputed = _entry_hash(previous, entry.sequence, entry.at, entry.actor_id, entry.event, entry.detail)
        if recomputed != entry.entry_hash:
            return False, (entry.sequence, "entry altered")
        previous = entry.entry_hash
        expected_sequence += 1
    return True, None


# --- content -----------------------------------------------------------------------


def _coerce(field, value, bank_id):
    """One field's value in its stored form, or ValueError."""
    kind = field.get("type", "text")
    if kind in ("number", "decimal"):
        number = Decimal(str(value))
        if not number.is_finite() or ("min" in field and number < Decimal(str(field["min"]))):
            raise ValueError
        return str(number)
    if kind == "date":
        return datetime.date.fromisoformat(str(value)).isoformat()
    if kind == "time":
        return datetime.time.fromisoformat(str(value)).isoformat(timespec="minutes")
    if kind == "choice" and str(value) not in [str(c) for c in field.get("choices", [])]:
        raise ValueError
    if kind == "branch":
        value = str(value).strip()
        if not Branch.objects.filter(bank_id=bank_id, code=value, is_active=True).exists():
            raise ValueError
        return value
    return str(value)[:500]


def clean_content(request_type, data, customer=None):
    """Validate `data` against the type's form schema; fill defaults from the customer record.
    A "branch" field holds the code of an active branch of the type's bank. Errors name the field
    (its label in the active language)."""
    errors = {}
    cleaned = {}
    for field in request_type.form_schema:
        name = field["name"]
        label = _(field.get("label") or name)
        value = data.get(name)
        if value in (None, "") and field.get("default_from") and customer is not None:
            value = getattr(customer, field["default_from"], None)
        if value in (None, ""):
            if field.get("required"):
                errors[name] = _("%(field)s is required.") % {"field": label}
            continue
        try:
            cleaned[name] = _coerce(field, value, request_type.bank_id)
        except (ValueError, ArithmeticError):
            errors[name] = _("%(field)s: %(value)s is not a valid value.") % {"field": label, "value": str(value)[:40]}
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- state machine -----------------------------------------------------------------


def _move(request, to, actor=None, actor_label="", **detail):
    current = S(request.status)
    if to not in TRANSITIONS[current]:
        raise Refused(
            _("A request that is %(current)s cannot become %(target)s.") % {"current": current.label, "target": S(to).label}
        )
    request.status = to
    _log(request, f"status:{to}", actor=actor, actor_label=actor_label, previous=str(current), **detail)
    _after_status_change(request)


_status_listeners = []


def on_status_change(listener):
    """Notifications, SMS and webhooks register here (called inside the transaction, use on_commit)."""
    _status_listeners.append(listener)


def _after_status_change(request):
    for listener in _status_listeners:
        listener(request)


def _locked(request_or_pk, user=None):
    pk = getattr(request_or_pk, "pk", request_or_pk)
    rows = ServiceRequest.objects.select_for_update()
    if user is not None:
        rows = rows.filter(pk__in=ServiceRequest.objects.visible_to(user).values("pk"))
    try:
        return rows.get(pk=pk)
    except ServiceRequest.DoesNotExist:
        raise NotVisible() from None


def _locked_for_performer(request_or_pk, user):
    """The request locked, when the user takes part in its processing (participant_queryset), else
    NotVisible (404); what the state and the step's role allow is checked after, with a message."""
    pk = getattr(request_or_pk, "pk", request_or_pk)
    request = (
        participant_queryset(user)
        .select_for_update(of=("self",))
        .select_related("request_type", "customer__branch")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise NotVisible()
    return request


def roles_of(user):
    # Roles are Django groups named by the role code (sysadmin.roles); memoised on the request's user.
    if "_svcreq_roles" not in user.__dict__:
        user.__dict__["_svcreq_roles"] = set(user.groups.values_list("name", flat=True))
    return user.__dict__["_svcreq_roles"]


def performer_queryset(user, role=None):
    """The back-office scope (who works on the steps): requests of the user's bank that are confirmed
    or in processing, whose current step (the first while confirmed) is performed by a role the user
    holds (`role`: that one only), at a processing branch in the user's subtree. It does not follow the
    customer: a teller sees no customer record, only these requests' form content, masked as the
    user's permissions say. A superuser sees every request (and performs every role)."""
    rows = ServiceRequest.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return rows.none()
    if user.is_superuser:
        return rows.filter(step_role=role) if role else rows
    roles = roles_of(user)
    if role is not None:
        roles = roles & {role}
    if not roles or user.bank_id is None or user.branch_id is None:
        return rows.none()
    return rows.filter(
        bank_id=user.bank_id,
        status__in=(S.CONFIRMED, S.PROCESSING),
        step_role__in=sorted(roles),
        processing_branch__path__startswith=user.branch.path,
    )


def participant_queryset(user):
    """Who may open a request's step page and act on it (each action then checks the state and the
    current step's role, with a message): staff of the request's bank holding a role that performs
    one of its type's steps, at a processing branch in their subtree. A superuser: every request."""
    rows = ServiceRequest.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return rows.none()
    if user.is_superuser:
        return rows
    roles = roles_of(user)
    if not roles or user.bank_id is None or user.branch_id is None:
        return rows.none()
    performs = Q()
    for role in sorted(roles):
        performs |= Q(request_type__steps__contains=[{"role": role}])
    return rows.filter(performs, bank_id=user.bank_id, processing_branch__path__startswith=user.branch.path)


def performer_may_see(user, request):
    """Whether the user takes part in processing `request` (the step pages; the permission sweep asks too)."""
    return participant_queryset(user).filter(pk=request.pk).exists()


def processing_branch(request_type, customer, content):
    """Where the request is processed: the branch its form names (a "branch" field: the pick-up or
    appointment branch), else the customer's branch."""
    for field in request_type.form_schema:
        if field.get("type") == "branch" and content.get(field["name"]):
            found = Branch.objects.filter(bank_id=customer.bank_id, code=content[field["name"]]).first()
            if found is not None:
                return found
    return customer.branch


def step_role(request):
    """The role of the step to pick up: the current step's in processing, the first one's while
    confirmed, nobody's otherwise."""
    steps = request.request_type.steps or []
    if request.status == S.CONFIRMED:
        return (steps[0].get("role") or "") if steps else ""
    if request.status == S.PROCESSING and request.step_index < len(steps):
        return steps[request.step_index].get("role") or ""
    return ""


def _step_started(request, now=None):
    """A step begins (or the request leaves processing): its role, its due moment, no reminder yet."""
    now = now or timezone.now()
    request.step_role = step_role(request)
    step = _step(request) if request.status == S.PROCESSING else None
    request.step_started_at = now if step is not None else request.step_started_at
    hours = step.get("hours") if step else None
    request.step_due_at = now + datetime.timedelta(hours=hours) if isinstance(hours, int | float) and hours > 0 else None
    request.step_reminded_at = None


def _new_reference():
    return "SR" + timezone.now().strftime("%y%m%d") + secrets.token_hex(4).upper()


@transaction.atomic
def create_request(user, customer, request_type, data):
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise NotVisible()
    if request_type.bank_id != customer.bank_id or not request_type.active:
        raise Refused(_("This type of request is not offered to this customer."))
    content = clean_content(request_type, data, customer)
    appointments.check(request_type, customer, content)
    request = ServiceRequest.objects.create(
        bank_id=customer.bank_id,
        reference=_new_reference(),
        request_type=request_type,
        customer=customer,
        created_by=user,
        content=content,
        content_hash=content_hash(content),
        processing_branch=processing_branch(request_type, customer, content),
    )
    _log(request, "created", actor=user, content=content)
    return request


def expiry_moment(customer, sent_at, days=DEFAULT_EXPIRY_DAYS):
    """The end of the customer's branch's local day `days` days after sending, as an instant."""
    zone = zoneinfo.ZoneInfo(customer.branch.timezone)
    local_day = sent_at.astimezone(zone).date() + datetime.timedelta(days=days + 1)
    return datetime.datetime.combine(local_day, datetime.time(0), tzinfo=zone)


def _expiry_days(bank):
    try:
        return int(parameters.get("servicerequests.expiry_days", bank=bank))
    except Exception:  # the parameter is not declared (older databases): the documented default
        return DEFAULT_EXPIRY_DAYS


@transaction.atomic
def send(user, request):
    request = _locked(request, user)
    now = timezone.now()
    _move(request, S.SENT, actor=user, version=request.version, hash=request.content_hash)
    request.sent_at = now
    request.expires_at = expiry_moment(request.customer, now, _expiry_days(request.bank))
    request.save()
    return request


@transaction.atomic
def edit(user, request, data):
    """Change the content. After sending, the pending confirmation is void: a new version is sent."""
    request = _locked(request, user)
    if request.status not in (S.DRAFT, S.SENT):
        raise Refused(_("Only a draft or a request waiting for the customer can be changed."))
    content = clean_content(request.request_type, data, request.customer)
    if content == request.content:
        return request
    appointments.check(request.request_type, request.customer, content, exclude_pk=request.pk)
    request.content = content
    request.content_hash = content_hash(content)
    request.processing_branch = processing_branch(request.request_type, request.customer, content)
    request.version += 1
    _log(request, "edited", actor=user, content=content, version=request.version)
    if request.status == S.SENT:
        now = timezone.now()
        _move(request, S.SENT, actor=user, version=request.version, hash=request.content_hash)
        request.sent_at = now
        request.expires_at = expiry_moment(request.customer, now, _expiry_days(request.bank))
    request.save()
    return request


def pending_for_customer(customer):
    return ServiceRequest.objects.filter(customer=customer, status=S.SENT, expires_at__gt=timezone.now())


@transaction.atomic
def confirm(customer, reference, confirmed_hash, channel, fix_content=None):
    """The customer confirms the exact content they saw. Exactly one of many concurrent calls wins."""
    try:
        request = ServiceRequest.objects.select_for_update().get(customer=customer, reference=reference)
    except ServiceRequest.DoesNotExist:
        raise NotVisible() from None
    if request.status != S.SENT:
        raise Refused(_("This request is not waiting for confirmation."))
    if request.expires_at and request.expires_at <= timezone.now():
        raise Refused(_("This request has expired."))
    if confirmed_hash != request.content_hash:
        raise Refused(_("The request was changed after it was sent; confirm the current version."))
    channels = request.request_type.channels
    if channels and channel not in channels:
        raise Refused(_("This request cannot be confirmed through this channel."))
    fix_content = {**fx_fix(request), **(fix_content or {})}
    if fix_content:
        # e.g. the FX rate shown at confirmation is fixed into the request (outside the confirmed hash)
        request.content = {**request.content, **fix_content}
    now = timezone.now()
    request.confirmed_at = now
    request.confirmed_channel = channel
    _move(request, S.CONFIRMED, actor_label=f"customer via {channel}", hash=confirmed_hash, fixed=fix_content or {})
    request.step_role = step_role(request)  # the first step's role picks it up (the back-office queue)
    request.save()
    appointment = appointments.book(request)
    if appointment is not None:
        _log(request, "appointment_booked", actor_label="system", start=appointment.start.isoformat())
    return request


def fx_quote(request, now=None):
    """The board's rate for the request's currency now (the bank's cash selling rate, else its
    middle rate), as {"fx_rate", "fx_rate_effective_at"}; {} when the request has no foreign
    currency or the board has no rate for it."""
    from customers.fx import services as fx  # noqa: PLC0415 - kept lazy for app loading

    currency = (request.content or {}).get("currency")
    if not currency:
        return {}
    for rate in fx.board_rates(request.bank_id, now):
        if rate.currency == currency:
            value = rate.sell_cash if rate.sell_cash is not None else rate.rate
            return {"fx_rate": str(value), "fx_rate_effective_at": rate.effective_at.isoformat()}
    return {}


def fx_fix(request):
    """What confirmation fixes into a currency request: the board's rate at that moment."""
    if "currency" not in (request.content or {}):
        return {}
    return fx_quote(request) or {"fx_rate": None}


@transaction.atomic
def decline(customer, reference, confirmed_hash, channel):
    try:
        request = ServiceRequest.objects.select_for_update().get(customer=customer, reference=reference)
    except ServiceRequest.DoesNotExist:
        raise NotVisible() from None
    if request.status == S.SENT and confirmed_hash != request.content_hash:
        raise Refused(_("The request was changed after it was sent; confirm the current version."))
    _move(request, S.DECLINED, actor_label=f"customer via {channel}", hash=confirmed_hash)
    request.save()
    return request


def _step(request):
    steps = request.request_type.steps
    return steps[request.step_index] if request.step_index < len(steps) else None


def _check_role(user, step):
    role = (step or {}).get("role")
    if role and not user.is_superuser and role not in roles_of(user):
        raise Refused(_("This step is performed by the role %(role)s.") % {"role": role_label(role)})


def role_label(role):
    """A role's name for people (the kernel's registry, filled by sysadmin)."""
    return str(labels.role_label(role)) if role else ""


def _processing(request):
    if request.status != S.PROCESSING:
        raise Refused(_("Only a request in processing has steps."))


@transaction.atomic
def start_processing(user, request):
    request = _locked_for_performer(request, user)
    if request.status == S.CONFIRMED:
        _check_role(user, (request.request_type.steps or [{}])[0])
    _move(request, S.PROCESSING, actor=user)
    request.step_index = 0
    _step_started(request)
    request.save()
    return request


@transaction.atomic
def save_progress(user, request, values):
    """Keep a step's half-done work; a colleague with the same role can resume it later."""
    request = _locked_for_performer(request, user)
    _processing(request)
    step = _step(request)
    _check_role(user, step)
    request.step_progress = {**request.step_progress, str(request.step_index): json.loads(canonical_json(values))}
    _log(request, "progress_saved", actor=user, step=request.step_index, values=values)
    request.save()
    return request


@transaction.atomic
def go_to_step(user, request, index):
    """Move between steps (back, or forward by one); saved progress and attachments stay with their
    step. Going back hands the request to the earlier step's role (the user must hold the current one)."""
    request = _locked_for_performer(request, user)
    _processing(request)
    if not 0 <= index < len(request.request_type.steps) or index > request.step_index + 1:
        raise Refused(_("There is no such step to go to."))
    _check_role(user, _step(request))
    if index > request.step_index:
        _check_role(user, request.request_type.steps[index])
    _log(request, "step", actor=user, from_step=request.step_index, to_step=index)
    request.step_index = index
    _step_started(request)
    request.save()
    return request


def return_step(user, request):
    """Send the request back to the previous step (its role picks it up again)."""
    current = getattr(request, "step_index", 0)
    if current == 0:
        raise Refused(_("The first step has no step before it."))
    return go_to_step(user, request, current - 1)


def missing_attachments(request, attachments=None):
    """The type's required attachment kinds not yet attached to the request (any step)."""
    kinds = {a.kind for a in (attachments if attachments is not None else request.attachments.all())}
    return [kind for kind in request.request_type.required_attachments or [] if kind not in kinds]


@transaction.atomic
def complete_step(user, request):
    request = _locked_for_performer(request, user)
    _processing(request)
    step = _step(request)
    _check_role(user, step)
    last = request.step_index + 1 >= len(request.request_type.steps)
    if last:
        missing = missing_attachments(request)
        if missing:
            raise Refused(
                _("Attach the required documents before the last step is completed: %(kinds)s.")
                % {"kinds": ", ".join(_(kind) for kind in missing)}
            )
    _log(request, "step_done", actor=user, step=request.step_index)
    if last:
        _move(request, S.COMPLETED, actor=user)
    else:
        request.step_index += 1
    _step_started(request)
    request.save()
    return request


@transaction.atomic
def reject(user, request, reason):
    request = _locked_for_performer(request, user)
    _check_role(user, _step(request) if request.status == S.PROCESSING else (request.request_type.steps or [{}])[0])
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    _move(request, S.REJECTED, actor=user, reason=reason)
    _step_started(request)
    request.save()
    return request


@transaction.atomic
def cancel(user, request, reason=""):
    request = _locked(request, user)
    _move(request, S.CANCELLED, actor=user, reason=reason)
    _step_started(request)
    request.save()
    return request


# --- attachments -------------------------------------------------------------------

_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]


def sniff_type(head):
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


@transaction.atomic
def add_attachment(user, request, uploaded, kind=""):
    """Store a file for the current step; its type comes from its bytes, never from its name."""
    request = _locked_for_performer(request, user)
    _processing(request)
    _check_role(user, _step(request))
    data = uploaded.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB.")})
    content_type = sniff_type(data[:16])
    if content_type is None:
        raise ValidationError({"file": _("Only PNG, JPEG, GIF images and PDF files are accepted.")})
    digest = hashlib.sha256(data).hexdigest()
    attachment = ServiceRequestAttachment(
        request=request,
        step_index=request.step_index,
        kind=kind,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=user,
    )
    attachment.file.save(f"{request.reference}-{digest[:12]}", ContentFile(data), save=False)
    attachment.save()
    _log(request, "attachment", actor=user, step=request.step_index, sha256=digest, content_type=content_type)
    return attachment


# --- batch -------------------------------------------------------------------------


def expire_due(bank=None, now=None):
    """Set-based: every request still waiting past its expiry moment becomes expired. A fixed number
    of statements whatever the count: lock the due rows (skipping those another run holds), read
    each one's last log entry at once, write their chained entries in one INSERT and flip their
    status in one UPDATE; the listeners (SMS, manager, webhooks) then act per request after commit."""
    now = (now or timezone.now()).astimezone(datetime.UTC)
    rows = ServiceRequest.objects.filter(status=S.SENT, expires_at__lte=now)
    if bank is not None:
        rows = rows.filter(bank=bank)
    with transaction.atomic():
        locked = list(rows.select_for_update(skip_locked=True).select_related("request_type", "customer").order_by("pk"))
        if not locked:
            return 0
        last = {
            entry.request_id: entry
            for entry in ServiceRequestLogEntry.objects.filter(request__in=[r.pk for r in locked])
            .order_by("request_id", "-sequence")
            .distinct("request_id")
        }
        entries = []
        detail = {"previous": str(S.SENT)}
        event = f"status:{S.EXPIRED}"
        for request in locked:
            previous = last.get(request.pk)
            sequence = previous.sequence + 1 if previous else 1
            previous_hash = previous.entry_hash if previous else GENESIS
            entries.append(
                ServiceRequestLogEntry(
                    request=request,
                    sequence=sequence,
                    at=now,
                    actor_label="system",
                    event=event,
                    detail=detail,
                    previous_hash=previous_hash,
                    entry_hash=_entry_hash(previous_hash, sequence, now, None, event, detail),
                )
            )
        ServiceRequestLogEntry.objects.bulk_create(entries)
        count = ServiceRequest.objects.filter(pk__in=[r.pk for r in locked]).update(status=S.EXPIRED, updated_at=now)
        for request in locked:
            request.status = S.EXPIRED
            _after_status_change(request)
    return count


def last_sequence(request):
    return request.log_entries.aggregate(m=Max("sequence"))["m"] or 0


def get_by_reference(reference, user=None):
    rows = ServiceRequest.objects.all() if user is None else ServiceRequest.objects.visible_to(user)
    try:
        return rows.get(reference=reference)
    except ServiceRequest.DoesNotExist:
        raise NotVisible() from None


# --- built-in types ----------------------------------------------------------------

BUILT_IN_TYPES = {
    "appointment": {
        "name": "Branch appointment",
        "form_schema": [
            {"name": "branch", "label": "Branch", "type": "branch", "required": True},
            {"name": "date", "label": "Date", "type": "date", "required": True},
            {"name": "time", "label": "Time", "type": "time", "required": True},
            {"name": "purpose", "label": "Purpose", "type": "text"},
        ],
        "channels": ["online", "phone", "counter"],
        "steps": [{"name": "Receive the customer", "role": "teller", "hours": 24}],
    },
    "fx_cash_exchange": {
        "name": "Foreign-currency cash exchange order",
        "form_schema": [
            {
                "name": "currency",
                "label": "Currency",
                "type": "choice",
                "required": True,
                "choices": ["USD", "EUR", "GBP", "HKD", "JPY"],
            },
            {"name": "amount", "label": "Amount", "type": "decimal", "required": True, "min": "1"},
            {"name": "branch", "label": "Pick-up branch", "type": "branch", "required": True},
            {"name": "pickup_date", "label": "Pick-up date", "type": "date", "required": True},
        ],
        "required_attachments": ["id_copy"],
        "channels": ["online", "counter"],
        "steps": [
            {"name": "Check identity", "role": "teller", "hours": 4},
            {"name": "Prepare cash", "role": "teller", "hours": 24},
        ],
    },
    "product_application": {
        "name": "Product application",
        "form_schema": [
            {"name": "product", "label": "Product", "type": "text", "required": True},
            {"name": "amount", "label": "Amount", "type": "decimal"},
            {"name": "name", "label": "Name", "type": "text", "default_from": "name_local"},
        ],
        "channels": ["online", "phone", "counter"],
        "steps": [{"name": "Review", "role": "branch_supervisor", "hours": 48}],
    },
}


def seed_built_in_types(bank):
    from workbench.servicerequests import effects  # noqa: PLC0415 - effects imports the outbox

    for code, spec in BUILT_IN_TYPES.items():
        ServiceRequestType.objects.get_or_create(bank=bank, code=code, defaults=spec)
    effects.seed_templates(bank)


# --- status change listeners (registered from workbench/apps.py) ---------------------------


def notify_status_change(request):
    """The manager hears of every status change in-app; the channels through a webhook event."""
    from ocrm.notifications import services as notifications  # noqa: PLC0415 - same layer, kept lazy for app loading
    from workbench.channelapi import webhooks  # noqa: PLC0415

    status = S(request.status)
    reference, bank_id, version = request.reference, request.bank_id, request.version
    manager = request.created_by

    def deliver():
        notifications.notify(
            [manager],
            _("Service request %(reference)s: %(status)s") % {"reference": reference, "status": status.label},
            dedupe_key=f"svcreq:{reference}:{status}:{version}",
            event="service_request_status",
        )
        webhooks.publish(bank_id, "service_request.status", {"reference": reference, "status": str(status), "version": version})

    transaction.on_commit(deliver)


def _lock_appointment_slot(bank_id, content):
    """Concurrent bookings of one slot take turns (the capacity check counts committed rows)."""
    key = f"appointment:{bank_id}:{content['branch']}:{content['date']}:{content['time']}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


@transaction.atomic
def book_from_channel(customer, channel, data):
    """The customer books a branch appointment in a channel: an appointment request (the built-in
    type) that the customer made and confirmed at once, so it goes straight to the branch's queue and
    the relationship manager's diary. The branch calendar, hours and slot capacity are the same
    checks as a prepared request's (appointments.check). ValidationError names the field; Refused
    when the bank does not offer it."""
    kind = ServiceRequestType.objects.filter(
        bank_id=customer.bank_id, code__in=appointments.APPOINTMENT_CODES, active=True
    ).first()
    if kind is None or (kind.channels and channel not in kind.channels):
        raise Refused(_("Appointments cannot be booked through this channel."))
    manager = customer.primary_manager
    if manager is None or not manager.is_active:
        # The request needs a colleague of ours who answers for it (created_by, the diary's owner).
        raise Refused(_("This customer has no relationship manager: book the appointment at a branch."))
    content = clean_content(kind, data, customer)
    _lock_appointment_slot(customer.bank_id, content)
    appointments.check(kind, customer, content)
    now = timezone.now()
    label = f"customer via {channel}"
    request = ServiceRequest.objects.create(
        bank_id=customer.bank_id,
        reference=_new_reference(),
        request_type=kind,
        customer=customer,
        created_by=manager,
        content=content,
        content_hash=content_hash(content),
        processing_branch=processing_branch(kind, customer, content),
        status=ServiceRequest.Status.CONFIRMED,
        sent_at=now,
        confirmed_at=now,
        confirmed_channel=channel,
    )
    _log(request, "created", actor_label=label, content=content)
    _log(request, "status:confirmed", actor_label=label, previous="draft", hash=request.content_hash)
    request.step_role = step_role(request)
    request.save(update_fields=["step_role"])
    _after_status_change(request)
    booked = appointments.book(request)
    if booked is not None:
        _log(request, "appointment_booked", actor_label="system", start=booked.start.isoformat())
    return request


# --- where a request stands, step by step (the channels' progress query) -----------------------


def progress_of(request):
    """The request's steps as a channel shows them (交易进展查询): each step's name, role, state
    (done / current / waiting), its saved progress (the values save_progress kept, which a colleague
    with the same role resumes from) and when it was last saved, its attachments' count and, for the
    current step, when it started and is due. Reads the log and the attachments: two queries."""
    steps = request.request_type.steps or []
    saved_at = dict(
        request.log_entries.filter(event="progress_saved")
        .values("detail__step")
        .annotate(last=Max("at"))
        .values_list("detail__step", "last")
    )
    attached = {}
    for index in request.attachments.values_list("step_index", flat=True):
        attached[index] = attached.get(index, 0) + 1
    processing = request.status == S.PROCESSING
    rows = []
    for index, step in enumerate(steps):
        if request.status == S.COMPLETED or (processing and index < request.step_index):
            state = "done"
        elif processing and index == request.step_index:
            state = "current"
        else:
            state = "waiting"
        rows.append(
            {
                "index": index,
                "name": step.get("name", ""),
                "role": step.get("role", ""),
                "state": state,
                "progress": (request.step_progress or {}).get(str(index), {}),
                "progress_saved_at": saved_at.get(index),
                "attachments": attached.get(index, 0),
                "started_at": request.step_started_at if state == "current" else None,
                "due_at": request.step_due_at if state == "current" else None,
            }
        )
    return {
        "status": request.status,
        "current_step": request.step_index if processing and request.step_index < len(steps) else None,
        "steps": rows,
    }
