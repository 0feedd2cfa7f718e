"""Audit events of the 360 page (the convention: ocrm/audit/__init__.py): views of personal
data and the customer's tags. Notes, contacts logged, documents and relationships added from
the page are single rows, audited by the safety net."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def pii_revealed(customer, actor, revealed):
    """One customer's personal data was shown to `actor` in clear (a services.Revealed)."""
    return audit.record(
        AuditLog.Action.VIEW_PII,
        customer,
        actor=actor,
        bank_id=customer.bank_id,
        detail={
            "event": "pii_revealed",
            "identity_documents": [document.pk for document, _number in revealed.documents],
            "contact_points": [point.pk for point in revealed.contacts],
            "addresses": [address.pk for address in revealed.addresses],
            "holdings": [holding.pk for holding in revealed.holdings],
            "birth_date": revealed.birth_date is not None,
        },
    )


def reveals_alerted(actor, bank_id, count, limit):
    """The auditors were alerted: `actor` revealed `count` customers today, over `limit`."""
    return audit.record(
        AuditLog.Action.OTHER,
        actor,
        actor=actor,
        bank_id=bank_id,
        detail={"event": "pii_reveals_alert", "reveals_today": count, "limit": limit},
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
