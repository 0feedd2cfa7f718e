"""Typed system parameters: a global default row, optionally overridden per bank, read
through the Redis cache. Every parameter the code reads is declared in DEFAULTS, so the
code works before an administrator has saved anything."""

import datetime
import decimal
import json

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

CACHE_SECONDS = 300

# key: (type, default, description)
DEFAULTS = {
    "password.expiry_days": ("int", "90", _("Days after which a password must be changed (0 = never).")),
    "password.history": ("int", "5", _("How many previous passwords may not be reused.")),
    "password.expiry_notice_days": ("int", "7", _("Warn staff this many days before their password expires.")),
    "login.max_failed_attempts": ("int", "5", _("Failed log-ins in a row before the account is locked.")),
    "session.idle_minutes": ("int", "30", _("Minutes of inactivity after which a session ends.")),
    "audit.retention_days": ("int", "1825", _("Days the audit log is kept before the clean-up job removes it.")),
    "import.max_rows": ("int", "50000", _("Largest number of rows one organisation import may hold.")),
    "export.max_rows": ("int", "100000", _("Largest number of rows one XLSX export may hold.")),
}


def parse_value(value_type, raw):
    if value_type == "int":
        return int(str(raw).strip())
    if value_type == "decimal":
        try:
            return decimal.Decimal(str(raw).strip())
        except decimal.InvalidOperation as exc:
            raise ValueError(_("Not a decimal number: %(v)s") % {"v": raw}) from exc
    if value_type == "bool":
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(_("Not a yes/no value: %(v)s") % {"v": raw})
    if value_type == "string":
        return str(raw)
    if value_type == "duration":
        return datetime.timedelta(seconds=int(str(raw).strip()))
    if value_type == "json":
        return json.loads(raw)
    raise ValueError(_("Unknown parameter type: %(t)s") % {"t": value_type})


def _cache_key(key, bank_id):
    return f"param:{bank_id or 0}:{key}"


def get(key, bank=None):
    """The value of parameter `key` for `bank` (a Bank, a bank id or None)."""
    from .models import SystemParameter

    bank_id = getattr(bank, "pk", bank)
    ck = _cache_key(key, bank_id)
    cached = cache.get(ck)
    if cached is not None:
        return parse_value(*cached)
    rows = {p.bank_id: p for p in SystemParameter.objects.filter(key=key, bank_id__in=[bank_id] if bank_id else [])}
    if bank_id not in rows:
        rows.update({p.bank_id: p for p in SystemParameter.objects.filter(key=key, bank__isnull=True)})
    row = rows.get(bank_id) or rows.get(None)
    if row is not None:
        pair = (row.value_type, row.value)
    elif key in DEFAULTS:
        pair = (DEFAULTS[key][0], DEFAULTS[key][1])
    else:
        raise KeyError(f"Unknown system parameter {key!r}")
    cache.set(ck, pair, CACHE_SECONDS)
    return parse_value(*pair)


def invalidate(key):
    """Forget every cached value of `key` (all banks)."""
    cache.delete_pattern(f"param:*:{key}") if hasattr(cache, "delete_pattern") else cache.clear()
