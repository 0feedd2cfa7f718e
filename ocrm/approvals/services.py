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
approvals inbox is one query: pending_for_checker(user), and a maker's own requests are
another: made_by(user); withdraw() closes one of them (the handler's `withdraw` when the flow
has more to undo than the request, e.g. a share waiting for approval).

The one rule for fields: an app declares which fields of its models only an approved request
may change (guard(model, fields)); every path that writes such a model asks guarded_fields()
— the edit page and Django admin turn them into a request, batch maintenance refuses them,
admin shows them read-only where it cannot submit a request (docs/architecture.md,
"Maker-checker").
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
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
    field_labels: dict = None  # {key in `changes`: lazily translated label} beyond the model's fields
    withdraw: object = None  # callable(change_request, maker) -> change_request, when withdrawing undoes more


_handlers = {}


def register(action, apply, checker_perm, label=None, on_reject=None, field_labels=None, withdraw=None):
    _handlers[action] = Handler(apply, checker_perm, label or action, on_reject, field_labels or {}, withdraw)


def label_for(action):
    """The action's readable name (its code when no app registers it any more)."""
    handler = _handlers.get(action)
    return handler.label if handler else action


def registered_actions():
    return dict(_handlers)


def field_label(change_request, name):
    """The translated label of one key of a request's `changes`: the handler's own label, else
    the verbose name of the object's field, or of a field of a row kept one-to-one with it
    (a customer's profile). A person never reads the internal name when a label exists."""
    handler = _handlers.get(change_request.action)
    if handler is not None and name in handler.field_labels:
        return str(handler.field_labels[name])
    try:
        model = apps.get_model(change_request.object_type)
    except (LookupError, ValueError):
        return name
    one_to_one = [rel.related_model for rel in model._meta.related_objects if rel.one_to_one]
    for candidate in (model, *one_to_one):
        try:
            return str(candidate._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def field_labels(change_request):
    """The labels of every field the request changes, in its order."""
    return [field_label(change_request, name) for name in change_request.changes or {}]


# model label -> callable(bank_id) -> set of field names only an approved request may change
_guards = {}


def guard(model, fields):
    """Declare the fields of `model` that only an approved change request may change: a set,
    or callable(bank_id) -> set when the bank decides (a parameter)."""
    _guards[model._meta.label_lower] = fields if callable(fields) else (lambda bank_id, fields=frozenset(fields): fields)


def guarded_fields(model, bank_id):
    """The fields of `model` (a class or instance) that need a checker in this bank: the
    question every writing path asks (pages, admin, batch maintenance, feeds)."""
    rule = _guards.get(model._meta.label_lower)
    return frozenset(rule(bank_id)) if rule is not None else frozenset()


def made_by(user):
    """Every request the user made, whatever its kind or status ("My requests")."""
    if user is None or not user.is_authenticated:
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.filter(maker=user)


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
def withdraw(request_id, maker):
    """The maker takes back their own pending request, whatever its kind; anyone else's is
    NotVisible. Flows with more to undo than the request register a `withdraw` handler."""
    request = made_by(maker).select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotVisible
    if request.status != ChangeRequest.Status.PENDING:
        raise ValidationError(_("This request was already decided (%(s)s).") % {"s": request.get_status_display()})
    handler = _handlers.get(request.action)
    if handler is not None and handler.withdraw is not None:
        return handler.withdraw(request, maker)
    return cancel(request.pk, maker, _("Withdrawn by the requester."))


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
