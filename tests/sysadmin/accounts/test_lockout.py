"""The lock-out (issue 11, finding 11): each attack of the penetration test, reproduced.

- the message told which user names exist (unknown name / wrong password / locked differed);
- anyone could lock any account (failures counted per account, from anywhere);
- the lock lasted until an administrator acted;
- an address could try any number of names.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from ocrm.audit.models import AuditLog
from ocrm.notifications.models import Notification
from sysadmin.accounts import services
from sysadmin.accounts.models import LoginFailure
from sysadmin.org.models import Staff
from sysadmin.parameters import services as parameters
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
WRONG = "Wrong-Pass-2026!"
ATTACKER, OFFICE = "203.0.113.66", "10.20.30.40"


def client_from(address, language="en"):
    client = Client(REMOTE_ADDR=address)
    client.cookies["django_language"] = language
    return client


def post_login(client, username, password=PASSWORD):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def logged_in(client):
    return client.session.get("_auth_user_id") is not None


def failure_message(response):
    """The page's error box and the form's error codes."""
    assert response.status_code == 200
    form = response.context["form"]
    return [str(e) for e in form.non_field_errors()], [e.code for e in form.non_field_errors().as_data()]


def test_every_failure_says_the_same(org):
    parameters.set_value("login.max_failed_attempts", 2, bank=org.bank_a)
    attacker = client_from(ATTACKER)
    unknown = failure_message(post_login(attacker, "no.such.user", WRONG))
    wrong_password = failure_message(post_login(attacker, org.manager.username, WRONG))
    post_login(attacker, org.manager.username, WRONG)  # the second failure pauses this name from here
    paused = failure_message(post_login(attacker, org.manager.username, PASSWORD))  # even the right password
    services.lock_staff(org.supervisor, org.admin, reason="investigation")
    locked = failure_message(post_login(client_from(OFFICE), org.supervisor.username, PASSWORD))
    unknown_paused = failure_message(post_login(attacker, "no.such.user", WRONG))

    assert unknown == wrong_password == paused == locked == unknown_paused
    assert unknown[1] == ["invalid_login"] and "paused after repeated failures" in unknown[0][0]
    assert not logged_in(attacker)


def test_an_attacker_cannot_lock_the_real_user_out(org):
    parameters.set_value("login.max_failed_attempts", 3, bank=org.bank_a)
    attacker = client_from(ATTACKER)
    for _ in range(10):
        post_login(attacker, org.manager.username, WRONG)
    post_login(attacker, org.manager.username, PASSWORD)
    assert not logged_in(attacker)  # the attacker's own address is paused

    office = client_from(OFFICE)
    response = post_login(office, org.manager.username, PASSWORD)
    assert response.status_code == 302 and logged_in(office)
    org.manager.refresh_from_db()
    assert org.manager.locked_at is None  # no account-wide lock any more

    [paused] = AuditLog.objects.filter(action=AuditLog.Action.LOCKED, object_id=str(org.manager.pk))
    assert paused.ip == ATTACKER and paused.detail["paused_by"] == "user name and address"
    assert paused.detail["cooling_off_minutes"] == 15 and paused.bank_id == org.bank_a.pk
    refused = AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, object_id=str(org.manager.pk), ip=ATTACKER)
    assert refused.count() == 11 and refused.filter(detail__reason="paused").count() == 8


def test_the_pause_ends_after_the_cooling_off_period(org):
    parameters.set_value("login.max_failed_attempts", 3, bank=org.bank_a)
    parameters.set_value("login.cooling_off_minutes", 5, bank=org.bank_a)
    attacker = client_from(ATTACKER)
    for _ in range(3):
        post_login(attacker, org.manager.username, WRONG)

    def age_failures(minutes):
        LoginFailure.objects.update(at=timezone.now() - datetime.timedelta(minutes=minutes))

    age_failures(4)  # still inside the five minutes
    post_login(attacker, org.manager.username, PASSWORD)
    assert not logged_in(attacker)
    age_failures(6)  # the refused attempt above counted too: all of them now older than five minutes
    response = post_login(attacker, org.manager.username, PASSWORD)
    assert response.status_code == 302 and logged_in(attacker)


def test_one_address_trying_many_names_is_paused(org):
    parameters.set_value("login.ip_max_failed_attempts", 5)
    Staff.objects.update(language="en")
    attacker = client_from(ATTACKER)
    for name in ["guess.0", "guess.1", org.teller.username, "guess.3", "guess.4"]:
        post_login(attacker, name, WRONG)
    post_login(attacker, org.manager.username, PASSWORD)  # a name it never tried, the right password
    assert not logged_in(attacker)
    entry = AuditLog.objects.get(action=AuditLog.Action.LOCKED, detail__paused_by="address")
    assert entry.ip == ATTACKER and entry.actor_name == "guess.4"
    # It tried one of bank A's accounts: bank A's security staff hear of it, bank B's do not.
    alerts = Notification.objects.filter(title="Log-in paused for an address trying many accounts")
    assert set(alerts.values_list("recipient_id", flat=True)) == {org.admin.pk, org.auditor.pk}
    assert ATTACKER in alerts.first().body

    office = client_from(OFFICE)
    post_login(office, org.manager.username, PASSWORD)
    assert logged_in(office)


def test_a_burst_alerts_the_banks_administrators_and_auditors(org, make_staff):
    parameters.set_value("login.alert_failures", 4, bank=org.bank_a)
    Staff.objects.update(language="en")
    chinese_auditor = make_staff("a.auditor.zh", branch=org.a_ho, roles=["auditor"], language="zh-hans")
    targets = [org.manager, org.teller, org.manager_bj, org.supervisor]
    for n, user in enumerate(targets):  # from four addresses: no pause, but a burst against the bank
        post_login(client_from(f"198.51.100.{n + 1}"), user.username, WRONG)

    alerts = Notification.objects.filter(level=Notification.Level.WARNING)
    assert set(alerts.values_list("recipient_id", flat=True)) == {org.admin.pk, org.auditor.pk, chinese_auditor.pk}
    english = alerts.get(recipient=org.admin)
    assert english.title == "Many failed log-ins"
    assert "4 failed log-ins to this bank's accounts in the last 15 minutes" in english.body
    assert "198.51.100.4" in english.body and english.link == "/sysadmin/audit/?action=login_failed"
    assert alerts.get(recipient=chinese_auditor).title != english.title  # in the auditor's own language

    post_login(client_from("198.51.100.9"), org.manager.username, WRONG)
    assert alerts.count() == 3  # once per cooling-off window, not once per failure
    post_login(client_from("198.51.100.9"), org.b_manager.username, WRONG)
    assert not Notification.objects.filter(recipient__in=[org.b_admin, org.b_supervisor]).exists()


def test_the_limits_follow_the_accounts_bank(org):
    parameters.set_value("login.max_failed_attempts", 2, bank=org.bank_a)  # bank B keeps the default of 5
    attacker = client_from(ATTACKER)
    for _ in range(3):
        post_login(attacker, org.b_manager.username, WRONG)
    post_login(attacker, org.b_manager.username, PASSWORD)
    assert logged_in(attacker)


def test_a_parameter_row_reaches_the_lockout_at_once(org):
    attacker = client_from(ATTACKER)
    post_login(attacker, org.manager.username, WRONG)  # caches the default limit (5)
    parameters.set_value("login.max_failed_attempts", 2, bank=org.bank_a)
    post_login(attacker, org.manager.username, WRONG)
    post_login(attacker, org.manager.username, PASSWORD)
    assert not logged_in(attacker)


def test_an_administrators_unlock_lifts_every_pause_of_the_name(org):
    parameters.set_value("login.max_failed_attempts", 2, bank=org.bank_a)
    attacker = client_from(ATTACKER)
    for _ in range(2):
        post_login(attacker, org.manager.username, WRONG)
    services.unlock_staff(org.manager, org.admin)
    assert not LoginFailure.objects.filter(username=org.manager.username).exists()
    post_login(attacker, org.manager.username, PASSWORD)
    assert logged_in(attacker)


def test_an_administrators_lock_holds_until_lifted(org):
    services.lock_staff(org.manager, org.admin, reason="left the building with a laptop")
    office = client_from(OFFICE)
    post_login(office, org.manager.username, PASSWORD)
    assert not logged_in(office)
    LoginFailure.objects.update(at=timezone.now() - datetime.timedelta(days=1))  # cooling off does not lift it
    post_login(office, org.manager.username, PASSWORD)
    assert not logged_in(office)
    entry = AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, object_id=str(org.manager.pk)).latest("id")
    assert entry.detail["reason"] == "locked"
    services.unlock_staff(org.manager, org.admin)
    post_login(office, org.manager.username, PASSWORD)
    assert logged_in(office)
    assert Staff.objects.get(pk=org.manager.pk).failed_login_count == 0


def test_failures_past_every_cooling_off_period_are_forgotten(org):
    old = LoginFailure.objects.create(username="x", ip=ATTACKER, at=timezone.now() - datetime.timedelta(days=8))
    recent = LoginFailure.objects.create(username="x", ip=ATTACKER, at=timezone.now() - datetime.timedelta(days=6))
    post_login(client_from(OFFICE), "y", WRONG)
    assert not LoginFailure.objects.filter(pk=old.pk).exists() and LoginFailure.objects.filter(pk=recent.pk).exists()
