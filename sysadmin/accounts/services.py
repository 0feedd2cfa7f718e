"""Business actions on staff accounts: each takes the acting user explicitly and writes its
own audit entry (sysadmin.accounts.events)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm.audit import services as audit
from sysadmin.accounts import events, lockout
from sysadmin.org.models import Staff


def _check_may_manage(staff, actor, perm):
    """The actor holds `perm` and the staff member is inside the actor's data scope."""
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("You may not do this."))
    if not Staff.objects.visible_to(actor).filter(pk=staff.pk).exists():
        raise PermissionDenied(_("This staff member is outside your scope."))
    if staff.is_superuser and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser may manage a superuser's account."))


def _stored_values(staff):
    """The staff row as stored (the form may have changed the instance already), as the audit records it."""
    stored = Staff._base_manager.filter(pk=staff.pk).first()
    return audit.row_values(stored) if stored is not None else {}


@transaction.atomic
def unlock_staff(staff, actor):
    """Lift a lock-out: the account may log in again, from every address at once, and its failure count restarts."""
    _check_may_manage(staff, actor, "sysadmin.unlock_staff")
    before = Staff.objects.select_for_update().values("locked_at", "failed_login_count").get(pk=staff.pk)
    Staff.objects.filter(pk=staff.pk).update(locked_at=None, failed_login_count=0)
    lockout.clear_failures(staff.username)
    staff.refresh_from_db(fields=["locked_at", "failed_login_count"])
    events.staff_unlocked(
        staff,
        actor,
        {"locked_at": [before["locked_at"], None], "failed_login_count": [before["failed_login_count"], 0]},
    )
    return staff


@transaction.atomic
def lock_staff(staff, actor, reason=""):
    _check_may_manage(staff, actor, "sysadmin.unlock_staff")
    now = timezone.now()
    Staff.objects.filter(pk=staff.pk, locked_at__isnull=True).update(locked_at=now)
    staff.refresh_from_db(fields=["locked_at"])
    events.staff_locked(staff, actor, reason)
    return staff


@transaction.atomic
def require_password_change(staff, actor):
    """Make the staff member choose a new password at their next request."""
    _check_may_manage(staff, actor, "sysadmin.change_staff")
    changed = Staff.objects.filter(pk=staff.pk, must_change_password=False).update(must_change_password=True)
    staff.must_change_password = True
    if changed:
        events.password_change_required(staff, actor)
    return staff


@transaction.atomic
def save_password_set_by_admin(staff, actor):
    """An administrator set (or disabled) someone's password: save it, and unless the
    administrator set their own, the owner must choose a new one at the next log-in."""
    before = _stored_values(staff)
    staff.must_change_password = actor is None or actor.pk != staff.pk
    with audit.written_by_event(Staff):
        staff.save()
    events.password_set_by_admin(staff, actor, audit.diff(before, audit.row_values(staff)))
    return staff


@transaction.atomic
def change_own_password(user, new_password, request=None):
    """The user chose a new password: it no longer must be changed."""
    before = _stored_values(user)
    user.set_password(new_password)
    user.must_change_password = False
    with audit.written_by_event(Staff):
        user.save()
    events.password_changed(user, audit.diff(before, audit.row_values(user)), request=request)
