"""Typed system parameters: a global default row, optionally overridden per bank, read
through the Redis cache. Every parameter the code reads is declared in DEFAULTS, so the
code works before an administrator has saved anything."""

import datetime
import decimal
import json
import logging

from django.core.cache import cache
from django.utils.dateparse import parse_duration
from django.utils.translation import gettext_lazy as _

CACHE_SECONDS = 300


logger = logging.getLogger(__name__)


# key: (type, default, description)
DEFAULTS = {
    "password.expiry_days": ("int", "90", _("Days after which a password must be changed (0 = never).")),
    "password.history": ("int", "5", _("How many previous passwords may not be reused.")),
    "password.expiry_notice_days": ("int", "7", _("Warn staff this many days before their password expires.")),
    "login.max_failed_attempts": ("int", "5", _("Failed log-ins in a row before the account is locked.")),
    "session.idle_minutes": ("int", "30", _("Minutes of inactivity after which a session ends.")),
    "audit.retention_days": (
        "int",
        "1825",
        _("Days the audit log is kept before the clean-up job removes it (0 = keep for ever)."),
    ),
    "import.max_rows": ("int", "50000", _("Largest number of rows one organisation import may hold.")),
    "export.max_rows": ("int", "100000", _("Largest number of rows one XLSX export may hold.")),
    "export.sync_max_rows": (
        "int",
        "5000",
        _('Exports with more rows than this run in the background and wait in "my exports".'),
    ),
    "export.keep_days": ("int", "7", _("Days a background export file is kept for download before it is removed.")),
    "customers.checker_fields": (
        "json",
        '["name_local", "name_latin", "birth_date", "branch", "identity"]',
        _('Customer fields whose changes wait for a checker\'s approval (JSON list; "identity" = identity document).'),
    ),
    "customers.document_max_bytes": (
        "int",
        "10485760",
        _("Largest customer document (PDF, JPEG or PNG) one upload may hold, in bytes."),
    ),
    "lifecycle.dormant_after_days": (
        "int",
        "365",
        _("Nightly lifecycle: a customer without activity for this many days becomes dormant."),
    ),
    "lifecycle.declining_aum_drop_percent": (
        "decimal",
        "30",
        _("Nightly lifecycle: an AUM fall of at least this percentage over the trend months is declining."),
    ),
    "lifecycle.trend_months": ("int", "6", _("Nightly lifecycle: months over which the AUM trend is measured.")),
    "lifecycle.financial_only": (
        "bool",
        "true",
        _("Nightly lifecycle: only financial customer-initiated transactions count as activity."),
    ),
    "lifecycle.run_local_hour": (
        "int",
        "2",
        _("Nightly lifecycle: local hour of the bank's head office after which yesterday's run starts."),
    ),
    "rating.tier_thresholds": (
        "json",
        '[{"tier": "private", "aum": 6000000, "contribution": 100000}, '
        '{"tier": "wealth", "aum": 500000, "contribution": 10000}, '
        '{"tier": "affluent", "aum": 50000, "contribution": 1000}]',
        _("Tiers, highest first: the first whose aum or contribution floor a customer reaches (else mass)."),
    ),
    "rating.star_thresholds": (
        "json",
        '[{"stars": 7, "aum": 6000000, "contribution": 100000}, {"stars": 6, "aum": 1000000, "contribution": 30000}, '
        '{"stars": 5, "aum": 500000, "contribution": 10000}, {"stars": 4, "aum": 200000, "contribution": 4000}, '
        '{"stars": 3, "aum": 50000, "contribution": 1000}, {"stars": 2, "aum": 10000, "contribution": 200}, '
        '{"stars": 1, "aum": 0.01, "contribution": 0.01}]',
        _("Star ratings, highest first: the first whose aum or contribution floor a customer reaches (else 0 stars)."),
    ),
    "customers.batch_sync_apply_max_rows": (
        "int",
        "500",
        _("Batch maintenance files with more rows than this are applied by a background worker."),
    ),
    "customers.list_exact_count_max": (
        "int",
        "2000",
        _("Customer list: above this many matches (estimated) the page shows an estimate, not an exact count."),
    ),
    "sharing.requires_approval": (
        "bool",
        "false",
        _("A customer share takes effect only after a supervisor approves it."),
    ),
    "sharing.max_days": ("int", "90", _("Longest time, in days, one customer share may last.")),
}


def parse_value(value_type, raw):
    """The typed value of a stored text; ValueError with a readable message when it is not one."""
    text = str(raw).strip()
    if value_type == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("Not a whole number: %(v)s") % {"v": raw}) from None
    if value_type == "decimal":
        try:
            value = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise ValueError(_("Not a decimal number: %(v)s") % {"v": raw}) from None
        if not value.is_finite():
            raise ValueError(_("Not a decimal number: %(v)s") % {"v": raw})
        return value
    if value_type == "bool":
        lowered = text.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(_("Not a yes/no value: %(v)s") % {"v": raw})
    if value_type == "string":
        return str(raw)
    if value_type == "duration":
        # Whole seconds, or Django's duration text ("1 02:00:00", "P1DT2H").
        if text.lstrip("-").isdigit():
            return datetime.timedelta(seconds=int(text))
        value = parse_duration(text)
        if value is None:
            raise ValueError(_("Not a duration (seconds, or e.g. 1 02:00:00): %(v)s") % {"v": raw})
        return value
    if value_type == "json":
        try:
            return json.loads(raw)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
    raise ValueError(_("Unknown parameter type: %(t)s") % {"t": value_type})


def validate(key, value_type, raw):
    """Check a value an administrator wants to store. Returns {field: message} (empty when fine).

    A key the code reads (DEFAULTS) must keep its declared type, and its counts/days may
    not be negative: a wrong type there would break every request that reads it."""
    errors = {}
    declared = DEFAULTS.get(key)
    if declared is not None and value_type != declared[0]:
        errors["value_type"] = _("The parameter %(key)s is of type %(type)s.") % {"key": key, "type": declared[0]}
        return errors
    try:
        value = parse_value(value_type, raw)
    except ValueError as exc:
        errors["value"] = str(exc)
        return errors
    if declared is not None and value_type == "int" and value < 0:
        errors["value"] = _("The parameter %(key)s cannot be negative.") % {"key": key}
    return errors


def _cache_key(key, bank_id):
    return f"param:{bank_id or 0}:{key}"


def get(key, bank=None):
    """The value of parameter `key` for `bank` (a Bank, a bank id or None): the bank's own
    row, else the global row, else the declared default."""
    from django.db.models import Q

    from sysadmin.parameters.models import SystemParameter

    bank_id = getattr(bank, "pk", bank)
    ck = _cache_key(key, bank_id)
    cached = cache.get(ck)
    if cached is not None:
        return _parse_or_default(key, *cached)
    scope = Q(bank__isnull=True) | Q(bank_id=bank_id) if bank_id else Q(bank__isnull=True)
    rows = {p.bank_id: p for p in SystemParameter.objects.filter(scope, key=key).only("bank_id", "value_type", "value")}
    row = rows.get(bank_id) or rows.get(None)
    if row is not None:
        pair = (row.value_type, row.value)
    elif key in DEFAULTS:
        pair = (DEFAULTS[key][0], DEFAULTS[key][1])
    else:
        raise KeyError(f"Unknown system parameter {key!r}")
    cache.set(ck, pair, CACHE_SECONDS)
    return _parse_or_default(key, *pair)


def _parse_or_default(key, value_type, raw):
    """A stored value that no longer parses (written around the validation) must not take
    every page down with it: fall back to the declared default and say so in the log."""
    try:
        return parse_value(value_type, raw)
    except ValueError:
        if key not in DEFAULTS:
            raise
        logger.error("System parameter %s holds an invalid %s value %r; using the default", key, value_type, raw)
        return parse_value(DEFAULTS[key][0], DEFAULTS[key][1])


def invalidate(key):
    """Forget every cached value of `key` (all banks)."""
    cache.delete_pattern(_cache_key(key, "*"))


def set_value(key, raw, *, bank=None, actor=None, value_type=None, description=None):
    """Store a parameter from code: validated, audited with before/after (the audit safety
    net of SystemParameter) and visible to every web node at once (the save hook clears
    the cache). Returns the row."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from ocrm.audit import services as audit
    from sysadmin.parameters.models import SystemParameter

    bank_id = getattr(bank, "pk", bank)
    value_type = value_type or (DEFAULTS[key][0] if key in DEFAULTS else None)
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
            default_description = str(DEFAULTS[key][2]) if key in DEFAULTS else ""
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
