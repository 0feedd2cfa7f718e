"""The second factor: a TOTP authenticator app (django-otp), with one-time recovery codes.

Who needs it: system administrators, auditors and branch supervisors always (and superusers);
everyone else when their bank's parameter mfa.required_for_all says so, or once they enrolled
of their own accord. Until such a person has entered a code in this session,
SecondFactorMiddleware lets them reach nothing but enrolment/verification, log-out and the
language switch - Django admin included (docs/authentication.md)."""

import base64
import secrets

import segno
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from ocrm import parameters
from sysadmin.accounts import events
from sysadmin.accounts.models import RecoveryCode, RecoveryCodeDevice, hash_recovery_code
from sysadmin.org.models import Staff

# The roles that always log in with a second factor.
REQUIRED_ROLES = ("system_admin", "auditor", "branch_supervisor")
RECOVERY_CODES = 10
NEED_CACHE_SECONDS = 300
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes


def _need_key(user_id):
    return f"mfa-needed:{user_id}"


def second_factor_needed(user):
    """Whether this person must enter a code before reaching any page. The answer is cached (every
    request of someone without a second factor asks): a change of roles or devices forgets it at
    once (sysadmin.accounts.signals), and it lasts NEED_CACHE_SECONDS at most anyway."""
    if user.is_superuser or parameters.get("mfa.required_for_all", user.bank_id):
        return True
    needed = cache.get(_need_key(user.pk))
    if needed is None:
        needed = Staff.objects.filter(
            Q(groups__name__in=REQUIRED_ROLES) | Q(totpdevice__confirmed=True), pk=user.pk, is_active=True
        ).exists()
        cache.set(_need_key(user.pk), needed, NEED_CACHE_SECONDS)
    return needed


def forget_need(*user_ids):
    cache.delete_many([_need_key(user_id) for user_id in user_ids])


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


# The secret of an enrolment under way lives in the session (a page view writes nothing) until
# the first code proves the app holds it.
PENDING_KEY = "mfa_pending_key"


def pending_device(user, session):
    """An unsaved device holding the secret the enrolment page shows (the same one on every view)."""
    key = session.get(PENDING_KEY)
    if not key:
        key = session[PENDING_KEY] = default_key()
    return TOTPDevice(user=user, key=key, name=_("Authenticator app"), confirmed=False)


def manual_key(device):
    """The secret as an authenticator app's "enter a key" form wants it: base32, in groups of 4."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device):
    """The otpauth:// address as an inline SVG, drawn here (no outside service sees the secret)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")


def new_recovery_codes():
    return ["-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(4)) for _ in range(RECOVERY_CODES)]


@transaction.atomic
def _replace_recovery_codes(user):
    """A fresh set of codes (the old set no longer works); returns them in clear, once."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=_("Recovery codes"), confirmed=True)
    codes = new_recovery_codes()
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, code_hash=hash_recovery_code(c)) for c in codes)
    return codes


@transaction.atomic
def confirm_enrolment(user, token, request):
    """The person typed a code from the app they just set up: the secret is theirs. Returns the
    recovery codes to show once, or None for a wrong code."""
    device = pending_device(user, request.session)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code = str(token or "").replace(" ", "")
    if not code.isdigit() or not totp.verify(int(code), device.tolerance):
        events.second_factor_failed(user, request)
        return None
    TOTPDevice.objects.filter(user=user).delete()  # one app at a time: a new phone replaces the old
    device.confirmed = True
    device.drift = totp.drift
    device.last_t = totp.t()  # the code just used cannot be used again
    device.save()
    del request.session[PENDING_KEY]
    codes = _replace_recovery_codes(user)
    otp_login(request, device)
    events.second_factor_enrolled(user, request, len(codes))
    return codes


def verify(user, token, request):
    """A code from the app or a recovery code: True and the session is verified, else False."""
    token = str(token or "").strip()
    device = confirmed_device(user)
    if device is not None and token.replace(" ", "").isdigit() and device.verify_token(token.replace(" ", "")):
        otp_login(request, device)
        return True
    recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    if recovery is not None and recovery.verify_token(token):
        otp_login(request, recovery)
        events.recovery_code_used(user, request, recovery.remaining())
        return True
    events.second_factor_failed(user, request)
    return False


def regenerate_recovery_codes(user, request):
    codes = _replace_recovery_codes(user)
    events.second_factor_enrolled(user, request, len(codes))
    return codes


def may_reset(actor, staff):
    """An administrator of the same bank (within their scope) may reset someone else's second factor."""
    return (
        actor is not None
        and actor.pk != staff.pk
        and actor.has_perm("sysadmin.reset_staff_mfa")
        and Staff.objects.visible_to(actor).filter(pk=staff.pk).exists()
        and (actor.is_superuser or not staff.is_superuser)
    )


@transaction.atomic
def reset(staff, actor, reason, request=None):
    """Forget a staff member's authenticator and recovery codes (a lost phone): at the next
    log-in they enrol again. The sessions they have keep no verified device."""
    if not may_reset(actor, staff):
        raise PermissionDenied(_("You may not reset this staff member's second factor."))
    TOTPDevice.objects.filter(user=staff).delete()
    RecoveryCodeDevice.objects.filter(user=staff).delete()
    events.second_factor_reset(staff, actor, request, reason)
