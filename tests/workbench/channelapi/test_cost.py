"""What one channel call costs (the bench's look-up and summary): a fixed, small number of database
queries and one Redis round trip, whatever the customer holds; and the worker's cache of clients and
policies (clientcache) never outlives a revocation, a rotation or a policy change."""

import json

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.master.models import CustomerTag, IdentityDocument, Tag
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import clientcache, credentials, offers
from workbench.channelapi.models import ChannelCall, ChannelClient, ChannelFieldPolicy, IdempotencyRecord

pytestmark = pytest.mark.django_db(transaction=True)

WHOAMI = "/api/v1/channel/whoami"
LOOKUP = "/api/v1/channel/customers/lookup"


@pytest.fixture
def no_offer_providers():
    """The offers come from other areas' providers (marketing), whose queries are theirs to count."""
    saved = dict(offers._PROVIDERS)
    offers._PROVIDERS.clear()
    yield
    offers._PROVIDERS.update(saved)


class Calls:
    """Signed calls through Django's test client, so that the queries run on this thread's connection."""

    def __init__(self, django_client, channel_client, secret, customer_ref=""):
        self.http = django_client
        self.signer = SigningClient("http://testserver", channel_client.key_id, secret, customer_ref)

    def __call__(self, method, path, data=None, key=None):
        body = b"" if data is None else json.dumps(data).encode()
        headers = self.signer.headers_for(method, path, body)
        headers.pop("Content-Type")
        if key:
            headers["Idempotency-Key"] = key
        if method == "GET":
            return self.http.get(path, headers=headers)
        return self.http.post(path, data=body, content_type="application/json", headers=headers)


class RedisTrips:
    """Counts Redis round trips: single commands and pipelines (a pipeline is one trip)."""

    def __init__(self, monkeypatch):
        self.trips = 0
        single, pipelined = redis.Redis.execute_command, redis.client.Pipeline.execute

        def counted_single(client, *args, **kwargs):
            if not isinstance(client, redis.client.Pipeline):
                self.trips += 1
            return single(client, *args, **kwargs)

        def counted_pipeline(pipe, *args, **kwargs):
            self.trips += 1
            return pipelined(pipe, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "execute_command", counted_single)
        monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)


def _real_queries(captured):
    return [q["sql"] for q in captured if q["sql"] not in ("BEGIN", "COMMIT")]


def test_a_call_costs_a_fixed_few_queries_and_one_redis_trip(client, org, no_offer_providers, monkeypatch):
    customer = make_customer("C-1", org.a_sh, name_local="王伟", star_rating=4)
    for n in range(3):
        CustomerTag.objects.create(customer=customer, tag=Tag.objects.create(bank=org.bank_a, name=f"T{n}"))
    for number in ("E1234567", "E7654321"):
        document = IdentityDocument(
            bank_id=org.bank_a.pk, customer=customer, doc_type="passport", expiry_date=timezone.localdate()
        )
        document.set_number(number)
        document.save()
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    call = Calls(client, counter, secret)
    assert call("GET", WHOAMI).status_code == 200  # the worker caches the client here
    trips = RedisTrips(monkeypatch)

    with CaptureQueriesContext(connection) as whoami:
        assert call("GET", WHOAMI).status_code == 200
    # The audit row only: no query to authenticate.
    assert len(_real_queries(whoami)) == 1 and "workbench_channelcall" in whoami[0]["sql"]

    with CaptureQueriesContext(connection) as summary:
        response = call("GET", "/api/v1/channel/customers/C-1/summary")
    assert response.status_code == 200
    assert response.json()["tags"] == ["T0", "T1", "T2"] and len(response.json()["alerts"]) == 2
    # The customer with its tags and documents in one query, and the audit row.
    assert len(_real_queries(summary)) == 2

    with CaptureQueriesContext(connection) as lookup:
        assert call("POST", LOOKUP, {"customer_number": "C-1"}, key="k-1").status_code == 200
    # The idempotency record claimed, the customer, the record completed, the audit row.
    assert len(_real_queries(lookup)) == 4
    assert trips.trips == 3  # one pipeline per call: generation, nonce, rate count
    assert ChannelCall.objects.filter(client=counter).count() == 4
    assert IdempotencyRecord.objects.get(client=counter, key="k-1").status_code == 200


def test_a_cached_client_is_refused_at_once_when_revoked_or_rotated_out(live_server, org):
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    assert api.get(WHOAMI)[0] == 200  # cached now
    credentials.revoke(counter)
    assert api.get(WHOAMI)[0] == 401

    phone, old_secret = credentials.register(org.bank_a, "Phone", "phone")
    assert SigningClient(live_server.url, phone.key_id, old_secret).get(WHOAMI)[0] == 200
    phone, new_secret = credentials.rotate(phone, overlap=timezone.timedelta(0))
    # The new secret works at once; the old one, without an overlap, stops at once.
    assert SigningClient(live_server.url, phone.key_id, new_secret).get(WHOAMI)[0] == 200
    assert SigningClient(live_server.url, phone.key_id, old_secret).get(WHOAMI)[0] == 401


def test_another_workers_change_reaches_this_worker_through_the_generation(live_server, org):
    """A worker's cached entry is dropped when another process bumps the generation (here: an
    update() behind the model's save, as a script or another worker would)."""
    make_customer("C-5", org.a_sh, name_local="赵六")
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    assert "name" not in api.post(LOOKUP, {"customer_number": "C-5"}, idempotency_key="a")[1]
    before = clientcache.generation()
    ChannelFieldPolicy.objects.create(bank=org.bank_a, kind="counter", fields=["number", "name"])
    assert clientcache.generation() != before
    assert api.post(LOOKUP, {"customer_number": "C-5"}, idempotency_key="b")[1] == {"number": "C-5", "name": "赵六"}
    ChannelClient.objects.filter(pk=counter.pk).update(revoked_at=timezone.now())
    assert api.get(WHOAMI)[0] == 401


def test_a_replayed_nonce_is_refused_even_when_the_client_was_cached(live_server, org):
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    api = SigningClient(live_server.url, counter.key_id, secret)
    assert api.get(WHOAMI)[0] == 200
    assert api.get(WHOAMI, nonce="same")[0] == 200
    assert api.get(WHOAMI, nonce="same")[0] == 401
    # The refused replay is audited under the client that signed it.
    assert ChannelCall.objects.filter(client=counter, status_code=401, outcome="refused").count() == 1


def test_the_summary_with_the_marketing_offers_costs_the_customers_facts_only(client, org, monkeypatch):
    """The registered providers (marketing): the bank's bundles, products and zone come from the
    worker's copy (offers.bank_wide), so a warm summary adds the customer's profile, documents and
    holdings and their campaign memberships, and no Redis trip: the catalogue's generation rides in
    the call's one pipeline."""
    from marketing.products.models import Bundle, BundleItem  # noqa: PLC0415 - the provider's models, only here
    from tests.factories import make_product  # noqa: PLC0415

    make_customer("C-1", org.a_sh, star_rating=4, risk_level="R2")
    for n in range(5):  # a bigger catalogue costs no more queries
        product = make_product(org.bank_a, code=f"CARD-{n}", category="liability", product_type="card")
        bundle = Bundle.objects.create(bank_id=org.bank_a.pk, code=f"B{n}", name_local=f"组合{n}", scenario="any")
        BundleItem.objects.create(bundle=bundle, product=product)
    counter, secret = credentials.register(org.bank_a, "Counter", "counter")
    call = Calls(client, counter, secret)
    offers.forget_all()
    assert call("GET", "/api/v1/channel/customers/C-1/summary").status_code == 200  # loads the catalogue
    trips = RedisTrips(monkeypatch)
    with CaptureQueriesContext(connection) as summary:
        response = call("GET", "/api/v1/channel/customers/C-1/summary")
    assert response.status_code == 200
    assert {offer["reference"] for offer in response.json()["offers"]} == {f"bundle:B{n}" for n in range(5)} | {
        f"product:CARD-{n}" for n in range(5)
    }
    # The customer with tags and documents, its profile, valid documents, holdings, campaign memberships, the audit row.
    assert len(_real_queries(summary)) == 6
    assert trips.trips == 1
    # A change to the catalogue is seen at the next call.
    Bundle.objects.filter(code="B0").get().delete()
    assert "bundle:B0" not in {o["reference"] for o in call("GET", "/api/v1/channel/customers/C-1/summary").json()["offers"]}
