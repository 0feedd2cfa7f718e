"""Business actions on branches and staff for the organisation pages.

Every action takes the acting user explicitly, runs in one transaction and re-checks
the actor's data scope on locked rows, so an object that left the actor's scope
between showing the form and saving it is refused (NotVisible: a 404 on every page).
Single-row saves are audited by the safety net (ocrm.audit.services.register); role changes
are many-to-many and invisible to it, so they are audited by sysadmin.org.events."""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ocrm.errors import NotVisible
from ocrm.scoping import scope_of
from sysadmin.accounts.services import unlock_staff
from sysadmin.org import events
from sysadmin.org.models import Branch, Staff
from sysadmin.roles import ADMIN_ROLES, ROLE_LABELS

SYSTEM_ADMIN = "system_admin"


# What a branch supervisor may hand out inside their subtree.
SUPERVISOR_GRANTABLE_ROLES = frozenset({"customer_manager", "teller"})


BRANCH_FIELDS = (
    "code",
    "name_local",
    "name_en",
    "parent",
    "level",
    "country",
    "timezone",
    "address",
    "working_week",
    "is_active",
)


STAFF_FIELDS = (
    "username",
    "employee_no",
    "name_local",
    "first_name",
    "last_name",
    "email",
    "phone",
    "branch",
    "language",
    "time_zone",
    "status",
)


def _require(actor, perm):
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have the permission for this action."))


def _role_names(staff):
    return set(staff.groups.values_list("name", flat=True))


def is_system_admin(user):
    return user.is_superuser or _role_names(user) >= {SYSTEM_ADMIN}


def grantable_roles(actor):
    """The role names `actor` may add to or remove from a staff member."""
    if not actor.is_authenticated:
        return frozenset()
    if not (actor.has_perm("sysadmin.change_staff") or actor.has_perm("sysadmin.add_staff")):
        return frozenset()
    if is_system_admin(actor):
        return frozenset(ROLE_LABELS)
    if scope_of(actor) == "bank":
        # A head-office role with staff rights, but not an administrator: never system_admin.
        return frozenset(ROLE_LABELS) - {SYSTEM_ADMIN}
    return SUPERVISOR_GRANTABLE_ROLES


def may_edit_staff(actor, staff):
    """Beyond scope: only administrators edit administrators, only superusers edit superusers,
    and the roles a staff member already holds must not outrank the actor's own reach."""
    if staff.is_superuser and not actor.is_superuser:
        return False
    if not is_system_admin(actor) and SYSTEM_ADMIN in _role_names(staff):
        return False
    return True


def assignable_branches(actor):
    """Branches the actor may attach staff or child branches to."""
    return Branch.objects.visible_to(actor)


@transaction.atomic
def save_branch(data, actor, branch=None):
    """Create (branch=None) or update a branch from cleaned form data."""
    creating = branch is None or branch.pk is None
    _require(actor, "sysadmin.add_branch" if creating else "sysadmin.change_branch")
    parent = data.get("parent")
    if creating:
        bank = actor.bank if actor.bank_id else (parent.bank if parent is not None else None)
        if bank is None:
            raise ValidationError({"parent": _("Choose a parent branch: it decides the bank of the new branch.")})
        branch = Branch(bank=bank)
    else:
        branch = Branch.objects.visible_to(actor).select_for_update().filter(pk=branch.pk).first()
        if branch is None:
            raise NotVisible
    if parent is not None:
        if not assignable_branches(actor).filter(pk=parent.pk, bank_id=branch.bank_id).exists():
            raise ValidationError(
                {"parent": _("%(branch)s is not a branch of this bank within your scope.") % {"branch": parent}}
            )
    elif scope_of(actor) not in ("all", "bank") and (creating or branch.parent_id is not None):
        raise ValidationError({"parent": _("Choose a parent branch within your scope.")})
    for field in BRANCH_FIELDS:
        if field in data:
            setattr(branch, field, data[field])
    branch.full_clean()
    branch.save()
    return branch


def _lock_visible_staff(actor, pk):
    staff = Staff.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=pk).first()
    if staff is None:
        raise NotVisible
    return staff


@transaction.atomic
def save_staff(data, actor, staff=None):
    """Create (staff=None; data holds 'password') or update a staff member, and set the
    roles in data['roles'] when present. Returns the saved staff member."""
    creating = staff is None or staff.pk is None
    _require(actor, "sysadmin.add_staff" if creating else "sysadmin.change_staff")
    if creating:
        staff = Staff()
    else:
        staff = _lock_visible_staff(actor, staff.pk)
        if not may_edit_staff(actor, staff):
            raise PermissionDenied(_("You may not edit this staff member."))
    branch = data.get("branch")
    if branch is None or not assignable_branches(actor).filter(pk=branch.pk).exists():
        raise ValidationError({"branch": _("Choose a branch within your scope.")})
    for field in STAFF_FIELDS:
        if field in data:
            setattr(staff, field, data[field])
    staff.bank_id = branch.bank_id
    if creating:
        if not data.get("password"):
            raise ValidationError({"password1": _("Set an initial password.")})
        staff.set_password(data["password"])
        # The creator knows the initial password: the new member must choose their own.
        staff.must_change_password = True
    staff.full_clean()
    staff.save()
    if "roles" in data:
        set_roles(staff, data["roles"], actor)
    return staff


@transaction.atomic
def set_roles(staff, roles, actor):
    """Give `staff` exactly the `roles` (names) within what `actor` may grant; roles
    beyond the actor's reach that the staff member already holds are kept untouched.
    Writes one audit entry with the role lists before and after."""
    requested = {str(r.name if isinstance(r, Group) else r) for r in roles}
    unknown = requested - set(ROLE_LABELS)
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(roles)s.") % {"roles": ", ".join(sorted(unknown))}})
    grantable = grantable_roles(actor)
    forbidden = requested - grantable
    if forbidden:
        raise PermissionDenied(
            _("You may not grant the role(s): %(roles)s.") % {"roles": ", ".join(str(ROLE_LABELS[r]) for r in sorted(forbidden))}
        )
    staff = _lock_visible_staff(actor, staff.pk)
    if not may_edit_staff(actor, staff):
        raise PermissionDenied(_("You may not edit this staff member."))
    before = _role_names(staff)
    after = (before - grantable) | requested
    if after == before:
        return staff
    if staff.pk == actor.pk and not actor.is_superuser:
        raise ValidationError({"roles": _("You cannot change your own roles; ask another administrator.")})
    staff.groups.set(Group.objects.filter(name__in=after))
    record_role_change(staff, before, after, actor)
    return staff


def record_role_change(staff, before, after, actor):
    """After the roles of `staff` went from `before` to `after` (sets of names): align
    Django admin access with the roles and audit both (the safety net does not see
    many-to-many changes). Used by the staff pages and by Django admin."""
    changes = {"roles": [sorted(before), sorted(after)]} if after != before else {}
    if not staff.is_superuser:
        # Django admin access follows the roles (ADMIN_ROLES), never a separate switch.
        is_staff = bool(after & ADMIN_ROLES)
        if is_staff != staff.is_staff:
            Staff.objects.filter(pk=staff.pk).update(is_staff=is_staff)
            changes["is_staff"] = [staff.is_staff, is_staff]
            staff.is_staff = is_staff
    if changes:
        events.roles_changed(staff, actor, changes)


@transaction.atomic
def unlock_visible_staff(staff_pk, actor):
    """Unlock a staff member within the actor's scope (sysadmin.accounts.services.unlock_staff)."""
    _require(actor, "sysadmin.unlock_staff")
    staff = _lock_visible_staff(actor, staff_pk)
    return unlock_staff(staff, actor)
