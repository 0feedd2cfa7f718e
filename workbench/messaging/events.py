"""Audit events of staff messaging (the convention: ocrm/audit/__init__.py). The messages
themselves are the record of what was said; the log says who opened what besides."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def conversation_started(conversation, actor, participant_ids):
    return audit.record(
        AuditLog.Action.CREATE,
        conversation,
        actor=actor,
        bank_id=conversation.bank_id,
        changes={"participants": [None, sorted(participant_ids)], "customer": [None, conversation.customer_id]},
        detail={"event": "conversation_started", "kind": conversation.kind},
    )


def customer_linked(conversation, actor, before):
    return audit.record(
        AuditLog.Action.UPDATE,
        conversation,
        actor=actor,
        bank_id=conversation.bank_id,
        changes={"customer": [before, conversation.customer_id]},
        detail={"event": "conversation_customer_linked"},
    )


def attachment_downloaded(message, actor, as_auditor=False):
    return audit.record(
        AuditLog.Action.OTHER,
        message,
        actor=actor,
        bank_id=message.bank_id,
        detail={
            "event": "message_attachment_downloaded",
            "conversation": message.conversation_id,
            "file": message.attachment_name,
            "size": message.attachment_size,
            "as_auditor": as_auditor,
        },
    )


def conversation_audited(conversation, actor):
    """An auditor opened a conversation they do not take part in."""
    return audit.record(
        AuditLog.Action.OTHER,
        conversation,
        actor=actor,
        bank_id=conversation.bank_id,
        detail={"event": "conversation_read_by_auditor"},
    )
