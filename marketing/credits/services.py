"""Crediting new business to the person who won it (谁营销谁受益).

The one way campaigns, opportunities and prospects credit a manager: idempotent on the source
key, so a nightly conversion scan that runs twice, or a won opportunity saved twice, credits once."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.ownership.assignment.models import MarketingCredit
from marketing.credits import events
from ocrm.audit import services as audit


def credit(*, customer, manager, source_key, credited_at=None, product=None, amount=None, currency="", actor=None):
    """Credit `manager` with new business of `customer`; returns (credit, created).

    source_key names the event ("campaign:<id>:customer:<id>", "opportunity:<id>", "prospect:<id>");
    the nightly attribution rule "marketing credit" reads these rows (customers.ownership.assignment)."""
    if manager.bank_id != customer.bank_id:
        raise ValidationError({"manager": _("Only a member of the customer's bank can be credited.")})
    if manager.branch_id is None:
        raise ValidationError({"manager": _("The person credited must belong to a branch.")})
    source_key = source_key[:60]
    existing = MarketingCredit.objects.filter(bank_id=customer.bank_id, source=source_key).first()
    if existing is not None:
        return existing, False
    row = MarketingCredit(
        bank_id=customer.bank_id,
        customer=customer,
        manager=manager,
        branch_id=manager.branch_id,
        source=source_key,
        product=product,
        amount=amount,
        currency=currency,
        credited_at=credited_at or timezone.now(),
    )
    try:
        with transaction.atomic(), audit.written_by_event(MarketingCredit):
            row.save()
            events.credit_given(row, actor)
    except IntegrityError:  # the same event credited concurrently: the first one stands
        return MarketingCredit.objects.get(bank_id=customer.bank_id, source=source_key), False
    return row, True
