"""Audit events of the customer master (the convention: ocrm/audit/__init__.py).

Creating and updating a customer write the entry the safety net would write for the customer
row (its services save that row inside audit.written_by_event(Customer)), named by the event;
the profile, identity and contact rows saved with it stay with the safety net."""

from ocrm import pii
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog

CUSTOMER_TYPE = "customers.customer"


def customer_created(customer, actor):
    return audit.record(
        AuditLog.Action.CREATE,
        customer,
        actor=actor,
        changes=audit.created_changes(customer),
        detail={"event": "customer_created"},
    )


def customer_updated(customer, actor, changes, *, change_request=None):
    """`changes`: {column: [before, after]} of the customer row (nothing is written without any)."""
    if not changes:
        return None
    detail = {"event": "customer_updated"}
    if change_request is not None:
        detail["change_request"] = change_request.pk
    return audit.record(AuditLog.Action.UPDATE, customer, actor=actor, changes=changes, detail=detail)


def contacts_viewed(customer, actor):
    """The contacts page showed the customer's contact values in clear."""
    return audit.record(
        AuditLog.Action.VIEW_PII, customer, actor=actor, detail={"page": "contacts", "fields": ["contact_points"]}
    )


def contacts_viewed_in_admin(customer, actor, contact_ids):
    """Django admin's customer page showed the contact values in clear (the ids of those shown)."""
    return audit.record(
        AuditLog.Action.VIEW_PII,
        customer,
        actor=actor,
        bank_id=customer.bank_id,
        detail={"page": "admin", "contact_points": list(contact_ids)},
    )


def customer_looked_up(actor, customers, *, lookup, value, doc_type, summary):
    """A teller's exact look-up; the typed value is personal data itself and is logged masked."""
    return audit.record(
        AuditLog.Action.OTHER,
        None,
        actor=actor,
        object_type=CUSTOMER_TYPE,
        object_repr=summary,
        detail={
            "lookup": lookup or "any",
            "value": pii.mask_id(value),
            "doc_type": doc_type,
            "found": [c.number for c in customers],
        },
    )


def customers_tagged(tag, actor, added, selection):
    return audit.record(AuditLog.Action.UPDATE, tag, actor=actor, detail={"bulk": "tag", "added": added, "selection": selection})


def customers_grouped(group, actor, added, selection):
    return audit.record(
        AuditLog.Action.UPDATE, group, actor=actor, detail={"bulk": "group", "added": added, "selection": selection}
    )
