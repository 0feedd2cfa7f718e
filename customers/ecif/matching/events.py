"""Audit events of ECIF matching (the convention: ocrm/audit/__init__.py). Merges move rows with
set-based UPDATEs the safety net never sees: these entries are the audit trail of a merge."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def customer_merged(survivor, actor, record, changes, *, reason, moved, demoted):
    """`merged` was merged into `survivor`; changes: the survivor's golden record before/after;
    moved: {table.column: rows moved}; demoted: primary contacts that stopped being primary."""
    return audit.record(
        AuditLog.Action.UPDATE,
        survivor,
        actor=actor,
        changes=changes,
        detail={
            "event": "customer.merge",
            "merged": record.merged_number,
            "merge_record": record.pk,
            "reason": reason,
            "moved": moved,
            "demoted_primary_contacts": demoted,
        },
    )


def customer_unmerged(survivor, actor, record, reason):
    return audit.record(
        AuditLog.Action.UPDATE,
        survivor,
        actor=actor,
        detail={"event": "customer.unmerge", "merged": record.merged_number, "merge_record": record.pk, "reason": reason},
    )


def pair_found_different(candidate, actor, status_before, reason):
    """A reviewer said the pair are different customers: it is never proposed again."""
    return audit.record(
        AuditLog.Action.UPDATE,
        candidate,
        actor=actor,
        changes={"status": [status_before, "different"]},
        detail={"event": "match.different", "reason": reason},
    )


def source_records_resolved(bank_id, counts):
    """A feed's source records were matched to golden records (counts by outcome)."""
    return audit.record(
        AuditLog.Action.OTHER,
        object_type="customers.sourcerecord",
        object_repr="ECIF matching",
        bank_id=bank_id,
        detail={"event": "matching.resolve", **counts},
    )
