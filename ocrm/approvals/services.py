"""Maker-checker. An app registers a handler per action:

    approvals.register("customer.update", apply=apply_customer_update, checker_perm="customers.approve_change")

submit() records a pending ChangeRequest (audited); approve() re-checks that the
checker is not the maker, holds the checker permission and may see the request, then
calls the handler's apply(request, checker) inside the same transaction; reject() needs
a reason and calls the handler's optional on_reject(request, checker). cancel() closes a
pending request without a checker (the maker withdraws it, or a competing request won).
Handlers receive the ChangeRequest and must apply exactly its `changes`/`payload`.

Every flow that needs a second person (customer changes, claims, reassignments,
hand-overs, branch transfers, shares) is a ChangeRequest with its own action, so the
approvals inbox is one query: pending_for_checker(user).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm.approvals import events
from ocrm.approvals.models import ChangeRequest
from ocrm.errors import NotVisible


@dataclass(frozen=True)
class Handler:
    apply: object  # callable(change_request, checker) -> None
    checker_perm: str
    label: object = None  # lazily translated name of the action, for the inbox
    on_reject: object = None  # callable(change_request, checker) -> None


_handlers = {}


def register(action, apply, checker_perm, label=None, on_reject=None):
    _handlers[action] = Handler(apply, checker_perm, label or action, on_reject)


def label_for(action):
    """The action's readable name (its code when no app registers it any more)."""
    handler = _handlers.get(action)
    return handler.label if handler else action


def registered_actions():
    return dict(_handlers)


def pending_for_checker(user):
    """Pending requests this user may decide: in their scope, of an action whose checker
    permission they hold, and not made by themselves (the inbox and its badge count)."""
    actions = [action for action, handler in _handlers.items() if user.has_perm(handler.checker_perm)]
    if not actions:
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.visible_to(user).pending().filter(action__in=actions).exclude(maker=user)


def handler_for(action):
    try:
        return _handlers[action]
    except KeyError:
        raise ValidationError(_("No handler for change requests of type %(a)s.") % {"a": action}) from None


def submit(*, action, obj, changes, maker, bank_id, branch_path="", payload=None, reason=""):
    handler_for(action)
    request = ChangeRequest.objects.create(
        bank_id=bank_id,
        branch_path=branch_path,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=changes,
        payload=payload or {},
        maker=maker,
        reason=reason,
    )
    events.change_requested(request, obj, maker)
    return request


def pending_for(obj):
    return ChangeRequest.objects.pending().filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def _decidable(request_id, checker):
    request = ChangeRequest.objects.visible_to(checker).select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotVisible
    if request.status != ChangeRequest.Status.PENDING:
        raise ValidationError(_("This request was already decided (%(s)s).") % {"s": request.get_status_display()})
    if request.maker_id == checker.pk:
        raise PermissionDenied(_("You cannot decide your own request: another person must check it."))
    if not checker.has_perm(handler_for(request.action).checker_perm):
        raise PermissionDenied(_("You may not decide requests of this type."))
    return request


@transaction.atomic
def approve(request_id, checker, reason=""):
    request = _decidable(request_id, checker)
    handler_for(request.action).apply(request, checker)
    request.status = ChangeRequest.Status.APPROVED
    request.checker, request.decided_at, request.decision_reason = checker, timezone.now(), reason
    request.save(update_fields=["status", "checker", "decided_at", "decision_reason"])
    events.request_approved(request, checker)
    return request


@transaction.atomic
def reject(request_id, checker, reason):
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the request is rejected.")})
    request = _decidable(request_id, checker)
    on_reject = handler_for(request.action).on_reject
    if on_reject is not None:
        on_reject(request, checker)
    request.status = ChangeRequest.Status.REJECTED
    request.checker, request.decided_at, request.decision_reason = checker, timezone.now(), reason.strip()
    request.save(update_fields=["status", "checker", "decided_at", "decision_reason"])
    events.request_rejected(request, checker)
    return request


@transaction.atomic
def cancel(request_id, actor, reason):
    """Close a pending request without deciding it: the maker withdraws it, or the system
    closes competing requests once one of them was approved (actor may be the checker
    of the winning request). Nothing is applied."""
    request = ChangeRequest.objects.select_for_update().get(pk=request_id)
    if request.status != ChangeRequest.Status.PENDING:
        return request
    request.status = ChangeRequest.Status.CANCELLED
    request.decided_at, request.decision_reason = timezone.now(), reason
    request.save(update_fields=["status", "decided_at", "decision_reason"])
    events.request_cancelled(request, actor, reason)
    return request
