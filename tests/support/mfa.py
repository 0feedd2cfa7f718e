"""Test users log in as a complete log-in would leave them: with their second factor.

Staff whose role needs a second factor (sysadmin.accounts.mfa) reach no page until a code is
entered in the session. `install()` (run by tests/conftest.py) makes the test client's
force_login do what the verify page does for such users - an authenticator device of theirs,
recorded in the session - so tests of other pages need not repeat the log-in; the rule itself
is not weakened. `force_login_password_only` logs in without it, for the tests of the rule."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from sysadmin.accounts import mfa
from sysadmin.org.models import Staff

_django_force_login = Client.force_login


def second_factor_queries(user):
    """What a page costs more for someone holding a second factor: django-otp reads the session's
    device on each request (so a session dies with a device an administrator reset)."""
    return 1 if mfa.second_factor_needed(user) else 0


def authenticator(user):
    """The user's confirmed authenticator app, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def code_for(device, key=None):
    """The code the phone shows now, as the user's app computes it from the device key. A code
    once accepted is refused again (replay): after one, this waits for the next time step."""
    if device.pk:
        device.refresh_from_db(fields=["last_t"])
    oath = TOTP(key or device.bin_key, device.step, device.t0, device.digits, device.drift)
    while oath.t() <= device.last_t:
        time.sleep(0.5)
    return f"{oath.token():0{device.digits}d}"


def verify_session(client, user):
    """What the verify page does for a logged-in client whose user needs a second factor."""
    if mfa.second_factor_needed(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
        session.save()


def force_login_verified(client, user, backend=None):
    _django_force_login(client, user, backend)
    verify_session(client, user)


def force_login_password_only(client, user, backend=None):
    """Logged in with the password alone: the second factor is still to come."""
    _django_force_login(client, user, backend)


def install():
    Client.force_login = force_login_verified


def complete_in_browser(page, username):
    """After the log-in form: a user sent to the second step enters the code from their app."""
    if "/accounts/second-factor/verify/" not in page.url:
        return
    device = authenticator(Staff.objects.get(username=username))
    page.fill("#id_code", code_for(device))
    with page.expect_navigation():
        page.click("#mfa-verify-form button[type=submit]")


def prepare_browser_login(username):
    """Before the log-in form: someone whose role needs a second factor has an app already."""
    user = Staff.objects.filter(username=username).first()
    if user is not None and mfa.second_factor_needed(user):
        authenticator(user)
