"""The approvals inbox: who may use it, what waits for a person, and bulk approval.
Each decision goes through ocrm.approvals.services (scope, checker permission, never one's own
request), each in its own transaction, so one failure does not undo the others."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Case, CharField, OuterRef, Subquery, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from customers.master.models import Customer
from ocrm.approvals import inbox
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible

CUSTOMER = "customers.customer"
BULK_LIMIT = 200
BADGE_SECONDS = 60


def may_use_inbox(user):
    """Anyone who may decide something: a checker permission of a request type, or the
    permission of another inbox source (e.g. merge reviews)."""
    if not user.is_authenticated:
        return False
    if any(user.has_perm(handler.checker_perm) for handler in approvals.registered_actions().values()):
        return True
    return any(source.perm for source in inbox.sources_for(user))


def pending_requests(user):
    """The change requests waiting for this user, with what the inbox shows of them."""
    return _with_customer_number(approvals.pending_for_checker(user).select_related("maker"))


def _with_customer_number(requests):
    """The customer's number of each request about a customer (the tables link to the customer)."""
    number = Subquery(Customer.objects.filter(pk=Cast(OuterRef("object_id"), BigIntegerField())).values("number")[:1])
    return requests.annotate(
        customer_number=Case(
            When(object_type=CUSTOMER, object_id__regex=r"^[0-9]+$", then=number),
            default=Value(None),
            output_field=CharField(),
        )
    )


def my_requests(user):
    """Every request the user made, whatever its kind ("My requests"), with the same annotations as the inbox."""
    return _with_customer_number(approvals.made_by(user).select_related("checker"))


def other_sources(user):
    """[{key, label, count, url_name}] of the registered inbox sources this user may see."""
    return [
        {"key": source.key, "label": source.label, "count": source.pending(user).count(), "url_name": source.url_name}
        for source in inbox.sources_for(user)
    ]


def _version_key(bank_id):
    return f"approvals:badge-version:{bank_id or 0}"


def forget_badges(bank_id):
    """Every cached badge of the bank is stale: a change request of the bank was made or decided."""
    try:
        cache.incr(_version_key(bank_id))
    except ValueError:
        cache.set(_version_key(bank_id), 1, None)


def change_request_saved(sender, instance, **kwargs):
    """post_save of ChangeRequest (connected in WorkbenchConfig.ready): badges follow at once,
    once the transaction that made or decided the request commits."""
    bank_id = instance.bank_id
    transaction.on_commit(lambda: forget_badges(bank_id))


def badge_count(user):
    """The number on the navigation entry: everything waiting for the user. The navigation
    renders on every page, so the count is cached (per request, and in the shared cache until
    a change request of the bank changes; other sources' counts may lag BADGE_SECONDS)."""
    cached = getattr(user, "_approvals_badge", None)
    if cached is not None:
        return cached or None
    key = f"approvals:badge:{user.pk}:{cache.get(_version_key(user.bank_id), 0)}"
    total = cache.get(key)
    if total is None:
        total = 0
        if may_use_inbox(user):
            total = approvals.pending_for_checker(user).count()
            total += sum(source.pending(user).count() for source in inbox.sources_for(user))
        cache.set(key, total, BADGE_SECONDS)
    user._approvals_badge = total
    return total or None


def approve_many(request_ids, checker):
    """Approve each request in its own transaction (at least one, at most BULK_LIMIT at a time).
    Returns (approved ids, [(id, message)])."""
    if not request_ids:
        raise ValidationError(_("Select at least one request."))
    if len(request_ids) > BULK_LIMIT:
        raise ValidationError(_("Nothing was approved: select at most %(n)d requests at a time.") % {"n": BULK_LIMIT})
    approved, failed = [], []
    for request_id in request_ids:
        try:
            approvals.approve(request_id, checker)
        except NotVisible:
            failed.append((request_id, _("not found or outside your branches")))
        except (PermissionDenied, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            failed.append((request_id, " ".join(messages)))
        else:
            approved.append(request_id)
    return approved, failed


def customer_number(change_request, user):
    """The number of the customer a request is about, when the user may see that customer."""
    if change_request.object_type != CUSTOMER or not change_request.object_id.isdigit():
        return None
    return Customer.objects.visible_to(user).filter(pk=int(change_request.object_id)).values_list("number", flat=True).first()
