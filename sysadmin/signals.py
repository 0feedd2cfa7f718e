"""Log-in events into the audit log, and the lock-out after repeated failures."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from ocrm import audit
from ocrm.models import AuditLog

from . import parameters


@receiver(user_logged_in, dispatch_uid="sysadmin-logged-in")
def on_logged_in(sender, request, user, **kwargs):
    if user.failed_login_count:
        type(user).objects.filter(pk=user.pk).update(failed_login_count=0)
        user.failed_login_count = 0
    audit.record(AuditLog.Action.LOGIN, user, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="sysadmin-logged-out")
def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditLog.Action.LOGOUT, user, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="sysadmin-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    Staff = get_user_model()
    user = Staff.objects.filter(username=username).first()
    if user is None:
        audit.record(AuditLog.Action.LOGIN_FAILED, None, request=request, object_type="sysadmin.staff",
                     object_repr=username[:150], detail={"reason": "unknown user"})
        return
    if user.locked_at is not None:
        audit.record(AuditLog.Action.LOGIN_FAILED, user, actor=None, request=request, detail={"reason": "locked"})
        return
    # One UPDATE so two simultaneous failures both count.
    from django.db.models import F

    Staff.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    user.refresh_from_db(fields=["failed_login_count"])
    audit.record(AuditLog.Action.LOGIN_FAILED, user, request=request,
                 detail={"reason": "bad password", "failures": user.failed_login_count})
    limit = parameters.get("login.max_failed_attempts", user.bank_id)
    if limit and user.failed_login_count >= limit:
        Staff.objects.filter(pk=user.pk, locked_at__isnull=True).update(locked_at=timezone.now())
        audit.record(AuditLog.Action.LOCKED, user, request=request, detail={"failures": user.failed_login_count})
