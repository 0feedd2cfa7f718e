"""Streaming a feed file into rows, and the checks of one cell that SQL cannot do well.

The file is never held in memory as rows: CSV is decoded incrementally (UTF-8, else
GB18030, decided on the first megabyte; a later byte that does not decode rejects the
whole file), XLSX goes through the zip-bomb checks of sysadmin.imports.readers and is then
read in openpyxl's read-only mode. Each row is checked cell by cell here (required, type,
length, codes, the resident-ID check digit, phone numbers per country): identity numbers
leave this module only as keyed hash, ciphertext and mask, never in clear text."""

import codecs
import csv
import datetime
import decimal
import functools
import io
import os
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django_countries import countries
from openpyxl.utils import get_column_letter
from phonenumbers import PhoneMetadata

from customers.ecif.feeds.formats import CURRENCIES
from ocrm import pii
from sysadmin.imports import readers
from sysadmin.imports.readers import FileRejected

SNIFF_BYTES = 1024 * 1024


COUNTRY_CODES = frozenset(code for code, _name in countries)


TRUE_WORDS = {"true", "yes", "y", "1", "是", "t"}


FALSE_WORDS = {"false", "no", "n", "0", "否", "f", ""}


DATETIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")


MAX_MONEY = decimal.Decimal("1e18")


class FeedFile:
    """An open feed file: format, encoding, the recognised columns in file order, and rows."""

    def __init__(self, path, spec):
        self.path = path
        self.spec = spec
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
        self.format = readers.sniff_format(head)
        self.encoding = ""
        if self.format == "xlsx":
            lim = readers.limits()
            # A workbook is parsed in memory: large feeds come as CSV, which is streamed.
            if os.path.getsize(path) > lim["max_bytes"]:
                raise FileRejected(
                    readers.too_large_message(os.path.getsize(path), lim["max_bytes"]) + " " + _("Send large feeds as CSV.")
                )
            with open(path, "rb") as handle:
                self._content = handle.read()
            readers.check_xlsx_archive(self._content, lim["max_uncompressed"], lim["max_ratio"])
        else:
            self.encoding = _sniff_encoding(head)

    def raw_rows(self):
        if self.format == "xlsx":
            yield from readers._xlsx_rows(self._content)
            return
        with open(self.path, "rb") as handle:
            self._handle = handle
            text = io.TextIOWrapper(
                handle, encoding="utf-8-sig" if self.encoding == "utf-8" else "gb18030", errors="strict", newline=""
            )
            first = text.readline()
            delimiter = _best_delimiter(first, self.spec)
            lines = _chain([first], text)
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                yield from reader
            except UnicodeDecodeError as exc:
                raise FileRejected(
                    _(
                        "The file is not consistently %(encoding)s: a byte near line %(line)d cannot be "
                        'decoded. Save it as "CSV UTF-8" (or as XLSX) and send it again.'
                    )
                    % {"encoding": self.encoding, "line": reader.line_num + 1}
                ) from exc
            except csv.Error as exc:
                raise FileRejected(
                    _("The CSV file is malformed near line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
                ) from exc

    @property
    def bytes_read(self):
        """How far into the file reading has got (CSV; XLSX workbooks are parsed as a whole)."""
        handle = getattr(self, "_handle", None)
        return handle.tell() if handle is not None and not handle.closed else 0

    def rows(self):
        """(row number as a spreadsheet shows it, {key: cell}, stray-cell error or None) per data row;
        self.columns is set once the header has been read."""
        raw = iter(self.raw_rows())
        header = next(raw, None)
        header = [readers.clean_cell(c) for c in header or []]
        if not any(header):
            raise FileRejected(_("The first row must hold the column names; it is empty."))
        positions = _map_header(header, self.spec)
        self.columns = list(positions.values())
        for offset, cells in enumerate(raw):
            texts = [readers.clean_cell(c) for c in cells]
            if not any(texts):
                continue
            stray = next((i for i, text in enumerate(texts) if text and i not in positions), None)
            values = {key: texts[i] if i < len(texts) else "" for i, key in positions.items()}
            problem = None
            if stray is not None:
                problem = _("this row has a value in column %(column)s, which has no column name") % {
                    "column": get_column_letter(stray + 1)
                }
            yield offset + 2, values, problem


def _chain(first, rest):
    yield from first
    yield from rest


def _sniff_encoding(head):
    # Cut at the last newline so that a character split by the 1 MB boundary does not count.
    sample = head[: head.rfind(b"\n") + 1] if len(head) == SNIFF_BYTES and b"\n" in head else head
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(sample, encoding)
        except UnicodeDecodeError:
            continue
        if readers._looks_like_text(text):
            return "utf-8" if encoding == "utf-8-sig" else encoding
    raise FileRejected(
        _(
            "The file's character encoding is not UTF-8 or GB18030, so its text cannot be read "
            'reliably. Save it as "CSV UTF-8" (or as XLSX) and send it again.'
        )
    )


def _best_delimiter(header_line, spec):
    best, best_hits = ",", -1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        hits = sum(1 for cell in cells if spec.column_for_header(readers.clean_cell(cell)) is not None)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


def _map_header(header, spec):
    positions, unknown, seen = {}, [], {}
    for index, name in enumerate(header):
        if not name:
            continue
        col = spec.column_for_header(name)
        if col is None:
            unknown.append(f"{get_column_letter(index + 1)}: {name}")
            continue
        if col.key in seen:
            raise FileRejected(
                _("The column %(column)s appears twice (columns %(a)s and %(b)s).")
                % {"column": col.key, "a": get_column_letter(seen[col.key] + 1), "b": get_column_letter(index + 1)}
            )
        seen[col.key] = index
        positions[index] = col.key
    if unknown:
        raise FileRejected(
            _("Unknown columns: %(columns)s. The columns of this feed are: %(known)s.")
            % {"columns": "; ".join(unknown), "known": spec.header_help()}
        )
    missing = [c for c in spec.columns if c.required and c.key not in seen]
    if missing:
        raise FileRejected(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(f"{c.key} ({c.label_zh})" for c in missing)}
        )
    return positions


class CellError(Exception):
    pass


def check_text(col, text, row):
    if len(text) > col.max_length:
        raise CellError(_("longer than %(max)d characters") % {"max": col.max_length})
    return text


def check_choice(col, text, row):
    if text not in col.choices:
        raise CellError(_("not one of %(choices)s") % {"choices": ", ".join(col.choices)})
    return text


def check_date(col, text, row):
    try:
        return datetime.date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date()
    except ValueError:
        raise CellError(_("not a date YYYY-MM-DD")) from None


def _bad_date():
    raise ValueError


def check_datetime(col, text, row):
    if not DATETIME_FORMAT.match(text):
        raise CellError(_("not a date and time YYYY-MM-DD HH:MM[:SS][+08:00]"))
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CellError(_("not a real date and time")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.isoformat()


def _number(text, places):
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise CellError(_("not a number (use a dot as the decimal separator)")) from None
    if not value.is_finite() or abs(value) >= MAX_MONEY:
        raise CellError(_("not a finite number within range"))
    if value.as_tuple().exponent < -places:
        raise CellError(_("more than %(places)d decimals") % {"places": places})
    return str(value)


def check_decimal(col, text, row):
    return _number(text, 2)


def check_rate(col, text, row):
    value = _number(text, 4)
    if abs(decimal.Decimal(value)) >= 1000:
        raise CellError(_("not a rate in per cent"))
    return value


def check_currency(col, text, row):
    code = text.upper()
    if code not in CURRENCIES:
        raise CellError(_("not an ISO 4217 currency code"))
    return code


def check_country(col, text, row):
    code = text.upper()
    if code not in COUNTRY_CODES:
        raise CellError(_("not an ISO 3166 two-letter country code"))
    return code


def check_bool(col, text, row):
    word = text.lower()
    if word in TRUE_WORDS:
        return "t"
    if word in FALSE_WORDS:
        return "f"
    raise CellError(_("not true/false"))


# A plain address, a strict subset of what Django's validate_email accepts (a test holds it to
# that): it skips the validator, the second costliest check of a customer row.
PLAIN_EMAIL = re.compile(r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def check_email(col, text, row):
    text = text.lower()
    if len(text) <= 254 and PLAIN_EMAIL.fullmatch(text):
        return text
    try:
        validate_email(text)
    except ValidationError:
        raise CellError(_("not a valid e-mail address")) from None
    return text


def check_phone(col, text, row, region):
    fast = _plain_mobile(text, region)
    if fast:
        return fast
    try:
        parsed = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        raise CellError(_("not a phone number")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise CellError(
            _("not a valid phone number in %(region)s (write another country's number with + and its country code)")
            % {"region": region or "?"}
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=64)
def _mobile_rule(region):
    """(compiled national mobile pattern, possible lengths, prefix stripped when parsing, "+<code>") of a
    region, or None."""
    metadata = PhoneMetadata.metadata_for_region(region or "")
    if metadata is None or metadata.mobile is None or not metadata.mobile.national_number_pattern:
        return None
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
    return (
        re.compile(metadata.mobile.national_number_pattern),
        frozenset(metadata.mobile.possible_length or ()),
        re.compile(prefix) if prefix else None,
        f"+{metadata.country_code}",
    )


def _plain_mobile(text, region):
    """The E.164 form of a mobile number written as plain national digits ("13912345678" in CN), read
    straight off phonenumbers' own metadata; None for anything else, which phonenumbers then parses
    in full (a test holds both ways to the same answers). A customer feed spent a quarter of
    its checking time in phonenumbers.parse otherwise."""
    if not text.isdigit() or not text.isascii():
        return None
    rule = _mobile_rule(region)
    if rule is None:
        return None
    pattern, lengths, prefix, code = rule
    if len(text) not in lengths or (prefix is not None and prefix.match(text)) or not pattern.fullmatch(text):
        return None
    return code + text


def check_id_number(col, text, row):
    number = pii.normalise_id_number(text)
    if not number or len(number) > col.max_length:
        raise CellError(_("not a document number"))
    if row.get("id_type", row.get("doc_type")) == "resident_id" and not pii.resident_id_is_valid(number):
        raise CellError(_("not a valid PRC resident ID number (check digit or birth date)"))
    return number


CHECKS = {
    "text": check_text,
    "choice": check_choice,
    "date": check_date,
    "datetime": check_datetime,
    "decimal": check_decimal,
    "rate": check_rate,
    "currency": check_currency,
    "country": check_country,
    "bool": check_bool,
    "email": check_email,
    "id_number": check_id_number,
}
