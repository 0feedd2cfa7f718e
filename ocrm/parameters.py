"""Per-bank parameters, as every layer reads them: `parameters.get("export.max_rows", bank)`.

Each app declares the parameters its code reads, with their type, default and description
(`declare()`, from its AppConfig.ready(); the kernel's own are below). The values come from
the provider that sysadmin registers (`set_provider()`: a bank's own row, else the global row,
else the declared default, through the cache), so the kernel never imports sysadmin. Without
a provider get() answers the declared default.
"""

import datetime
import decimal
import json

from django.utils.dateparse import parse_duration
from django.utils.translation import gettext_lazy as _

# key -> (type, default as text, description); filled by declare().
DECLARED = {}

# The kernel's own: list exports and the upload pipeline (ocrm.imports).
KERNEL_PARAMETERS = {
    "import.max_rows": (
        "int",
        "50000",
        _("Largest number of data rows one uploaded file may hold (organisation import, batch maintenance)."),
    ),
    "import.max_upload_bytes": (
        "int",
        "20971520",
        _(
            "Largest file, in bytes, one upload may be (organisation import, batch maintenance, source-system feeds; "
            "larger feeds arrive through the inbox folder)."
        ),
    ),
    "export.max_rows": ("int", "100000", _("Largest number of rows one XLSX export may hold.")),
    "export.sync_max_rows": (
        "int",
        "5000",
        _('Exports with more rows than this run in the background and wait in "my exports".'),
    ),
    "export.keep_days": ("int", "7", _("Days a background export file is kept for download before it is removed.")),
}

_provider = None


def declare(definitions):
    """Add an app's parameters: {key: (type, default text, description)}."""
    DECLARED.update(definitions)


def set_provider(provider):
    """`provider(key, bank)` answers a parameter's typed value for a bank (or None: global)."""
    global _provider
    _provider = provider


def get(key, bank=None):
    """The value of parameter `key` for `bank` (a Bank, a bank id or None)."""
    if _provider is not None:
        return _provider(key, bank)
    if key not in DECLARED:
        raise KeyError(f"Unknown parameter {key!r}")
    return default(key)


def default(key):
    """The declared default of `key`, typed."""
    value_type, raw, _description = DECLARED[key]
    return parse_value(value_type, raw)


def _int(text, raw):
    try:
        return int(text)
    except ValueError:
        raise ValueError(_("Not a whole number: %(v)s") % {"v": raw}) from None


def _decimal(text, raw):
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueError(_("Not a decimal number: %(v)s") % {"v": raw})
    return value


def _bool(text, raw):
    lowered = text.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(_("Not a yes/no value: %(v)s") % {"v": raw})


def _duration(text, raw):
    # Whole seconds, or Django's duration text ("1 02:00:00", "P1DT2H").
    if text.lstrip("-").isdigit():
        return datetime.timedelta(seconds=int(text))
    value = parse_duration(text)
    if value is None:
        raise ValueError(_("Not a duration (seconds, or e.g. 1 02:00:00): %(v)s") % {"v": raw})
    return value


def _json(text, raw):
    try:
        return json.loads(raw)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(_("Not valid JSON: %(error)s") % {"error": exc}) from None


# type -> parser(stripped text, raw value)
PARSERS = {
    "int": _int,
    "decimal": _decimal,
    "bool": _bool,
    "string": lambda text, raw: str(raw),
    "duration": _duration,
    "json": _json,
}


def parse_value(value_type, raw):
    """The typed value of a stored text; ValueError with a readable message when it is not one."""
    parser = PARSERS.get(value_type)
    if parser is None:
        raise ValueError(_("Unknown parameter type: %(t)s") % {"t": value_type})
    return parser(str(raw).strip(), raw)


def validate(key, value_type, raw):
    """Check a value an administrator wants to store. Returns {field: message} (empty when fine).

    A key the code reads (declare) must keep its declared type, and its counts/days may
    not be negative: a wrong type there would break every request that reads it."""
    errors = {}
    declared = DECLARED.get(key)
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


declare(KERNEL_PARAMETERS)
