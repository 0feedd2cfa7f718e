"""A row of a file becomes a checked row: the columns a file may hold (Column, Spec), the state of
one row while it is checked (RowState), and the cell parsers most files need.

A Spec lists its columns (English key, Chinese label, required, parser). Validation runs in
three steps, the same at staging and again inside the apply transaction:

1. parse every cell of a column the file has (types, dates, codes, formats): a CellError is
   that cell's error, naming what is wrong with the value;
2. the spec's check(): natural keys, duplicates inside the file (every copy is flagged),
   references to the bank's data or to other rows, and the plan: the values the row would
   leave in the database (cells the file leaves empty keep what is there) and whether that
   means create, update or unchanged (plan(), merged());
3. the area's apply writes the valid rows whose plan is create or update.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytz
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_countries import countries

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
LOOKUP_CHUNK = 1000


class CellError(Exception):
    """A cell's value is not acceptable; the message says why."""


class RowApplyError(Exception):
    """A row that passed validation could still not be written (a last-line model check)."""


# --- rows -----------------------------------------------------------------------------------


@dataclass
class RowState:
    row_number: int
    data: dict  # column key -> text as read (only the columns the file has)
    values: dict = field(default_factory=dict)  # column key -> parsed value (non-empty cells)
    errors: list = field(default_factory=list)
    key: str = ""
    existing: Any = None
    target: dict = field(default_factory=dict)
    action: str = ""
    changes: dict = field(default_factory=dict)

    def add_error(self, column, message):
        entry = {"field": column, "message": str(message)}
        if entry not in self.errors:
            self.errors.append(entry)

    def has_error(self, column=None):
        return any(column is None or e["field"] == column for e in self.errors)

    @property
    def valid(self):
        return not self.errors

    def has(self, column):
        return column in self.values


def flag_duplicates(rows, column, key_of, what):
    """Flag every row whose key appears more than once, naming all the rows."""
    groups = defaultdict(list)
    for row in rows:
        key = key_of(row)
        if key:
            groups[key].append(row)
    for key, group in groups.items():
        if len(group) > 1:
            numbers = ", ".join(str(r.row_number) for r in group)
            for row in group:
                row.add_error(
                    column,
                    _("%(what)s %(value)s appears more than once in this file (rows %(rows)s).")
                    % {"what": what, "value": key, "rows": numbers},
                )


def chunked(values, size=LOOKUP_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def changed_rows(rows):
    """The valid rows whose plan writes something."""
    return [r for r in rows if r.valid and r.action in (CREATE, UPDATE)]


def plain(value):
    """A planned value as JSON (for a staged row's changes)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


# --- cell parsers -----------------------------------------------------------------------------


def text(max_length):
    def parse(value):
        if len(value) > max_length:
            raise CellError(_("At most %(max)d characters are allowed; this has %(n)d.") % {"max": max_length, "n": len(value)})
        return value

    return parse


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]*$")


def code(max_length):
    def parse(value):
        text(max_length)(value)
        if not _CODE.match(value):
            raise CellError(
                _("%(value)s is not a valid code: use letters, digits and - _ . / without spaces.") % {"value": value}
            )
        return value

    return parse


_TRUE = {"1", "true", "yes", "y", "t", "是", "启用", "有效"}
_FALSE = {"0", "false", "no", "n", "f", "否", "停用", "无效"}


def boolean(value):
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(_("%(value)s is not a yes/no value: use true/false, 1/0 or 是/否.") % {"value": value})


def choice(mapping):
    """mapping: accepted spelling (lower case) -> stored value."""

    def parse(value):
        stored = mapping.get(value.lower())
        if stored is None:
            allowed = ", ".join(sorted({v for v in mapping.values()}))
            raise CellError(_("%(value)s is not one of: %(allowed)s.") % {"value": value, "allowed": allowed})
        return stored

    return parse


def label_spellings(choices):
    """Accepted spellings (lower case) of a TextChoices: stored value, English and Chinese label."""
    mapping = {}
    for value, label in choices.choices:
        mapping[value.lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                mapping[str(label).lower()] = value
    return mapping


def choice_of(choices):
    """A TextChoices cell: its stored value or its label in English or Chinese."""

    def parse(value):
        stored = label_spellings(choices).get(value.lower())
        if stored is None:
            allowed = ", ".join(value for value, _label in choices.choices)
            raise CellError(_("%(value)s is not one of: %(allowed)s.") % {"value": value, "allowed": allowed})
        return stored

    return parse


def country(value):
    alpha2 = countries.alpha2(value.upper()) if value.isascii() else ""
    if not alpha2:
        raise CellError(_("%(value)s is not an ISO 3166 country code (for example CN, GB, HK).") % {"value": value})
    return alpha2


_TIMEZONES = {name.lower(): name for name in pytz.all_timezones}


def timezone_name(value):
    canonical = _TIMEZONES.get(value.lower())
    if canonical is None:
        raise CellError(
            _("%(value)s is not a time zone of the tz database (for example Asia/Shanghai, Europe/London).") % {"value": value}
        )
    return canonical


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]00:00(?::00)?$"),
]


def date_value(value):
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellError(_("%(value)s is not a date: write it as YYYY-MM-DD, for example 2026-10-01.") % {"value": value})


def email(max_length):
    def parse(value):
        normalised = BaseUserManager.normalize_email(value)
        try:
            validate_email(normalised)
        except ValidationError as exc:
            raise CellError(_("%(value)s is not a valid e-mail address.") % {"value": value}) from exc
        return text(max_length)(normalised)

    return parse


def language(value):
    lowered = value.lower()
    for code_, name in settings.LANGUAGES:
        if lowered in (code_.lower(), str(name).lower()) or (code_ == "zh-hans" and lowered in ("zh", "zh-cn", "中文")):
            return code_
    allowed = ", ".join(code_ for code_, _name in settings.LANGUAGES)
    raise CellError(_("%(value)s is not a language of the system: use %(allowed)s.") % {"value": value, "allowed": allowed})


_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{2,29}$")


def phone(value):
    if not _PHONE.match(value):
        raise CellError(_("%(value)s is not a phone number: digits, spaces, - ( ) and an optional leading +.") % {"value": value})
    return value


def max_length(model, name):
    return model._meta.get_field(name).max_length


# --- columns and specs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label_zh: str
    label: Any  # lazily translated name for pages
    parse: Any
    required: bool = False
    help: Any = ""  # lazily translated format description (docs, template file)


class Columns:
    """What a header row may name: each column by its English key or its Chinese label.
    Every reader of a file maps its header through this (ocrm.imports.readers.map_header)."""

    columns: tuple = ()
    # The message for columns the file should not have (marked for translation, translated when used).
    unknown_columns_text = gettext_noop("Unknown columns: %(columns)s. The columns of this kind are: %(known)s.")

    def column_for_header(self, name):
        wanted = name.strip().lower().replace(" ", "_")
        for column in self.columns:
            if wanted == column.key or name.strip() == column.label_zh:
                return column
        return None

    def column(self, key):
        return next(c for c in self.columns if c.key == key)

    def header_help(self):
        return ", ".join(f"{c.key} ({c.label_zh})" for c in self.columns)


class Spec(Columns):
    """The columns and the row checks of one kind of file. A subclass sets kind, title,
    columns and natural_key_help, and writes check() (and the area's apply)."""

    kind = ""
    title = ""
    model = None
    natural_key_help = ""

    def check_columns(self, columns):
        """A file-level refusal that depends on which columns the file has: raise
        ocrm.imports.readers.FileRejected. Nothing by default."""

    def parse_rows(self, rows):
        for row in rows:
            for column in self.columns:
                if column.key not in row.data:
                    continue
                raw = row.data[column.key]
                if raw == "":
                    if column.required:
                        row.add_error(column.key, _("%(column)s is required.") % {"column": column.key})
                    continue
                try:
                    row.values[column.key] = column.parse(raw)
                except CellError as exc:
                    row.add_error(column.key, str(exc))

    def validate(self, bank, table_rows, actor=None):
        """[(row number, {key: text})] -> [RowState] with errors and the planned action."""
        rows = [RowState(number, dict(data)) for number, data in table_rows]
        self.parse_rows(rows)
        self.check(bank, rows, actor)
        for row in rows:
            if not row.valid:
                row.action, row.changes = "", {}
        return rows

    def check(self, bank, rows, actor):
        raise NotImplementedError

    # helpers for the specs ---------------------------------------------------------------------

    @staticmethod
    def plan(row, current, target):
        """Set row.action/changes from the current values (None = new) and the target."""
        row.target = target
        if current is None:
            row.action = CREATE
            row.changes = {k: [None, plain(v)] for k, v in target.items() if v not in (None, "", ())}
            return
        row.changes = {k: [plain(current.get(k)), plain(v)] for k, v in target.items() if current.get(k) != v}
        row.action = UPDATE if row.changes else UNCHANGED

    @staticmethod
    def merged(row, current, defaults, fields):
        """The target value of each field: the file's cell, else the current value, else the default."""
        target = {}
        for name in fields:
            if row.has(name):
                target[name] = row.values[name]
            elif current is not None:
                target[name] = current[name]
            else:
                target[name] = defaults.get(name, "")
        return target

    @staticmethod
    def full_clean(instance, row, exclude=()):
        try:
            instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise RowApplyError(_("Row %(row)d: %(error)s") % {"row": row.row_number, "error": "; ".join(exc.messages)}) from exc
