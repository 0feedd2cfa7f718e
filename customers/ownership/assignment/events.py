"""Audit events of customer ownership (the convention: ocrm/audit/__init__.py).

A claim or a branch transfer changes one customer row: the event writes the entry the safety
net would write for it (the services save inside audit.written_by_event(Customer)), named and
tied to its change request. A reassignment or a hand-over moves many customers in one
statement, which the safety net never sees: one entry says who moved how many.
The assignment history (AssignmentChange) keeps the per-customer detail of every move."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def _customer_moved(event, customer, checker, changes, change_request):
    return audit.record(
        AuditLog.Action.UPDATE,
        customer,
        actor=checker,
        changes=changes,
        detail={"event": event, "change_request": change_request.pk},
    )


def customer_claimed(customer, checker, changes, change_request):
    """A claim was approved: the customer has the claiming manager."""
    return _customer_moved("customer_claimed", customer, checker, changes, change_request)


def customer_transferred(customer, checker, changes, change_request):
    """A branch transfer was accepted by the receiving branch."""
    return _customer_moved("customer_transferred", customer, checker, changes, change_request)


def customers_reassigned(to_manager, checker, moved, change_request):
    return audit.record(
        AuditLog.Action.UPDATE,
        to_manager,
        actor=checker,
        bank_id=change_request.bank_id,
        detail={"event": "customers_reassigned", "change_request": change_request.pk, "customers": moved},
    )


def book_handed_over(from_manager, checker, moved, totals, change_request):
    """totals: {to_manager_id: (customers, aum)} as the book was split."""
    return audit.record(
        AuditLog.Action.UPDATE,
        from_manager,
        actor=checker,
        bank_id=change_request.bank_id,
        detail={
            "event": "book_handed_over",
            "change_request": change_request.pk,
            "customers": moved,
            "to": {str(m): [c, str(a)] for m, (c, a) in totals.items()},
        },
    )
