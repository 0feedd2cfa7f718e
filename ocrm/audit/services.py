"""Writing the audit log. Services write their domain events explicitly, each through a small
function of their area's events.py that calls record() (the convention: ocrm/audit/__init__.py);
the save/delete hooks in register() are the safety net that captures every single-row change
of a business model, from admin and pages alike.

Where an event and the safety net would describe the same row change, the service saves
inside written_by_event(Model): the net leaves those rows alone and the event writes the
entry the net would have written (row_values / created_changes give it the same shape),
with its own name in detail["event"]. One change, one entry.

record() is the only writer, and it masks personal data whatever its caller passed
(ocrm.pii.scrub): classified fields by their kind, searched keys in query strings, identity
and phone numbers and e-mail addresses anywhere in the text, and the object's own personal
values in its description. An audit entry never holds clear personal data."""

import contextlib
import contextvars
import datetime
import decimal
import ipaddress
import uuid

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from ocrm import pii
from ocrm.audit.models import AuditLog
from ocrm.middleware import client_ip, current_request

SKIP_FIELDS = {"password", "last_login", "updated_at"}


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(instance, exclude=(), masked=None):
    """Field values of a model instance as JSON-ready data (foreign keys as ids).
    `masked` maps field names to a function that masks personal data: the audit log
    records that a phone number changed, not the number itself."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in SKIP_FIELDS or field.name in exclude:
            continue
        value = field.value_from_object(instance)
        if masked and field.name in masked and value:
            value = masked[field.name](value)
        data[field.attname] = _jsonable(value)
    return data


def diff(before, after):
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def _bank_id_of(obj, actor):
    for attr in ("bank_id",):
        value = getattr(obj, attr, None)
        if value is not None:
            return value
    if obj is not None and obj.__class__.__name__ == "Bank":
        return obj.pk
    return getattr(actor, "bank_id", None)


_acting_user = contextvars.ContextVar("ocrm_audit_actor", default=None)


_by_event = contextvars.ContextVar("ocrm_audit_by_event", default=frozenset())


@contextlib.contextmanager
def written_by_event(*models):
    """Saves and deletes of rows of `models` inside this block are audited by the service's
    explicit event, not by the safety net (one entry per change, never two)."""
    token = _by_event.set(_by_event.get() | frozenset(models))
    try:
        yield
    finally:
        _by_event.reset(token)


def _left_to_event(sender):
    return sender in _by_event.get()


@contextlib.contextmanager
def acting_as(actor):
    """Entries written inside this block (the safety net's too) name `actor` when no
    actor is passed: for services and batch jobs that change rows outside a request."""
    token = _acting_user.set(actor)
    try:
        yield
    finally:
        _acting_user.reset(token)


def _valid_ip(raw):
    """The address as PostgreSQL's inet column accepts it, or None. The client controls
    X-Forwarded-For: garbage there must neither break the request nor reach the log as an IP."""
    if not raw:
        return None
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def record(
    action,
    obj=None,
    *,
    actor=None,
    request=None,
    changes=None,
    detail=None,
    object_type=None,
    object_repr=None,
    bank_id=None,
    actor_name=None,
):
    """Write one audit entry. actor/request default to the current request's.
    actor_name names the person when there is no authenticated actor (a failed log-in)."""
    request = request or current_request()
    if actor is None:
        actor = _acting_user.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    raw_ip = client_ip(request)
    ip = _valid_ip(raw_ip)
    detail = dict(detail or {})
    if raw_ip and ip is None:
        detail["unparsable_ip"] = str(raw_ip)[:100]
    object_repr = object_repr or _repr(obj)
    entry = AuditLog(
        action=action,
        actor=actor,
        actor_name=(getattr(actor, "username", "") or actor_name or "")[:150],
        ip=ip,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=_masked_repr(object_repr, obj)[:300],
        changes=pii.scrub(_jsonable(changes or {})),
        detail=pii.scrub(_jsonable(detail)),
        bank_id=bank_id if bank_id is not None else _bank_id_of(obj, actor),
    )
    entry.save()
    return entry


def _masked_repr(text, obj):
    """The object's description with its own personal values masked (an address's str() is its
    street), then any identity or phone number in it."""
    if obj is not None and text:
        for field in obj._meta.concrete_fields:
            kind = pii.field_kind(field.name)
            value = field.value_from_object(obj) if kind else None
            if value:
                text = text.replace(str(value), pii.mask(str(value), kind))
    return pii.scrub_text(text)


_registered = {}


def row_values(instance):
    """The row's values as the safety net records them (the model's exclusions and masks)."""
    exclude, masked = _registered.get(type(instance), (set(), {}))
    return snapshot(instance, exclude, masked)


def created_changes(instance):
    """{field: [None, value]}: what the safety net records for a new row."""
    return {name: [None, value] for name, value in row_values(instance).items()}


def _pre_save(sender, instance, raw=False, **kwargs):
    if _left_to_event(sender):
        return
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old, *_registered[sender]) if old is not None else None


def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw or _left_to_event(sender):
        return
    after = snapshot(instance, *_registered[sender])
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        record(AuditLog.Action.CREATE, instance, changes={k: [None, v] for k, v in after.items()})
        return
    changes = diff(before, after)
    if changes:
        record(AuditLog.Action.UPDATE, instance, changes=changes)


def _repr(obj):
    """str(obj), or its label and id when its text needs a row a cascade already deleted
    (a periodic task named after its schedule, audited while the schedule is deleted)."""
    if obj is None:
        return ""
    try:
        return str(obj)
    except ObjectDoesNotExist:
        return f"{obj._meta.verbose_name} #{obj.pk}"


def _post_delete(sender, instance, **kwargs):
    if _left_to_event(sender):
        return
    before = snapshot(instance, *_registered[sender])
    record(AuditLog.Action.DELETE, instance, changes={k: [v, None] for k, v in before.items()})


def register(model, exclude=(), masked=None):
    """Audit every save and delete of `model` with before/after values (fields in
    `exclude` left out, fields in `masked` recorded masked)."""
    if model in _registered:
        return
    _registered[model] = (set(exclude), dict(masked or {}))
    uid = f"audit-{model._meta.label_lower}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")


def is_registered(model: type[models.Model]) -> bool:
    return model in _registered


def registered_models():
    """The models the safety net watches."""
    return list(_registered)
