"""Customer summary over real HTTP: star rating, tags, alerts, offers; per channel kind; scoped."""

import pytest

from customers.master.models import CustomerTag, Tag
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials, offers
from workbench.channelapi.models import ChannelCall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def an_offer():
    offers.register("test-offer", lambda customer, kind: [offers.Offer("campaign", "CMP-1", f"For {kind}", ("new",))])
    yield
    offers._PROVIDERS.pop("test-offer", None)


def test_summary_per_kind_and_scope(live_server, org, an_offer):
    customer = make_customer("C-9", org.a_sh, name_local="王伟", star_rating=4, do_not_contact=True)
    CustomerTag.objects.create(customer=customer, tag=Tag.objects.create(bank=org.bank_a, name="VIP"))
    make_customer("B-9", org.b_hk)
    counter, counter_secret = credentials.register(org.bank_a, "Counter", "counter")
    online, online_secret = credentials.register(org.bank_a, "Online", "online")

    status, body, _ = SigningClient(live_server.url, counter.key_id, counter_secret).get("/api/v1/channel/customers/C-9/summary")
    assert status == 200
    assert body["star_rating"] == 4 and body["tags"] == ["VIP"]
    assert {"code": "do_not_contact"} in body["alerts"]
    assert body["offers"] == [{"kind": "campaign", "reference": "CMP-1", "title": "For counter", "reasons": ["new"]}]
    assert "王伟" not in str(body)
    assert ChannelCall.objects.filter(client=counter, endpoint="customer-summary", customer=customer).exists()

    # Another bank's customer is a 404.
    api = SigningClient(live_server.url, counter.key_id, counter_secret)
    assert api.get("/api/v1/channel/customers/B-9/summary")[0] == 404
    # Online banking: only its asserted customer, no internal alerts or tags.
    status, body, _ = SigningClient(live_server.url, online.key_id, online_secret, customer_ref="C-9").get(
        "/api/v1/channel/customers/C-9/summary"
    )
    assert status == 200 and set(body) == {"number", "offers"}
    other = SigningClient(live_server.url, online.key_id, online_secret, customer_ref="C-1")
    assert other.get("/api/v1/channel/customers/C-9/summary")[0] == 404
