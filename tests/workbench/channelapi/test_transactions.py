"""A non-financial transaction recorded by a channel over real HTTP: it lands in the customer's
transactions once whatever the retries, on the customer's own account only, scoped to the bank."""

import pytest

from customers.master.models import Holding, Transaction
from tests.factories import make_customer, make_product
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelCall

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/api/v1/channel/customers/C-7/transactions"


@pytest.fixture
def setup(live_server, org):
    customer = make_customer("C-7", org.a_sh)
    other = make_customer("C-8", org.a_sh)
    product = make_product(org.bank_a)
    for owner, number in ((customer, "6222000011"), (other, "6222000022")):
        Holding.objects.create(bank_id=org.bank_a.pk, customer=owner, product=product, account_number=number, currency="CNY")
    client, secret = credentials.register(org.bank_a, "Counter", "counter")
    return customer, SigningClient(live_server.url, client.key_id, secret)


def test_recorded_once_as_a_non_financial_transaction(setup):
    customer, api = setup
    body = {"account_number": "6222000011", "type": "card_activation", "reference": "CTR-1"}
    status, answer, _ = api.post(PATH, body, idempotency_key="t1")
    assert status == 201 and answer["type"] == "card_activation" and answer["channel"] == "counter"
    assert "account_number" not in answer
    status, again, headers = api.post(PATH, body, idempotency_key="t1")
    assert status == 201 and again == answer and headers.get("Idempotent-Replayed") == "true"
    assert api.post(PATH, {**body, "type": "password_reset"}, idempotency_key="t1")[0] == 422
    row = Transaction.objects.get(customer_id=customer.pk)
    assert not row.is_financial and row.amount == 0 and row.channel == "counter" and row.source_txn_id == "CTR-1"
    # The same channel reference under another key is refused, not recorded twice.
    status, answer, _ = api.post(PATH, body, idempotency_key="t2")
    assert status == 409 and Transaction.objects.count() == 1
    # Every call audited (a replay or a refused body answers before the customer is looked up).
    calls = ChannelCall.objects.filter(endpoint="non-financial-transaction")
    assert calls.count() == 4 and calls.filter(customer_id=customer.pk, status_code=201).count() == 1


def test_bad_input_names_the_field_and_writes_nothing(setup):
    _customer, api = setup
    status, answer, _ = api.post(PATH, {"account_number": "6222000022", "type": "other"}, idempotency_key="b1")
    assert status == 400 and "account_number" in answer  # another customer's account
    status, answer, _ = api.post(PATH, {"account_number": "6222000011", "type": "transfer"}, idempotency_key="b2")
    assert status == 400 and "type" in answer  # a financial type is not this endpoint's
    status, answer, _ = api.post(
        PATH, {"account_number": "6222000011", "type": "other", "occurred_at": "2999-01-01T00:00:00Z"}, idempotency_key="b3"
    )
    assert status == 400 and "occurred_at" in answer
    assert api.post(PATH, {"account_number": "6222000011", "type": "other"})[0] == 400  # no Idempotency-Key
    assert Transaction.objects.count() == 0


def test_another_banks_channel_and_online_banking_for_someone_else_get_404(live_server, org, setup):
    customer, _api = setup
    make_customer("B-7", org.b_hk)
    body = {"account_number": "6222000011", "type": "other"}
    foreign, foreign_secret = credentials.register(org.bank_b, "Counter B", "counter")
    assert SigningClient(live_server.url, foreign.key_id, foreign_secret).post(PATH, body, idempotency_key="f")[0] == 404
    online, online_secret = credentials.register(org.bank_a, "Online", "online")
    assert (
        SigningClient(live_server.url, online.key_id, online_secret, customer_ref="C-8").post(PATH, body, idempotency_key="o")[0]
        == 404
    )
    own = SigningClient(live_server.url, online.key_id, online_secret, customer_ref="C-7")
    status, answer, _ = own.post(PATH, body, idempotency_key="o2")
    assert status == 201 and answer["channel"] == "online"
    assert Transaction.objects.filter(customer_id=customer.pk).count() == 1
