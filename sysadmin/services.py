"""Business actions on the organisation: each takes the acting user explicitly and
writes its own audit entry."""

from django.db import transaction
from django.utils import timezone

from ocrm import audit
from ocrm.models import AuditLog

from .models import Staff


@transaction.atomic
def unlock_staff(staff, actor):
    Staff.objects.filter(pk=staff.pk).update(locked_at=None, failed_login_count=0)
    staff.refresh_from_db(fields=["locked_at", "failed_login_count"])
    audit.record(AuditLog.Action.UNLOCKED, staff, actor=actor)
    return staff


@transaction.atomic
def lock_staff(staff, actor, reason=""):
    Staff.objects.filter(pk=staff.pk).update(locked_at=timezone.now())
    audit.record(AuditLog.Action.LOCKED, staff, actor=actor, detail={"reason": reason})


def change_own_password(user, new_password, request=None):
    """The user chose a new password: it no longer must be changed."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save()
    audit.record(AuditLog.Action.PASSWORD_CHANGE, user, actor=user, request=request)
