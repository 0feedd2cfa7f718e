"""What a channel records, called as a service (the endpoints only parse and answer): a contact in the
contact history, a non-financial transaction on the customer's own account; a foreign account is a
ValidationError naming the field, a reference used twice is Refused, and neither writes a row."""

import pytest
from django.core.exceptions import ValidationError

from customers.master.models import Holding, ServiceContact, Transaction
from ocrm.errors import Refused
from tests.factories import make_customer, make_product
from workbench.channelapi import credentials, services

pytestmark = pytest.mark.django_db


def test_a_contact_from_the_counter_names_the_channels_operator(org):
    customer = make_customer("C-SV-1", org.a_sh)
    counter, _secret = credentials.register(org.bank_a, "Counter 9", "counter")
    contact = services.record_contact(counter, customer, subject="  Asked about deposits ", operator="T-1", notes="Brochure")
    contact = ServiceContact.objects.get(pk=contact.pk)
    assert (contact.role, contact.channel, contact.staff) == ("teller", "branch", None)
    assert contact.subject == "Asked about deposits" and contact.notes == "[Counter 9 T-1] Brochure"
    phone, _secret = credentials.register(org.bank_a, "Phone", "phone")
    assert services.record_contact(phone, customer, subject="Call", channel="email").channel == "email"


def test_a_transaction_on_anothers_account_or_with_a_used_reference_is_refused(org):
    customer, other = make_customer("C-SV-2", org.a_sh), make_customer("C-SV-3", org.a_sh)
    product = make_product(org.bank_a)
    for owner, number in ((customer, "6222000101"), (other, "6222000102")):
        Holding.objects.create(bank_id=org.bank_a.pk, customer=owner, product=product, account_number=number, currency="HKD")
    online, _secret = credentials.register(org.bank_a, "Online", "online")
    with pytest.raises(ValidationError) as refused:
        services.record_non_financial_transaction(online, customer, account_number="6222000102", txn_type="other")
    assert "account_number" in refused.value.message_dict
    row = services.record_non_financial_transaction(
        online, customer, account_number=" 6222000101 ", txn_type="password_reset", reference="WEB-1"
    )
    assert (row.channel, row.currency, row.amount, row.is_financial) == ("online", "HKD", 0, False)
    assert (row.source_system, row.source_txn_id) == (services.TRANSACTION_SOURCE, "WEB-1")
    with pytest.raises(Refused):
        services.record_non_financial_transaction(
            online, customer, account_number="6222000101", txn_type="other", reference="WEB-1"
        )
    assert Transaction.objects.filter(customer_id__in=[customer.pk, other.pk]).count() == 1
