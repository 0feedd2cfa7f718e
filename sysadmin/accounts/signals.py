"""Log-in events into the audit log, the lock-out's count of failures, and the history row of
a password that was written around Staff.save()."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from ocrm.middleware import client_ip
from sysadmin.accounts import events, language, lockout, mfa
from sysadmin.accounts.models import PasswordHistory

# A view that logs a user out for a reason other than their own click sets this
# attribute on the request before calling logout(); the audit entry names it.
LOGOUT_REASON_ATTR = "_ocrm_logout_reason"


@receiver(user_logged_in, dispatch_uid="sysadmin-logged-in")
def on_logged_in(sender, request, user, **kwargs):
    if user.failed_login_count:
        type(user).objects.filter(pk=user.pk).update(failed_login_count=0)
        user.failed_login_count = 0
    if request is not None and hasattr(request, "session"):
        # The idle clock and the session's absolute lifetime start at log-in.
        request.session["last_seen"] = request.session["logged_in_at"] = time.time()
        language.save_choice_from_login_page(user, request)
    events.logged_in(user, request)


@receiver(user_logged_out, dispatch_uid="sysadmin-logged-out")
def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, LOGOUT_REASON_ATTR, None) or "user"
        events.logged_out(user, request, reason)


@receiver(user_login_failed, dispatch_uid="sysadmin-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Nobody is authenticated yet: the entry names the account that was tried.
    username = str((credentials or {}).get("username", ""))[:150]
    reason = (credentials or {}).get("reason")  # the log-in form's, for an attempt it refused unread
    Staff = get_user_model()
    user = Staff.objects.filter(username=username).first()
    if user is None:
        events.login_failed(None, username, request, reason or "unknown user")
    elif reason or user.locked_at is not None:
        events.login_failed(user, username, request, reason or "locked")
    else:
        # One UPDATE so two simultaneous failures both count (shown to administrators; the
        # lock-out itself counts lockout's rows per address).
        Staff.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count"])
        status = "bad password" if user.status == Staff.Status.ACTIVE else f"status {user.status}"
        events.login_failed(user, username, request, status, failures=user.failed_login_count)
    lockout.record_failure(username, client_ip(request), user, request)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="sysadmin-initial-password-history")
def keep_the_replaced_password(sender, instance, raw=False, **kwargs):
    """A password set without Staff.save() (seeded, imported, bulk-written) has no history row;
    when it is replaced, it joins the history first, so it cannot be chosen again at once."""
    if raw or instance.pk is None or getattr(instance, "_password", None) is None:
        return
    stored = sender._base_manager.filter(pk=instance.pk).values_list("password", "password_changed_at", "date_joined").first()
    if stored is None or not stored[0] or stored[0] == instance.password:
        return
    if not PasswordHistory.objects.filter(staff_id=instance.pk, password=stored[0]).exists():
        PasswordHistory.objects.create(staff_id=instance.pk, password=stored[0], created_at=stored[1] or stored[2])


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="sysadmin-mfa-roles")
def on_roles_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # A role that needs a second factor applies at the next request, not when a cache entry expires.
    if not reverse:  # a person's roles changed
        mfa.forget_need(instance.pk)
    elif action == "pre_clear":  # a role emptied: the people who held it
        mfa.forget_need(*instance.user_set.values_list("pk", flat=True))
    elif pk_set:  # people added to or removed from a role
        mfa.forget_need(*pk_set)


@receiver(post_save, sender=TOTPDevice, dispatch_uid="sysadmin-mfa-device-saved")
@receiver(post_delete, sender=TOTPDevice, dispatch_uid="sysadmin-mfa-device-deleted")
def on_device_changed(sender, instance, **kwargs):
    mfa.forget_need(instance.user_id)
