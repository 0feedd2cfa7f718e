"""The second factor (TOTP): who must use it, enrolment, log-in with a code computed here from the
device key as the phone would, recovery codes, Django admin, and the administrator's reset."""

import base64
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ocrm.audit.models import AuditLog
from sysadmin.accounts import mfa
from sysadmin.accounts.models import RecoveryCode, RecoveryCodeDevice, hash_recovery_code
from sysadmin.parameters import services as parameters
from tests.conftest import PASSWORD
from tests.support.mfa import authenticator, code_for, force_login_password_only

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
ENROL_URL = "/accounts/second-factor/enrol/"
VERIFY_URL = "/accounts/second-factor/verify/"
RESET_URL = "/accounts/second-factor/reset/"
PAGES = ["/", "/sysadmin/audit/", "/customers/", "/admin/", "/admin/sysadmin/staff/", "/accounts/password/change/"]


def english_client():
    c = Client(REMOTE_ADDR="10.20.30.40")
    c.cookies["django_language"] = "en"
    return c


@pytest.fixture
def client():
    return english_client()


def log_in_with_password(client, user):
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password step itself succeeds"
    return response


def redirects_to(response, path):
    return response.status_code == 302 and response.url.startswith(path)


def test_a_supervisor_without_an_app_is_sent_to_enrolment_and_reaches_nothing_else(org, client):
    log_in_with_password(client, org.supervisor)
    for page in PAGES:
        response = client.get(page)
        assert redirects_to(response, f"{ENROL_URL}?next="), page
    assert client.post("/sysadmin/audit/").url.startswith(ENROL_URL)
    assert client.get(ENROL_URL).status_code == 200
    assert client.get("/static/ocrm/ocrm.css").status_code == 200
    assert redirects_to(client.post("/accounts/logout/"), LOGIN_URL)


@pytest.mark.parametrize("role_user", ["admin", "auditor", "supervisor"])
def test_the_roles_that_must_use_a_second_factor(org, client, role_user):
    force_login_password_only(client, getattr(org, role_user))
    assert redirects_to(client.get("/"), ENROL_URL)


def test_other_roles_need_none_unless_their_bank_says_so(org, client):
    force_login_password_only(client, org.manager)
    assert client.get("/").status_code == 200
    parameters.set_value("mfa.required_for_all", True, bank=org.bank_a)
    assert redirects_to(client.get("/"), ENROL_URL)
    other_bank = Client()
    force_login_password_only(other_bank, org.b_manager)
    assert other_bank.get("/").status_code == 200


def test_enrolment_with_the_qr_code_or_the_key_then_recovery_codes(org, client):
    log_in_with_password(client, org.supervisor)
    page = client.get(f"{ENROL_URL}?next=/customers/").content.decode()
    assert '<svg width="' in page and "cdn" not in page.lower()  # the QR code is drawn here, inline
    key = re.search(r'id="mfa-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.get(ENROL_URL).content.decode().count(key[:4] + " " + key[4:8]) == 1  # the same key on every view
    assert not TOTPDevice.objects.exists()  # showing the page wrote nothing

    bin_key = base64.b32decode(key + "=" * (-len(key) % 8))
    phone = TOTP(bin_key)
    response = client.post(ENROL_URL, {"code": f"{(phone.token() + 1) % 1000000:06d}", "next": "/customers/"})
    assert "That code is not right" in response.content.decode()
    assert redirects_to(client.get("/"), ENROL_URL)

    response = client.post(ENROL_URL, {"code": f"{phone.token():06d}", "next": "/customers/"})
    page = response.content.decode()
    codes = re.findall(r"<li class=\"col-6 mb-1\">([A-Z0-9-]{19})</li>", page)
    assert len(codes) == 10 and 'href="/customers/"' in page
    device = TOTPDevice.objects.get(user=org.supervisor)
    assert device.confirmed and device.bin_key == bin_key
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert stored == {hash_recovery_code(c) for c in codes} and not stored & set(codes)  # hashes only
    assert client.get("/customers/").status_code == 200

    entry = AuditLog.objects.get(
        action=AuditLog.Action.UPDATE, object_id=str(org.supervisor.pk), detail__event="second factor enrolled"
    )
    assert entry.actor == org.supervisor and entry.changes == {"second_factor": [False, True]}


def test_log_in_with_a_code_from_the_app(org, client):
    device = authenticator(org.supervisor)
    log_in_with_password(client, org.supervisor)
    response = client.get("/customers/")
    assert response.url == f"{VERIFY_URL}?next=%2Fcustomers%2F"
    assert redirects_to(client.get(ENROL_URL), VERIFY_URL)  # a password alone cannot replace the app

    good = code_for(device)
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    response = client.post(VERIFY_URL, {"code": wrong, "next": "/customers/"})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    assert redirects_to(client.get("/"), VERIFY_URL)
    assert AuditLog.objects.filter(action=AuditLog.Action.LOGIN_FAILED, detail__reason="wrong second-factor code").exists()

    device.refresh_from_db()
    device.throttle_reset()  # the wrong code delays the next try by a second (django-otp's throttle)
    response = client.post(VERIFY_URL, {"code": good, "next": "/customers/"})
    assert redirects_to(response, "/customers/")
    assert client.get("/").status_code == 200

    other = english_client()
    log_in_with_password(other, org.supervisor)
    response = other.post(VERIFY_URL, {"code": good, "next": "/"})
    assert "That code is not right" in response.content.decode()  # a code works once


def test_a_recovery_code_works_once(org, client):
    authenticator(org.auditor)
    log_in_with_password(client, org.auditor)
    client.get(ENROL_URL)  # sent on to verification
    # The auditor kept their codes from enrolment; made here as enrolment makes them.
    codes = mfa._replace_recovery_codes(org.auditor)
    response = client.post(VERIFY_URL, {"code": codes[0].lower().replace("-", " "), "next": "/sysadmin/audit/"})
    assert redirects_to(response, "/sysadmin/audit/")
    entry = AuditLog.objects.get(detail__event="recovery code used")
    assert entry.actor == org.auditor and entry.detail["recovery_codes_left"] == 9

    again = english_client()
    log_in_with_password(again, org.auditor)
    assert "That code is not right" in again.post(VERIFY_URL, {"code": codes[0]}).content.decode()
    assert redirects_to(again.post(VERIFY_URL, {"code": codes[1]}), "/")


def test_django_admin_asks_for_the_same_second_factor(org, client):
    device = authenticator(org.admin)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": org.admin.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    for page in ("/admin/", "/admin/sysadmin/staff/", "/admin/django_celery_beat/periodictask/"):
        assert redirects_to(client.get(page), VERIFY_URL), page
    assert redirects_to(client.post(VERIFY_URL, {"code": code_for(device), "next": "/admin/"}), "/admin/")
    assert client.get("/admin/sysadmin/staff/").status_code == 200


def test_an_administrator_of_the_same_bank_resets_a_lost_phone(org, client):
    authenticator(org.supervisor)
    mfa_codes = RecoveryCodeDevice.objects.create(user=org.supervisor, name="codes")
    client.force_login(org.admin)
    assert f'href="{RESET_URL}"' in client.get("/").content.decode()  # in the System menu
    page = client.get(RESET_URL).content.decode()
    assert org.supervisor.username in page and org.b_supervisor.username not in page

    response = client.post(RESET_URL, {"staff": org.supervisor.pk, "reason": "phone lost on the metro"})
    assert redirects_to(response, RESET_URL)
    assert not TOTPDevice.objects.filter(user=org.supervisor).exists()
    assert not RecoveryCodeDevice.objects.filter(pk=mfa_codes.pk).exists()
    entry = AuditLog.objects.get(detail__event="second factor reset")
    assert (entry.actor, entry.object_id, entry.detail["reason"]) == (
        org.admin,
        str(org.supervisor.pk),
        "phone lost on the metro",
    )

    supervisor = Client()
    log_in_with_password(supervisor, org.supervisor)
    assert redirects_to(supervisor.get("/"), ENROL_URL)  # enrols again


def test_no_one_resets_another_banks_or_without_the_permission(org, client):
    authenticator(org.supervisor)
    b_admin = Client()
    b_admin.cookies["django_language"] = "en"
    b_admin.force_login(org.b_admin)
    response = b_admin.post(RESET_URL, {"staff": org.supervisor.pk, "reason": "x"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    manager = Client()
    manager.force_login(org.manager)
    assert RESET_URL not in manager.get("/").content.decode()
    assert manager.get(RESET_URL).status_code == 403
    assert manager.post(RESET_URL, {"staff": org.supervisor.pk, "reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=org.supervisor, confirmed=True).exists()


def test_no_admin_page_shows_the_devices_secrets(org, client):
    """django-otp's own admin of TOTP devices is bank-blind and draws each secret as a QR code."""
    device = authenticator(org.b_admin)
    client.force_login(org.admin)
    for path in ("/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{device.pk}/config/"):
        assert client.get(path).status_code == 404


def test_someone_who_enrolled_of_their_own_accord_is_asked_too(org, client):
    authenticator(org.manager)
    log_in_with_password(client, org.manager)
    assert redirects_to(client.get("/"), VERIFY_URL)


def test_a_role_that_needs_a_second_factor_applies_at_the_next_request(org, client):
    """second_factor_needed is cached per person; granting a role forgets the answer at once."""
    log_in_with_password(client, org.manager)
    assert client.get("/customers/").status_code == 200  # a manager needs no second factor (cached now)
    org.manager.groups.add(Group.objects.get(name="branch_supervisor"))
    assert redirects_to(client.get("/customers/"), ENROL_URL)
    org.manager.groups.remove(Group.objects.get(name="branch_supervisor"))
    assert client.get("/customers/").status_code == 200
