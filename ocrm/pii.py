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
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(purpose):
    return hashlib.sha256(f"ocrm-pii-{purpose}:{settings.SECRET_KEY}".encode()).digest()


def _hash_key():
    key = getattr(settings, "PII_HASH_KEY", "") or ""
    return key.encode() if key else _derive("hash")


def _fernet():
    key = getattr(settings, "PII_ENCRYPTION_KEY", "") or ""
    return Fernet(key.encode() if key else base64.urlsafe_b64encode(_derive("encrypt")))


def normalise_id_number(value):
    """The canonical form that is hashed: no spaces or dashes, upper case."""
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def keyed_hash(value):
    return hmac.new(_hash_key(), normalise_id_number(value).encode(), hashlib.sha256).hexdigest()


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
    hide = set(digits[len(digits) - 8: len(digits) - 4])
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
    import datetime

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
