"""Customer sharing (delegation): services. A manager shares one of their customers with a
colleague of the same bank, read-only or editing, until a date; with the per-bank
parameter sharing.requires_approval the share waits as a ChangeRequest ("customer.share")
for a supervisor of the customer's branch subtree.

While a share is in force its guardian object permissions (customers.view_customer, and
customers.change_customer for editing shares) are granted; CustomerQuerySet honours them
only while the share is in force, so expiry and revocation cut access at once. The
hourly clean-up (clean_up_ended_grants) just removes the grants nothing backs any more.

Every step is audited (customers.ownership.sharing.events); the people concerned hear of each
step by an in-app notification sent after the transaction commits."""

import datetime
import zoneinfo

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from customers.master.models import Customer
from customers.ownership.sharing import events
from customers.ownership.sharing.models import CustomerShare
from ocrm import links, parameters
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.errors import NotVisible
from ocrm.notifications.services import notify
from ocrm.scoping import scope_of
from sysadmin.org.models import Staff

ACTION_SHARE = "customer.share"


CHECKER_PERM = "customers.approve_share"


VIEW_PERM = "customers.view_customer"


EDIT_PERM = "customers.change_customer"


COLLEAGUE_SUGGESTIONS = 20


def register_handlers():
    """Called from CustomersConfig.ready()."""
    approvals.register(
        ACTION_SHARE,
        apply=apply_share_request,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Share a customer"),
        on_reject=reject_share_request,
        field_labels={
            name: CustomerShare._meta.get_field(name).verbose_name for name in ("shared_with", "can_edit", "expires_at")
        },
        withdraw=lambda change_request, maker: revoke_share(change_request.payload["share"], maker).change_request,
    )


def may_edit(user, customer):
    """Whether `user`, who sees `customer`, may change it: by their branch scope or ownership,
    or through a share in force that allows editing (a read-only share does not)."""
    if scope_of(user) in ("all", "bank", "subtree") or customer.primary_manager_id == user.pk:
        return True
    return CustomerShare.objects.in_force().filter(customer=customer, shared_with=user, can_edit=True).exists()


def require_edit(user, customer):
    if not may_edit(user, customer):
        raise PermissionDenied(_("This customer is shared with you read-only."))


def may_share(user, customer):
    """The customer's own manager shares it; supervisors and head office may share customers
    of their scope. A manager who only holds a share cannot pass it on."""
    if not user.has_perm("customers.add_customershare"):
        return False
    return customer.primary_manager_id == user.pk or scope_of(user) in ("all", "bank", "subtree")


def may_revoke(user, share):
    """The person who shared, the customer's manager, or a supervisor who sees the share."""
    if share.shared_by_id == user.pk or share.customer.primary_manager_id == user.pk:
        return True
    return scope_of(user) in ("all", "bank", "subtree") and user.has_perm("customers.change_customershare")


def colleagues(user, text, limit=COLLEAGUE_SUGGESTIONS):
    """Active staff of the user's bank whose user name, name or employee number starts with `text`."""
    text = (text or "").strip()
    if not text or user.bank_id is None:
        return Staff.objects.none()
    return (
        Staff.objects.filter(bank_id=user.bank_id, is_active=True, status=Staff.Status.ACTIVE)
        .filter(Q(username__istartswith=text) | Q(name_local__istartswith=text) | Q(employee_no__iexact=text))
        .exclude(pk=user.pk)
        .select_related("branch")
        .order_by("username")[:limit]
    )


def find_colleague(user, text):
    """The colleague named by `text` (exact user name or employee number) in the user's bank."""
    text = (text or "").strip()
    colleague = None
    if text and user.bank_id is not None:
        colleague = (
            Staff.objects.filter(bank_id=user.bank_id, is_active=True, status=Staff.Status.ACTIVE)
            .filter(Q(username=text) | (Q(employee_no=text) & ~Q(employee_no="")))
            .first()
        )
    if colleague is None:
        raise ValidationError({"shared_with": _("No active colleague of your bank has the user name %(name)s.") % {"name": text}})
    return colleague


def _sync_grants(customer, user):
    """Make the guardian rows of (customer, user) match the shares in force for them."""
    in_force = list(
        CustomerShare.objects.in_force().filter(customer=customer, shared_with=user).values_list("can_edit", flat=True)
    )
    wanted = {VIEW_PERM: bool(in_force), EDIT_PERM: any(in_force)}
    for perm, granted in wanted.items():
        if granted:
            assign_perm(perm, user, customer)
        else:
            remove_perm(perm, user, customer)


def _notify_after_commit(recipients, title, body, link):
    recipients = [r for r in recipients if r is not None]
    transaction.on_commit(lambda: notify(recipients, title, body, link=link))


def _customer_link(share):
    return links.url("customer", share.customer.number)


def _describe(share):
    def text(recipient):
        access = _("may edit") if share.can_edit else _("read-only")
        until = timezone.localtime(share.expires_at, timezone=_zone(recipient)).strftime("%Y-%m-%d %H:%M")
        return _("%(customer)s, %(access)s, until %(until)s (shared by %(by)s).") % {
            "customer": share.customer,
            "access": access,
            "until": until,
            "by": share.shared_by.display_name,
        }

    return text


def _zone(recipient):
    try:
        return zoneinfo.ZoneInfo(recipient.effective_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def share_with_colleague(customer, shared_by, colleague, *, can_edit, expires_at, reason=""):
    """The share form's action: share `customer` with the colleague named `colleague` (their
    user name or employee number, see find_colleague). Returns the share."""
    with transaction.atomic():
        return share_customer(
            customer,
            shared_by,
            find_colleague(shared_by, colleague),
            can_edit=can_edit,
            expires_at=expires_at,
            reason=reason,
        )


@transaction.atomic
def share_customer(customer, shared_by, shared_with, *, can_edit, expires_at, reason=""):
    """Share `customer` (already found in shared_by's scope) with `shared_with`. Active at once,
    or pending a supervisor's approval when the bank's sharing.requires_approval is on."""
    if not may_share(shared_by, customer):
        raise PermissionDenied(_("Only the customer's manager or a supervisor may share this customer."))
    # Serialise shares of one customer: two clicks must not make two open shares for a colleague.
    customer = Customer.objects.select_for_update().select_related("branch").get(pk=customer.pk)
    errors = {}
    if shared_with.bank_id != customer.bank_id or not shared_with.is_active:
        errors["shared_with"] = _("Share only with an active colleague of the customer's bank.")
    elif shared_with.pk == shared_by.pk:
        errors["shared_with"] = _("You cannot share a customer with yourself.")
    elif shared_with.pk == customer.primary_manager_id:
        errors["shared_with"] = _("%(name)s already manages this customer.") % {"name": shared_with.display_name}
    elif not shared_with.has_perm(VIEW_PERM):
        errors["shared_with"] = _("%(name)s may not look at customers.") % {"name": shared_with.display_name}
    now = timezone.now()
    max_days = parameters.get("sharing.max_days", customer.bank_id)
    if expires_at is None or expires_at <= now:
        errors["expires_at"] = _("The end of the share must lie in the future.")
    elif expires_at > now + datetime.timedelta(days=max_days):
        errors["expires_at"] = _("A share may last at most %(days)d days.") % {"days": max_days}
    if errors:
        raise ValidationError(errors)
    if CustomerShare.objects.open().filter(customer=customer, shared_with=shared_with).exists():
        raise ValidationError(
            {
                "shared_with": _("This customer is already shared with %(name)s; revoke that share first.")
                % {"name": shared_with.display_name}
            }
        )
    needs_approval = parameters.get("sharing.requires_approval", customer.bank_id)
    share = CustomerShare.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        shared_by=shared_by,
        shared_with=shared_with,
        can_edit=can_edit,
        expires_at=expires_at,
        reason=reason,
        status=CustomerShare.Status.PENDING if needs_approval else CustomerShare.Status.ACTIVE,
        approved_at=None if needs_approval else now,
    )
    events.customer_shared(share, shared_by)
    if needs_approval:
        share.change_request = approvals.submit(
            action=ACTION_SHARE,
            obj=customer,
            maker=shared_by,
            bank_id=customer.bank_id,
            branch_path=customer.branch.path,
            reason=reason,
            payload={"share": share.pk},
            changes={
                "shared_with": [None, shared_with.display_name],
                "can_edit": [None, can_edit],
                "expires_at": [None, expires_at.isoformat()],
            },
        )
        share.save(update_fields=["change_request"])
        return share
    _sync_grants(customer, shared_with)
    _notify_after_commit([shared_with], gettext_lazy("A customer was shared with you"), _describe(share), _customer_link(share))
    return share


def _share_of(change_request):
    share = (
        CustomerShare.objects.select_for_update()
        .select_related("customer", "shared_by", "shared_with")
        .filter(pk=change_request.payload.get("share"))
        .first()
    )
    if share is None or share.status != CustomerShare.Status.PENDING:
        raise ValidationError(_("The share of request #%(id)s is no longer waiting for approval.") % {"id": change_request.pk})
    return share


def apply_share_request(change_request, checker):
    """The approvals handler: the share comes into force (inside approvals.approve's transaction)."""
    share = _share_of(change_request)
    if share.expires_at <= timezone.now():
        raise ValidationError(_("The share of request #%(id)s has already expired.") % {"id": change_request.pk})
    before = events.share_values(share)
    share.status, share.approved_at = CustomerShare.Status.ACTIVE, timezone.now()
    share.save(update_fields=["status", "approved_at"])
    events.share_approved(share, checker, before, change_request)
    _sync_grants(share.customer, share.shared_with)
    link = _customer_link(share)
    _notify_after_commit([share.shared_with], gettext_lazy("A customer was shared with you"), _describe(share), link)
    _notify_after_commit([share.shared_by], gettext_lazy("Your customer share was approved"), _describe(share), link)


def reject_share_request(change_request, checker):
    share = _share_of(change_request)
    before = events.share_values(share)
    share.status = CustomerShare.Status.REJECTED
    share.save(update_fields=["status"])
    events.share_rejected(share, checker, before, change_request)

    def body(recipient):
        # approvals.reject stores the reason after this handler ran; the notice is written after commit.
        reason = ChangeRequest.objects.filter(pk=change_request.pk).values_list("decision_reason", flat=True).first()
        return f"{_describe(share)(recipient)} {_('Reason')}: {reason}"

    _notify_after_commit([share.shared_by], gettext_lazy("Your customer share was rejected"), body, _customer_link(share))


@transaction.atomic
def revoke_share(share_id, actor, reason=""):
    """End a share now (or withdraw it while it waits for approval)."""
    share = (
        CustomerShare.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("customer", "shared_by", "shared_with")
        .filter(pk=share_id)
        .first()
    )
    if share is None:
        raise NotVisible
    if not may_revoke(actor, share):
        raise PermissionDenied(_("Only the person who shared the customer, its manager or a supervisor may revoke this share."))
    if share.status not in (CustomerShare.Status.ACTIVE, CustomerShare.Status.PENDING) or share.revoked_at:
        raise ValidationError(_("This share has already ended."))
    was_pending = share.status == CustomerShare.Status.PENDING
    before = events.share_values(share)
    share.status, share.revoked_at, share.revoked_by = CustomerShare.Status.REVOKED, timezone.now(), actor
    share.save(update_fields=["status", "revoked_at", "revoked_by"])
    events.share_revoked(share, actor, before, reason)
    if was_pending and share.change_request_id:
        approvals.cancel(share.change_request_id, actor, _("The share was withdrawn."))
    _sync_grants(share.customer, share.shared_with)
    if not was_pending:
        _notify_after_commit(
            [share.shared_with],
            gettext_lazy("A customer share with you ended"),
            _describe(share),
            links.url("shared_with_me"),
        )
    return share


def clean_up_ended_grants():
    """Remove the guardian grants on customers that no share in force backs any more (expired or
    revoked shares), in one statement per permission. Returns how many grants were removed.
    Access has already ended at query time; this keeps the permission tables honest."""
    ct = ContentType.objects.get_for_model(Customer)
    removed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for codename, edit_only in (("view_customer", False), ("change_customer", True)):
            cursor.execute(
                f"""
                DELETE FROM guardian_userobjectpermission g
                USING auth_permission p
                WHERE g.permission_id = p.id AND p.codename = %s AND p.content_type_id = %s
                  AND g.content_type_id = %s
                  AND EXISTS (SELECT 1 FROM {CustomerShare._meta.db_table} s
                              WHERE s.customer_id::text = g.object_pk AND s.shared_with_id = g.user_id)
                  AND NOT EXISTS (SELECT 1 FROM {CustomerShare._meta.db_table} s
                                  WHERE s.customer_id::text = g.object_pk AND s.shared_with_id = g.user_id
                                    AND s.status = %s AND s.revoked_at IS NULL AND s.expires_at > now()
                                    {"AND s.can_edit" if edit_only else ""})
                """,
                [codename, ct.pk, ct.pk, CustomerShare.Status.ACTIVE],
            )
            removed += cursor.rowcount
        if removed:
            events.ended_grants_removed(removed)
    return removed
