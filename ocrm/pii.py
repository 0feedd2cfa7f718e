"""Personal data at rest: identity numbers are never stored or indexed in clear text.

* keyed_hash(value): HMAC-SHA256 under PII_HASH_KEY, for exact look-up (an index on the
  hash finds "3301...1234" without the number being readable in the table or index).
* encrypt / decrypt: Fernet (AES-128-CBC + HMAC) under PII_ENCRYPTION_KEY, so a user
  holding the unmask permission can see the number.
* mask_id / mask_phone / mask_email: what everyone else sees.

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

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


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


def mask_id(value):
    """3301**********1234: the first four and last four characters."""
    text = normalise_id_number(value)
    if len(text) <= 8:
        return text[:1] + "*" * max(len(text) - 2, 0) + text[-1:] if text else ""
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(value):
    """+86138****5678: country code and the first three and last four digits."""
    text = str(value or "")
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(digits) <= 7:
        return text
    hide = set(digits[len(digits) - 8 : len(digits) - 4])
    return "".join("*" if i in hide else ch for i, ch in enumerate(text))


def mask_email(value):
    text = str(value or "")
    name, at, domain = text.partition("@")
    if not at:
        return mask_phone(text)
    return (name[:1] + "***" + name[-1:] if len(name) > 2 else name[:1] + "*") + "@" + domain


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
