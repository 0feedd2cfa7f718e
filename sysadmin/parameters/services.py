"""System parameters, the provider behind ocrm.parameters: a global row, optionally
overridden per bank, read through the Redis cache. Every parameter the code reads is
declared (ocrm.parameters.declare), so the code works before an administrator has saved
anything; sysadmin declares its own below."""

import datetime
import json
import logging
import threading
import time
import uuid

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ocrm.audit import services as audit
from ocrm.parameters import DECLARED, parse_value, validate
from sysadmin.parameters.models import SystemParameter

CACHE_SECONDS = 300

# The parameters of log-in, passwords, sessions and the audit log.
PARAMETERS = {
    "password.expiry_days": ("int", "90", _("Days after which a password must be changed (0 = never).")),
    "password.history": ("int", "5", _("How many previous passwords may not be reused.")),
    "password.expiry_notice_days": ("int", "7", _("Warn staff this many days before their password expires.")),
    "login.max_failed_attempts": (
        "int",
        "5",
        _("Failed log-ins of one user name from one address before log-in from there pauses for the cooling-off period."),
    ),
    "login.ip_max_failed_attempts": (
        "int",
        "20",
        _("Failed log-ins from one address, whatever the user names, before that address pauses for the cooling-off period."),
    ),
    "login.cooling_off_minutes": ("int", "15", _("Minutes a paused log-in waits; failures older than this are forgotten.")),
    "login.alert_failures": (
        "int",
        "20",
        _("Failed log-ins to the bank's accounts within the cooling-off period that alert the administrators and auditors."),
    ),
    "session.idle_minutes": ("int", "30", _("Minutes of inactivity after which a session ends.")),
    "session.max_hours": (
        "int",
        "12",
        _("Hours after log-in at which a session ends however active it is (at most the server's limit, 12 by default)."),
    ),
    "mfa.required_for_all": (
        "bool",
        "false",
        _(
            "Every staff member must log in with a second factor (authenticator app); system administrators, "
            "auditors and supervisors always must."
        ),
    ),
    "audit.retention_days": (
        "int",
        "1825",
        _("Days the audit log is kept before the clean-up job removes it (0 = keep for ever)."),
    ),
}


logger = logging.getLogger(__name__)


def _cache_key(key, bank_id):
    return f"param:{bank_id or 0}:{key}"


# A page reads several parameters (the customer list five), and each read from Redis is a round trip.
# Each thread keeps the values it has read, for CACHE_SECONDS at most, while GENERATION_KEY (a token that
# invalidate() replaces wherever a parameter changes) stays as it saw it. It asks Redis once per request, and
# on every read outside a request (a task, a shell), where there is no request to bound a stale read.
GENERATION_KEY = "param:generation"
_held = threading.local()  # .values {cache key: (pair, expires)}, .generation, .checked, .in_request


def start_request(**kwargs):
    _held.in_request, _held.checked = True, False


def end_request(**kwargs):
    _held.in_request, _held.checked = False, False


def _held_values():
    if not getattr(_held, "checked", False):
        generation = _generation()
        if getattr(_held, "generation", None) != generation:
            _held.values, _held.generation = {}, generation
        _held.checked = getattr(_held, "in_request", False)
    return _held.values


def _generation():
    """The current token. A missing one (Redis emptied or restarted) is replaced by a new one, never read as
    "unchanged": a copy taken before a change, whose token has since been lost, would otherwise stay."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


def stored_value(key, bank=None):
    """The value of parameter `key` for `bank` (a Bank, a bank id or None): the bank's own
    row, else the global row, else the declared default. Registered as the provider of
    ocrm.parameters.get, which is what code reads."""
    bank_id = getattr(bank, "pk", bank)
    ck = _cache_key(key, bank_id)
    held, now = _held_values(), time.monotonic()
    pair, expires = held.get(ck, (None, 0))
    if pair is None or expires < now:
        pair = cache.get(ck)
        if pair is None:
            pair = _stored_pair(key, bank_id)
            cache.set(ck, pair, CACHE_SECONDS)
        held[ck] = (pair, now + CACHE_SECONDS)
    return _parse_or_default(key, *pair)


def _stored_pair(key, bank_id):
    scope = Q(bank__isnull=True) | Q(bank_id=bank_id) if bank_id else Q(bank__isnull=True)
    rows = {p.bank_id: p for p in SystemParameter.objects.filter(scope, key=key).only("bank_id", "value_type", "value")}
    row = rows.get(bank_id) or rows.get(None)
    if row is not None:
        return (row.value_type, row.value)
    if key in DECLARED:
        return (DECLARED[key][0], DECLARED[key][1])
    raise KeyError(f"Unknown system parameter {key!r}")


def _parse_or_default(key, value_type, raw):
    """A stored value that no longer parses (written around the validation) must not take
    every page down with it: fall back to the declared default and say so in the log."""
    try:
        return parse_value(value_type, raw)
    except ValueError:
        if key not in DECLARED:
            raise
        logger.error("System parameter %s holds an invalid %s value %r; using the default", key, value_type, raw)
        return parse_value(DECLARED[key][0], DECLARED[key][1])


def invalidate(key):
    """Forget every cached value of `key` (all banks), here and in every process's copy."""
    cache.delete_pattern(_cache_key(key, "*"))
    # A new token rather than a count: a count could return to a value a process still holds (after
    # the test suite empties Redis between tests, say), and that process would keep its stale copy.
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    _held.values, _held.checked = {}, False


def set_value(key, raw, *, bank=None, actor=None, value_type=None, description=None):
    """Store a parameter from code: validated, audited with before/after (the audit safety
    net of SystemParameter) and visible to every web node at once (the save hook clears
    the cache). Returns the row."""
    bank_id = getattr(bank, "pk", bank)
    value_type = value_type or (DECLARED[key][0] if key in DECLARED else None)
    if value_type is None:
        raise ValidationError({"value_type": _("Name the type of the new parameter %(key)s.") % {"key": key}})
    if value_type == "json" and not isinstance(raw, str):
        raw = json.dumps(raw)
    elif isinstance(raw, bool):
        raw = "true" if raw else "false"
    elif isinstance(raw, datetime.timedelta):
        raw = str(int(raw.total_seconds()))
    else:
        raw = str(raw)
    errors = validate(key, value_type, raw)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = SystemParameter.objects.select_for_update().filter(key=key, bank_id=bank_id).order_by().first()
        if row is None:
            default_description = str(DECLARED[key][2]) if key in DECLARED else ""
            row = SystemParameter(
                key=key,
                bank_id=bank_id,
                value_type=value_type,
                value=raw,
                description=default_description if description is None else description,
            )
        else:
            row.value_type, row.value = value_type, raw
            if description is not None:
                row.description = description
        row.full_clean()
        # The audit safety net writes the entry with before/after, in the actor's name.
        with audit.acting_as(actor):
            row.save()
    return row
