"""Audit events of staff accounts (the convention: ocrm/audit/__init__.py): log-ins and log-outs,
lock-outs and unlocks, passwords, and the second factor. Password changes save the staff row inside
audit.written_by_event(Staff): the PASSWORD_CHANGE entry carries the row's changes, so one
change is one entry."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def logged_in(user, request):
    return audit.record(AuditLog.Action.LOGIN, user, actor=user, request=request)


def logged_out(user, request, reason):
    """reason: "user" for their own click, else why the system logged them out (e.g. "idle")."""
    return audit.record(AuditLog.Action.LOGOUT, user, actor=user, request=request, detail={"reason": reason})


def login_failed(user, username, request, reason, **detail):
    """A failed log-in as `username`; user is None when no such account exists."""
    return _tried_account(AuditLog.Action.LOGIN_FAILED, user, username, request, {"reason": reason, **detail})


def login_paused(user, username, request, by, failures, minutes):
    """Failed log-ins reached a limit: log-in as `username` (by "user name and address") or from
    the address (by "address") pauses for `minutes`. user is None for an unknown name."""
    detail = {"paused_by": by, "failures": failures, "cooling_off_minutes": minutes}
    return _tried_account(AuditLog.Action.LOCKED, user, username, request, detail)


def _tried_account(action, user, username, request, detail):
    """Nobody is authenticated yet: the entry names the account that was tried, also one that
    does not exist (then it is described by the name typed)."""
    unknown = {"object_type": "sysadmin.staff", "object_repr": username} if user is None else {}
    return audit.record(action, user, actor=None, actor_name=username, request=request, detail=detail, **unknown)


def staff_locked(staff, actor, reason):
    return audit.record(AuditLog.Action.LOCKED, staff, actor=actor, detail={"reason": reason})


def staff_unlocked(staff, actor, changes):
    return audit.record(AuditLog.Action.UNLOCKED, staff, actor=actor, changes=changes)


def password_change_required(staff, actor):
    return audit.record(
        AuditLog.Action.UPDATE,
        staff,
        actor=actor,
        changes={"must_change_password": [False, True]},
        detail={"reason": "password change required by administrator"},
    )


def password_set_by_admin(staff, actor, changes):
    return audit.record(
        AuditLog.Action.PASSWORD_CHANGE,
        staff,
        actor=actor,
        changes=changes,
        detail={
            "by_administrator": True,
            "usable": staff.has_usable_password(),
            "must_change_password": staff.must_change_password,
        },
    )


def password_changed(user, changes, request=None):
    """The user chose a new password themselves."""
    return audit.record(AuditLog.Action.PASSWORD_CHANGE, user, actor=user, changes=changes, request=request)


# --- the second factor (sysadmin.accounts.mfa) -------------------------------------------------


def second_factor_enrolled(user, request, recovery_codes):
    return audit.record(
        AuditLog.Action.UPDATE,
        user,
        actor=user,
        request=request,
        changes={"second_factor": [False, True]},
        detail={"event": "second factor enrolled", "recovery_codes": recovery_codes},
    )


def recovery_code_used(user, request, remaining):
    return audit.record(
        AuditLog.Action.LOGIN,
        user,
        actor=user,
        request=request,
        detail={"event": "recovery code used", "recovery_codes_left": remaining},
    )


def second_factor_failed(user, request):
    return audit.record(
        AuditLog.Action.LOGIN_FAILED,
        user,
        actor=user,
        request=request,
        detail={"reason": "wrong second-factor code"},
    )


def second_factor_reset(staff, actor, request, reason):
    return audit.record(
        AuditLog.Action.UPDATE,
        staff,
        actor=actor,
        request=request,
        changes={"second_factor": [True, False]},
        detail={"event": "second factor reset", "reason": reason},
    )
