"""Log-in events into the audit log, the lock-out after repeated failures, and the
system-parameter cache kept in step with the table."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone

from ocrm import parameters
from sysadmin.accounts import events

# A view that logs a user out for a reason other than their own click sets this
# attribute on the request before calling logout(); the audit entry names it.
LOGOUT_REASON_ATTR = "_ocrm_logout_reason"


@receiver(user_logged_in, dispatch_uid="sysadmin-logged-in")
def on_logged_in(sender, request, user, **kwargs):
    if user.failed_login_count:
        type(user).objects.filter(pk=user.pk).update(failed_login_count=0)
        user.failed_login_count = 0
    if request is not None and hasattr(request, "session"):
        # The idle clock starts at log-in, not at the first page after it.
        request.session["last_seen"] = time.time()
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
    Staff = get_user_model()
    user = Staff.objects.filter(username=username).first()
    if user is None:
        events.login_failed(None, username, request, "unknown user")
        return
    if user.locked_at is not None:
        events.login_failed(user, username, request, "locked")
        return
    # One UPDATE so two simultaneous failures both count.
    Staff.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    user.refresh_from_db(fields=["failed_login_count"])
    reason = "bad password" if user.status == Staff.Status.ACTIVE else f"status {user.status}"
    events.login_failed(user, username, request, reason, failures=user.failed_login_count)
    limit = parameters.get("login.max_failed_attempts", user.bank_id)
    if limit and user.failed_login_count >= limit:
        # Only the request that actually locks the account writes the LOCKED entry.
        locked = Staff.objects.filter(pk=user.pk, locked_at__isnull=True).update(locked_at=timezone.now())
        if locked:
            events.locked_out(user, request, user.failed_login_count, limit)
