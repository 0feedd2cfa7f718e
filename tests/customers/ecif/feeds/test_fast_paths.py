"""The shortcuts a customer feed takes per row must answer exactly as the slow, general checks do."""

import hashlib
import hmac
import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.test import override_settings

from customers.ecif.feeds import reading
from ocrm import pii

REGIONS = ["CN", "HK", "MO", "TW", "SG", "MY", "TH", "JP", "KR", "IN", "AU", "GB", "DE", "FR", "US", "CA"]


def _slow_phone(text, region):
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _candidates(region, rng, count):
    """National numbers shaped like the region's mobiles (its example with digits changed), and noise."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number) if example else "13800138000"
    for _ in range(count):
        keep = rng.randint(1, min(4, len(national)))
        yield national[:keep] + "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
        yield str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 11)))
    yield "+86 139 1234 5678"
    yield "017912345678"


def test_the_plain_mobile_shortcut_gives_phonenumbers_own_answer():
    rng = random.Random(20261124)
    taken = 0
    for region in REGIONS:
        for text in _candidates(region, rng, 1500):
            fast = reading._plain_mobile(text, region)
            if fast is not None:
                taken += 1
                assert fast == _slow_phone(text, region), (region, text)
    assert taken > 5000  # the shortcut is really taken for ordinary mobiles


def test_check_phone_refuses_what_phonenumbers_refuses():
    with pytest.raises(reading.CellError):
        reading.check_phone(None, "12345", {}, "CN")
    assert reading.check_phone(None, "13912345678", {}, "CN") == "+8613912345678"
    assert reading.check_phone(None, "+852 9123 4567", {}, "CN") == "+85291234567"


def test_every_plain_email_is_one_django_accepts():
    rng = random.Random(7)
    alphabet = "abz09._%+-@ü'\""
    matched = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 14))) + rng.choice(["", ".cn", ".com", "-"])
        if reading.PLAIN_EMAIL.fullmatch(text):
            matched += 1
            validate_email(text)  # raises if the shortcut let through something Django refuses
    assert matched > 50
    for bad in ["a..b@x.cn", ".a@x.cn", "a@-x.cn", "a@x-.cn", "a@x.c", "a@x", "a b@x.cn"]:
        assert not reading.PLAIN_EMAIL.fullmatch(bad)
        with pytest.raises((reading.CellError, ValidationError)):
            reading.check_email(None, bad, {})
    assert reading.check_email(None, "Li.Na+crm@Example.COM.cn", {}) == "li.na+crm@example.com.cn"


def test_identity_numbers_normalise_hash_and_encrypt_as_before():
    rng = random.Random(3)
    for _ in range(5000):
        text = "".join(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x3100)])) for _ in range(rng.randint(0, 20)))
        assert pii.normalise_id_number(text) == "".join(ch for ch in text if ch.isalnum()).upper()
    with override_settings(PII_HASH_KEY="k1", PII_ENCRYPTION_KEY=""):
        expected = hmac.new(b"k1", b"11010519491231002X", hashlib.sha256).hexdigest()
        assert pii.keyed_hash("110105 19491231 002x") == expected
        token = pii.encrypt("11010519491231002X")
    with override_settings(PII_HASH_KEY="k2"):  # the cached key follows the setting
        assert pii.keyed_hash("11010519491231002X") != expected
    assert pii.decrypt(token) == "11010519491231002X"
