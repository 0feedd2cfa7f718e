"""Audit events of the 360 page (the convention: ocrm/audit/__init__.py): views of personal
data and the customer's tags. Notes, contacts logged, documents and relationships added from
the page are single rows, audited by the safety net."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def pii_revealed(customer, actor, documents, phones):
    """Clear identity numbers and phone numbers were shown to `actor`."""
    return audit.record(
        AuditLog.Action.VIEW_PII,
        customer,
        actor=actor,
        bank_id=customer.bank_id,
        detail={
            "event": "pii_revealed",
            "identity_documents": [document.pk for document in documents],
            "contact_points": [phone.pk for phone in phones],
        },
    )


def document_viewed(document, actor, customer):
    return audit.record(
        AuditLog.Action.VIEW_PII,
        document,
        actor=actor,
        bank_id=document.bank_id,
        detail={"event": "document_viewed", "customer": customer.number, "doc_type": document.doc_type},
    )


def _tags_changed(event, customer, actor, tag, before, after):
    return audit.record(
        AuditLog.Action.UPDATE,
        customer,
        actor=actor,
        bank_id=customer.bank_id,
        changes={"tags": [before, after]},
        detail={"event": event, "tag": tag.pk},
    )


def tag_added(customer, actor, tag, before, after):
    """`before` / `after`: the customer's tag names (tag links are not rows the safety net sees)."""
    return _tags_changed("tag_added", customer, actor, tag, before, after)


def tag_removed(customer, actor, tag, before, after):
    return _tags_changed("tag_removed", customer, actor, tag, before, after)
