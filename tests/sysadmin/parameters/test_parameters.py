"""Typed system parameters: each type, bank override over the global default, the Redis
cache kept in step with every change, validation in admin, and the audit trail."""

import datetime
import decimal
import threading

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_redis.cache import RedisCache

from ocrm import parameters as ocrm_parameters
from ocrm.audit.models import AuditLog
from sysadmin.parameters import services as parameters
from sysadmin.parameters.models import SystemParameter

pytestmark = pytest.mark.django_db

ADMIN_URL = "/admin/sysadmin/systemparameter/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def admin_client(user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("value_type", "raw", "expected"),
    [
        ("int", " 42 ", 42),
        ("decimal", "0.0125", decimal.Decimal("0.0125")),
        ("bool", "yes", True),
        ("bool", "Off", False),
        ("string", "  keep my spaces ", "  keep my spaces "),
        ("duration", "5400", datetime.timedelta(hours=1, minutes=30)),
        ("duration", "1 02:00:00", datetime.timedelta(days=1, hours=2)),
        ("json", '{"channels": ["sms", "email"], "quiet": [22, 7]}', {"channels": ["sms", "email"], "quiet": [22, 7]}),
    ],
)
def test_each_type_is_stored_as_text_and_read_typed(org, value_type, raw, expected):
    SystemParameter.objects.create(key=f"test.{value_type}", value_type=value_type, value=raw)
    value = ocrm_parameters.get(f"test.{value_type}")
    assert value == expected and type(value) is type(expected)
    assert ocrm_parameters.get(f"test.{value_type}") == expected  # again, from the cache


@pytest.mark.parametrize(
    ("value_type", "raw"),
    [
        ("int", "4.5"),
        ("int", "many"),
        ("decimal", "1,5"),
        ("decimal", "NaN"),
        ("bool", "maybe"),
        ("duration", "soon"),
        ("json", "{'single': 'quotes'}"),
    ],
)
def test_malformed_values_are_refused_with_a_message(org, value_type, raw):
    row = SystemParameter(key="test.bad", value_type=value_type, value=raw)
    with pytest.raises(ValidationError) as excinfo:
        row.full_clean()
    assert excinfo.value.message_dict["value"]
    assert parameters.validate("test.bad", value_type, raw)["value"]


def test_declared_keys_keep_their_type_and_sign():
    assert "value_type" in parameters.validate("session.idle_minutes", "string", "thirty")
    assert "value" in parameters.validate("login.max_failed_attempts", "int", "-1")
    assert parameters.validate("login.max_failed_attempts", "int", "3") == {}


def test_unknown_keys_without_a_row_are_an_error(org):
    with pytest.raises(KeyError):
        ocrm_parameters.get("no.such.parameter")


def test_bank_value_overrides_the_global_row_which_overrides_the_declared_default(org):
    key = "login.max_failed_attempts"
    assert ocrm_parameters.get(key, org.bank_a) == 5  # declared default
    parameters.set_value(key, 4)
    assert ocrm_parameters.get(key, org.bank_a) == 4 and ocrm_parameters.get(key, org.bank_b) == 4
    parameters.set_value(key, 3, bank=org.bank_a)
    assert ocrm_parameters.get(key, org.bank_a) == 3
    assert ocrm_parameters.get(key, org.bank_b.pk) == 4  # a bank id works as well as a bank
    assert ocrm_parameters.get(key) == 4


def test_reads_are_served_from_the_cache(org, django_assert_num_queries):
    parameters.set_value("import.max_rows", 1000, bank=org.bank_a)
    with django_assert_num_queries(1):
        assert ocrm_parameters.get("import.max_rows", org.bank_a) == 1000
    with django_assert_num_queries(0):
        assert ocrm_parameters.get("import.max_rows", org.bank_a) == 1000


def test_every_save_and_delete_clears_the_cache_at_once(org):
    key = "export.max_rows"
    assert ocrm_parameters.get(key, org.bank_a) == 100000  # cached: the declared default
    global_row = SystemParameter.objects.create(key=key, value_type="int", value="500")
    assert ocrm_parameters.get(key, org.bank_a) == 500  # a new global row reaches a bank's cached value
    bank_row = SystemParameter.objects.create(key=key, bank=org.bank_a, value_type="int", value="70")
    assert ocrm_parameters.get(key, org.bank_a) == 70 and ocrm_parameters.get(key, org.bank_b) == 500
    bank_row.value = "80"
    bank_row.save()
    assert ocrm_parameters.get(key, org.bank_a) == 80
    bank_row.delete()
    assert ocrm_parameters.get(key, org.bank_a) == 500
    global_row.delete()
    assert ocrm_parameters.get(key, org.bank_b) == 100000


def test_renaming_a_key_forgets_the_old_name_too(org):
    row = SystemParameter.objects.create(key="test.old", value_type="int", value="1")
    assert ocrm_parameters.get("test.old") == 1
    row.key = "test.new"
    row.save()
    with pytest.raises(KeyError):
        ocrm_parameters.get("test.old")
    assert ocrm_parameters.get("test.new") == 1


def test_a_stored_value_that_no_longer_parses_falls_back_to_the_default(org):
    row = SystemParameter.objects.create(key="session.idle_minutes", value_type="int", value="15")
    SystemParameter.objects.filter(pk=row.pk).update(value="fifteen")  # around the validation
    cache.delete_pattern("*")
    assert ocrm_parameters.get("session.idle_minutes") == 30


def test_set_value_is_audited_with_before_and_after_in_the_actors_name(org):
    parameters.set_value("password.expiry_days", 60, bank=org.bank_a, actor=org.admin)
    parameters.set_value("password.expiry_days", 45, bank=org.bank_a, actor=org.admin)
    create, update = AuditLog.objects.filter(object_type="sysadmin.systemparameter").order_by("at", "id")
    assert create.action == AuditLog.Action.CREATE and create.changes["value"] == [None, "60"]
    assert update.action == AuditLog.Action.UPDATE and update.changes == {"value": ["60", "45"]}
    assert update.actor == org.admin and update.bank_id == org.bank_a.pk
    with pytest.raises(ValidationError):
        parameters.set_value("password.expiry_days", "ninety", bank=org.bank_a)
    assert ocrm_parameters.get("password.expiry_days", org.bank_a) == 45


def test_set_value_types(org):
    parameters.set_value("test.flags", {"a": [1, 2]}, value_type="json")
    parameters.set_value("test.enabled", False, value_type="bool")
    parameters.set_value("test.window", datetime.timedelta(minutes=5), value_type="duration")
    assert ocrm_parameters.get("test.flags") == {"a": [1, 2]}
    assert ocrm_parameters.get("test.enabled") is False
    assert ocrm_parameters.get("test.window") == datetime.timedelta(minutes=5)


# --- admin ---------------------------------------------------------------------------------------


def admin_post(client, url, **data):
    payload = {"key": "", "bank": "", "value_type": "", "value": "", "description": ""}
    payload.update({k: ("" if v is None else v) for k, v in data.items()})
    return client.post(url, payload)


def test_admin_change_is_validated_audited_and_reaches_readers_at_once(org, make_staff):
    superuser = make_staff("root", is_superuser=True, is_staff=True)
    client = admin_client(superuser)
    row = SystemParameter.objects.create(key="session.idle_minutes", value_type="int", value="30")
    assert ocrm_parameters.get("session.idle_minutes", org.bank_a) == 30

    response = admin_post(
        client, f"{ADMIN_URL}{row.pk}/change/", key="session.idle_minutes", value_type="int", value="half an hour"
    )
    assert response.status_code == 200
    assert "Not a whole number" in response.content.decode()
    response = admin_post(client, f"{ADMIN_URL}{row.pk}/change/", key="session.idle_minutes", value_type="string", value="20")
    assert response.status_code == 200 and "is of type int" in response.content.decode()
    row.refresh_from_db()
    assert row.value == "30"

    response = admin_post(client, f"{ADMIN_URL}{row.pk}/change/", key="session.idle_minutes", value_type="int", value="20")
    assert response.status_code == 302
    assert ocrm_parameters.get("session.idle_minutes", org.bank_a) == 20
    entry = AuditLog.objects.get(object_type="sysadmin.systemparameter", action=AuditLog.Action.UPDATE)
    assert entry.changes == {"value": ["30", "20"]} and entry.actor == superuser

    response = client.post(f"{ADMIN_URL}{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert ocrm_parameters.get("session.idle_minutes", org.bank_a) == 30  # back to the declared default
    assert AuditLog.objects.filter(object_type="sysadmin.systemparameter", action=AuditLog.Action.DELETE).exists()


def test_bank_admin_edits_only_their_banks_rows(org):
    global_row = SystemParameter.objects.create(key="export.max_rows", value_type="int", value="5000")
    b_row = SystemParameter.objects.create(key="export.max_rows", bank=org.bank_b, value_type="int", value="10")
    client = admin_client(org.admin)

    listing = client.get(ADMIN_URL).content.decode()
    assert "5000" in listing and ">10<" not in listing
    assert client.get(f"{ADMIN_URL}{b_row.pk}/change/").status_code == 404
    # The global default is shown, read-only: another bank inherits it.
    assert client.get(f"{ADMIN_URL}{global_row.pk}/change/").status_code == 200
    response = admin_post(client, f"{ADMIN_URL}{global_row.pk}/change/", key="export.max_rows", value_type="int", value="1")
    assert response.status_code == 403
    global_row.refresh_from_db()
    assert global_row.value == "5000"

    # A new row needs a bank, and the only bank offered is the administrator's own.
    response = admin_post(client, f"{ADMIN_URL}add/", key="export.max_rows", value_type="int", value="900")
    assert response.status_code == 200 and not SystemParameter.objects.filter(value="900").exists()
    response = admin_post(client, f"{ADMIN_URL}add/", key="export.max_rows", bank=org.bank_b.pk, value_type="int", value="900")
    assert response.status_code == 200 and not SystemParameter.objects.filter(value="900").exists()
    response = admin_post(client, f"{ADMIN_URL}add/", key="export.max_rows", bank=org.bank_a.pk, value_type="int", value="900")
    assert response.status_code == 302
    assert ocrm_parameters.get("export.max_rows", org.bank_a) == 900 and ocrm_parameters.get("export.max_rows", org.bank_b) == 10
    entry = AuditLog.objects.get(object_type="sysadmin.systemparameter", action=AuditLog.Action.CREATE, actor=org.admin)
    assert entry.bank_id == org.bank_a.pk and entry.changes["value"] == [None, "900"]


def test_a_page_asks_redis_once_for_all_the_parameters_it_reads(client, org, monkeypatch):
    asked = []
    real_get = RedisCache.get

    def counting_get(self, key, *args, **kwargs):
        asked.append(key)
        return real_get(self, key, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get", counting_get)
    client.force_login(org.manager)
    client.get(reverse("customers:list"))
    first = [key for key in asked if key.startswith("param:")]
    assert len(first) > 2, first  # the list reads several parameters: each went to Redis once
    asked.clear()
    assert client.get(reverse("customers:list")).status_code == 200
    assert [key for key in asked if key.startswith("param:")] == [parameters.GENERATION_KEY]


@pytest.mark.django_db(transaction=True)
def test_a_request_keeps_its_parameters_and_the_next_one_sees_another_process_change():
    key = "export.max_rows"

    def another_process():  # a thread of its own: its own connection and its own copy of the values
        parameters.set_value(key, "500")
        connection.close()

    parameters.start_request()
    assert ocrm_parameters.get(key) == 100000
    changer = threading.Thread(target=another_process)
    changer.start()
    changer.join()
    assert SystemParameter.objects.get(key=key).value == "500"
    assert ocrm_parameters.get(key) == 100000  # one request reads one set of values
    parameters.end_request()
    assert ocrm_parameters.get(key) == 500  # outside a request every read asks whether they changed
    parameters.start_request()
    assert ocrm_parameters.get(key) == 500
    parameters.end_request()
    # Read with no token in Redis yet; another change, then Redis emptied (restarted, or a test's clean-up)
    # before this thread looked: a missing token counts as a change.
    cache.delete_pattern("*")
    assert ocrm_parameters.get(key) == 500
    changer = threading.Thread(target=lambda: (parameters.set_value(key, "700"), connection.close()))
    changer.start()
    changer.join()
    cache.delete_pattern("*")
    assert ocrm_parameters.get(key) == 700
