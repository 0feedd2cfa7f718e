"""What a channel records for a customer through the API: a service contact (contact history) and a
non-financial transaction (transactions). The endpoints (contacts.py, transactions.py) only parse the
body, call these and answer; these know nothing of HTTP.

Errors: Django's ValidationError with a dict naming the field at fault (the endpoint answers 400);
ocrm.errors.Refused when a business rule refuses (the endpoint answers 409). The messages are the
API's, in English, as the rest of its answers."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.master.models import Holding, ServiceContact, Transaction
from ocrm.errors import Refused
from workbench.channelapi.models import ChannelClient

K = ChannelClient.Kind

# How each kind of channel meets the customer, and whose role the contact is.
CONTACT_CHANNEL = {K.COUNTER: "branch", K.PHONE: "phone", K.CALL_CENTRE: "phone", K.ONLINE: "messaging"}
CONTACT_ROLE = {K.COUNTER: "teller", K.PHONE: "call_centre", K.CALL_CENTRE: "call_centre", K.ONLINE: "call_centre"}

# The source system of a channel's transactions, and the channel each kind of client records.
TRANSACTION_SOURCE = "channel-api"
TRANSACTION_CHANNEL = {K.COUNTER: "counter", K.PHONE: "phone", K.CALL_CENTRE: "phone", K.ONLINE: "online"}


def record_contact(client, customer, *, subject, outcome="", notes="", channel=None, occurred_at=None, operator=""):
    """A service contact the channel `client` had with `customer`, in the contact history. No staff
    member of ours took part: the channel's own operator reference goes into the notes."""
    notes = notes or ""
    if operator:
        notes = f"[{client.name} {operator}] {notes}".strip()
    return ServiceContact.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        staff=None,
        role=CONTACT_ROLE.get(client.kind, "call_centre"),
        channel=channel or CONTACT_CHANNEL.get(client.kind, "phone"),
        occurred_at=occurred_at or timezone.now(),
        subject=subject.strip(),
        outcome=(outcome or "").strip(),
        notes=notes,
    )


def _duplicate_reference():
    return Refused("A transaction with this reference is recorded already.")


def record_non_financial_transaction(
    client, customer, *, account_number, txn_type, description="", occurred_at=None, reference=""
):
    """A non-financial transaction the channel carried out for `customer` on one of their accounts
    (amount 0 in the account's currency, is_financial false). The channel's `reference`, when given,
    is the row's source key: a second one is refused (Refused), also when two race."""
    holding = Holding.objects.filter(customer=customer, account_number=account_number.strip()).first()
    if holding is None:
        raise ValidationError({"account_number": "This is not an account of this customer."})
    reference = (reference or "").strip()
    source = Transaction.objects.filter(bank_id=customer.bank_id, source_system=TRANSACTION_SOURCE)
    if reference and source.filter(source_txn_id=reference).exists():
        raise _duplicate_reference()
    try:
        with transaction.atomic():
            return Transaction.objects.create(
                bank_id=customer.bank_id,
                customer_id=customer.pk,
                holding=holding,
                occurred_at=occurred_at or timezone.now(),
                amount=Decimal(0),
                currency=holding.currency,
                # A non-financial transaction moves no money: the direction is a formality of the row.
                direction=Transaction.Direction.CREDIT,
                channel=TRANSACTION_CHANNEL.get(client.kind, "counter"),
                txn_type=txn_type,
                description=(description or "").strip(),
                is_financial=False,
                customer_initiated=True,
                source_system=TRANSACTION_SOURCE if reference else "",
                source_txn_id=reference,
            )
    except IntegrityError:  # the same reference and moment, recorded concurrently under another key
        raise _duplicate_reference() from None
