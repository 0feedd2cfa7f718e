"""Personal data at rest: identity numbers are never stored or indexed in clear text.

* keyed_hash(value): HMAC-SHA256 under PII_HASH_KEY, for exact look-up (an index on the
  hash finds "3301...1234" without the number being readable in the table or index).
* encrypt / decrypt: Fernet (AES-128-CBC + HMAC) under PII_ENCRYPTION_KEY, so a user
  holding the unmask permission can see the number.
* mask(value, kind) and mask_id / mask_phone / ...: what everyone else sees, by the kind of
  personal data (never more than a third of a value); scrub(data): every personal value in
  JSON-ready data masked (the audit log writes nothing else).

Both keys come from the environment in production (see README); they default to keys
derived from SECRET_KEY so that a development set-up works with nothing configured.
Rotating a key means re-hashing/re-encrypting: keep the old key until that job ran.
"""

import base64
import datetime
import functools
import hashlib
import hmac
import re
import urllib.parse

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.cache import add_never_cache_headers


def _derive(purpose):
    return hashlib.sha256(f"ocrm-pii-{purpose}:{settings.SECRET_KEY}".encode()).digest()


def _fernet():
    return _fernet_for(getattr(settings, "PII_ENCRYPTION_KEY", "") or "", settings.SECRET_KEY)


# Key objects are built once per key (a feed load hashes and encrypts a million numbers); the
# settings' values are the cache key, so that a changed setting takes effect at once.
@functools.lru_cache(maxsize=4)
def _fernet_for(key, _secret_key):
    return Fernet(key.encode() if key else base64.urlsafe_b64encode(_derive("encrypt")))


@functools.lru_cache(maxsize=4)
def _hmac_for(key, _secret_key):
    return hmac.new(key.encode() if key else _derive("hash"), digestmod=hashlib.sha256)


NOT_ALNUM = re.compile(r"[\W_]+")  # \W is "not str.isalnum() and not _"


def normalise_id_number(value):
    """The canonical form that is hashed: no spaces or dashes, upper case."""
    text = str(value or "")
    return (text if text.isalnum() else NOT_ALNUM.sub("", text)).upper()


def keyed_hash(value):
    mac = _hmac_for(getattr(settings, "PII_HASH_KEY", "") or "", settings.SECRET_KEY).copy()
    mac.update(normalise_id_number(value).encode())
    return mac.hexdigest()


def encrypt(value):
    return _fernet().encrypt(str(value).encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


# --- masking by type ------------------------------------------------------------------------------
# One rule for every kind of personal data: a masked value never shows more than a third of its
# characters (SHOWN_SHARE), and which third depends on what a person needs to recognise it: the
# ends of an identity number, the last digits of a phone or an account, the start of an address.

IDENTITY = "identity"
PHONE = "phone"
EMAIL = "email"
MESSAGING = "messaging"  # WeChat, WhatsApp, LINE and other messenger IDs
ADDRESS = "address"
ACCOUNT = "account"
BIRTH_DATE = "birth_date"

SHOWN_SHARE = 3  # at most len // SHOWN_SHARE characters of a value are shown
ACCOUNT_SHOWN_MAX = 4  # an account number shows its last four digits at most
HIDDEN = "*"


def _shown(length):
    return length // SHOWN_SHARE


def _ends(text):
    """The first and last characters of `text`, a third of it in all, the rest hidden."""
    shown = _shown(len(text))
    head = shown // 2
    tail = shown - head
    return text[:head] + HIDDEN * (len(text) - shown) + (text[len(text) - tail :] if tail else "")


def mask_id(value):
    """310************378: a third of the number, split between its two ends (a resident ID
    shows 3 + 3 of 18, a passport 1 + 2 of 9)."""
    return _ends(normalise_id_number(value))


_PLAIN_PHONE = re.compile(r"\+[0-9 -]+")


def _country_code_digits(text):
    """How many leading digits of an international number are its country code. E.164 codes are a
    prefix code, so the first one to three digits that name a code are it: found without parsing
    the whole number (phonenumbers.parse was a tenth of a 100k-row export's time), and tested
    against it. A number of unusual length is left to phonenumbers (national prefixes and limits)."""
    if not text.startswith("+"):
        return 0
    digits = text[1:].replace(" ", "").replace("-", "") if _PLAIN_PHONE.fullmatch(text) else ""
    for length in (1, 2, 3) if digits[:1] in "123456789" and digits else ():
        if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            if 4 <= len(digits) - length <= 15:
                return length
            break
    try:
        return len(str(phonenumbers.parse(text, None).country_code))
    except phonenumbers.NumberParseException:
        return 0


def mask_phone(value):
    """+86********678: the country code and the last third of the national number's digits."""
    text = str(value or "")
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    national = digits[_country_code_digits(text) :]
    if not national:
        return mask_text(text)
    hidden = set(national[: len(national) - _shown(len(national))])
    return "".join(HIDDEN if i in hidden else ch for i, ch in enumerate(text))


def mask_email(value):
    """zha******@*******.com: a third of the name, the domain's top level only."""
    text = str(value or "")
    name, at, domain = text.partition("@")
    if not at:
        return mask_text(text)
    host, dot, top = domain.rpartition(".")
    if not dot:
        host, top = top, ""
    shown = _shown(len(name))
    return name[:shown] + HIDDEN * (len(name) - shown) + "@" + HIDDEN * len(host) + dot + top


def mask_text(value):
    """A messenger ID or any other personal text: a third of it, split between its ends."""
    return _ends(str(value or ""))


def mask_address(value):
    """上海市浦东******: the first third (province, city, district come first), the rest hidden."""
    text = str(value or "")
    shown = _shown(len(text))
    return text[:shown] + HIDDEN * (len(text) - shown)


def mask_account(value):
    """***************0123: the last digits (a third at most, four at most)."""
    text = str(value or "")
    shown = min(_shown(len(text)), ACCOUNT_SHOWN_MAX)
    return HIDDEN * (len(text) - shown) + (text[len(text) - shown :] if shown else "")


def mask_birth_date(value):
    """1977-**-**: the year (what an age needs), never the day."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        value = value.isoformat()
    text = str(value or "")
    return text[:4] + re.sub(r"\d", HIDDEN, text[4:10]) if text else ""


MASKS = {
    IDENTITY: mask_id,
    PHONE: mask_phone,
    EMAIL: mask_email,
    MESSAGING: mask_text,
    ADDRESS: mask_address,
    ACCOUNT: mask_account,
    BIRTH_DATE: mask_birth_date,
}


def mask(value, kind):
    """`value` masked as the personal data it is (one of MASKS' kinds); empty stays empty."""
    if value is None or value == "":
        return value
    return MASKS[kind](value)


def mask_contact(kind, value):
    """A contact point's value by the contact point's kind (customers.master ContactPoint.Kind)."""
    if kind in ("mobile", "phone"):
        return mask_phone(value)
    if kind == "email":
        return mask_email(value)
    return mask_text(value)


def contact_value_kind(value):
    """The kind of a contact value judged by its shape (where its kind is not at hand)."""
    text = str(value or "")
    if "@" in text:
        return EMAIL
    if PHONE_SHAPE.fullmatch(text):
        return PHONE
    return MESSAGING


PHONE_SHAPE = re.compile(r"\+?[\d\s\-()]{7,20}")


# --- the personal data of each field -----------------------------------------------------------------
# Field names, wherever they appear (a model's field, a form's, a change request's JSON, an audit
# entry's changes), that always hold personal data of one kind. Apps add their own names with
# classify(); scrub() masks them, and ocrm.audit.services.record() scrubs every entry.

FIELD_KINDS = {
    "id_number": IDENTITY,
    "identity_number": IDENTITY,
    "number_clear": IDENTITY,
    "phone": PHONE,
    "mobile": PHONE,
    "email": EMAIL,
    "wechat": MESSAGING,
    "whatsapp": MESSAGING,
    "line1": ADDRESS,  # a customer's address lines ("address" alone also names a branch's, which is not personal)
    "line2": ADDRESS,
    "account_number": ACCOUNT,
    "birth_date": BIRTH_DATE,
}

# Query-string and form parameters that carry a searched identity number, phone or account number.
QUERY_KEYS = {"q", "value", "id_number", "phone", "account", "account_number"}


def classify(**fields):
    """Declare field names that hold personal data: classify(passport_no=IDENTITY)."""
    unknown = {kind for kind in fields.values() if kind not in MASKS}
    if unknown:
        raise ValueError(f"unknown personal data kinds: {sorted(unknown)}")
    FIELD_KINDS.update(fields)


def field_kind(name):
    return FIELD_KINDS.get(str(name))


# Personal data recognised by its shape in free text: an e-mail address, a resident ID number
# (its check digit must hold: a customer or batch number is not one), a mainland mobile number
# or any number written with its country code (+...). Other numbers (customer numbers, amounts,
# dates) are left alone; account numbers are masked by their field's name.
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
NUMBER_IN_TEXT = re.compile(r"(?<![\w*.+])(\+\d[\d \-]{6,}\d|\d{17}[\dXx]|1[3-9]\d{9})(?![\w*]|\.\d)")


def _mask_number(match):
    found = match.group()
    if found.startswith("+"):
        return mask_phone(found)
    if len(found) == 18:
        return mask_id(found) if resident_id_is_valid(found) else found
    return mask_phone(found)


def scrub_text(text):
    """`text` with every e-mail address, resident ID and phone number in it masked."""
    if not isinstance(text, str) or not text:
        return text
    return NUMBER_IN_TEXT.sub(_mask_number, EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), text))


def _looks_like_key(value):
    return sum(ch.isdigit() for ch in value) >= 4


def scrub_query(query):
    """A query string with the searched keys in QUERY_KEYS masked (a name search is kept)."""
    pairs = urllib.parse.parse_qsl(str(query), keep_blank_values=True)
    return urllib.parse.urlencode([(key, _scrub_parameter(key, value)) for key, value in pairs], safe=HIDDEN)


def _scrub_parameter(key, value):
    if key in QUERY_KEYS and _looks_like_key(value):
        return mask_text(value)
    return scrub_text(value)


def scrub(data, kind=None):
    """`data` (JSON-ready: dicts, lists, strings) with personal data masked: values under a
    classified field name by their kind, query strings by their parameters, and any other
    text by its shape."""
    if isinstance(data, dict):
        return {key: _scrub_item(key, value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [scrub(value, kind) for value in data]
    if kind is not None and isinstance(data, (str, datetime.date)) and data:
        return mask(data, kind)
    if isinstance(data, str):
        return scrub_text(data)
    return data


def _scrub_item(key, value):
    if key in ("query", "filter", "filter_query") and isinstance(value, str):
        return scrub_query(value)
    if key in QUERY_KEYS and isinstance(value, str):
        return _scrub_parameter(key, value)
    return scrub(value, field_kind(key))


# --- pages that show personal data -------------------------------------------------------------------
# A page or file with customer data must not stay in a browser's or a proxy's cache
# (Cache-Control: no-store). Views say so by construction: PrivatePageMixin for classes,
# @private_page for functions; both mark the view with `shows_personal_data`, which the tests
# walk (every customer route carries it).


def no_store(response):
    add_never_cache_headers(response)  # max-age=0, no-cache, no-store, must-revalidate, private
    return response


def private_page(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return no_store(view(request, *args, **kwargs))

    wrapper.shows_personal_data = True
    return wrapper


class PrivatePageMixin:
    shows_personal_data = True

    def dispatch(self, request, *args, **kwargs):
        return no_store(super().dispatch(request, *args, **kwargs))


RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"


def resident_id_is_valid(value):
    """A mainland China resident ID (GB 11643-1999): 17 digits + check digit (0-9 or X),
    with a real birth date in positions 7-14."""
    text = normalise_id_number(value)
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], RESIDENT_ID_WEIGHTS, strict=True))
    if RESIDENT_ID_CHECK[total % 11] != text[17]:
        return False
    try:
        datetime.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return True
