"""The checks of one feed cell that SQL cannot do well, row by row.

The file itself is read by the kernel's one reader (ocrm.imports.readers.SheetFile: type
sniffing, UTF-8 or GB18030 decided on the first megabyte, zip-bomb checks, header mapping;
CSV is streamed, never held in memory as rows). Each row is checked cell by cell here
(required, type, length, codes, the resident-ID check digit, phone numbers per country):
identity numbers leave this module only as keyed hash, ciphertext and mask, never in clear text."""

import datetime
import decimal
import functools
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django_countries import countries
from phonenumbers import PhoneMetadata

from customers.ecif.feeds.formats import CURRENCIES
from ocrm import pii
from ocrm.imports.specs import CellError

COUNTRY_CODES = frozenset(code for code, _name in countries)


TRUE_WORDS = {"true", "yes", "y", "1", "是", "t"}


FALSE_WORDS = {"false", "no", "n", "0", "否", "f", ""}


DATETIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")


MAX_MONEY = decimal.Decimal("1e18")
MAX_FX_RATE = decimal.Decimal("1e9")


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


def check_fx_rate(col, text, row):
    value = _number(text, 8)
    if decimal.Decimal(value) <= 0:
        raise CellError(_("an exchange rate is above zero"))
    if decimal.Decimal(value) >= MAX_FX_RATE:
        raise CellError(_("not a finite number within range"))
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
    "fx_rate": check_fx_rate,
    "currency": check_currency,
    "country": check_country,
    "bool": check_bool,
    "email": check_email,
    "id_number": check_id_number,
}
