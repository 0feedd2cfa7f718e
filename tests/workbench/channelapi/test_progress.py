"""A service request's progress through the channel API (交易进展查询): where it stands step by step,
with each step's saved progress, so that a colleague with the step's role resumes it from any channel.
The saved progress goes to our colleagues' channels only (names as the classification says), never
to online banking; another customer's or another bank's request is a 404. Over real HTTP."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ocrm import pii
from sysadmin.roles import sync_roles
from tests.factories import make_customer
from tests.workbench.channelapi.client import SigningClient
from workbench.channelapi import credentials
from workbench.channelapi.models import ChannelCall
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequestType

pytestmark = pytest.mark.django_db(transaction=True)
FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def progress_path(number, reference):
    return f"/api/v1/channel/customers/{number}/service-requests/{reference}/progress"


@pytest.fixture
def in_processing(org):
    """An FX cash exchange of 王小明, confirmed online; a teller checked the identity (a note naming
    the customer, a copy of the ID) and the request waits at its second step."""
    sync_roles()
    services.seed_built_in_types(org.bank_a)
    fx = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    customer = make_customer("C-PG-1", org.a_sh, org.manager, name_local="王小明")
    request = services.send(org.manager, services.create_request(org.manager, customer, fx, FX))
    request = services.confirm(customer, request.reference, request.content_hash, "online")
    request = services.start_processing(org.teller, request)
    request = services.save_progress(org.teller, request, {"note": "王小明 showed the ID, copy to follow"})
    services.add_attachment(org.teller, request, SimpleUploadedFile("id.png", PNG), kind="id_copy")
    return services.complete_step(org.teller, request)


def _api(live_server, bank, kind, customer_ref=""):
    client, secret = credentials.register(bank, f"{kind} client {customer_ref}".strip(), kind)
    return client, SigningClient(live_server.url, client.key_id, secret, customer_ref)


def test_the_counter_sees_each_step_with_its_saved_progress_names_masked(live_server, org, in_processing):
    counter, api = _api(live_server, org.bank_a, "counter")
    status, body, _ = api.get(progress_path("C-PG-1", in_processing.reference))
    assert status == 200, body
    assert body["reference"] == in_processing.reference and body["status"] == "processing"
    assert body["current_step"] == 1
    first, second = body["steps"]
    assert (first["name"], first["role"], first["state"]) == ("Check identity", "teller", "done")
    # The counter sees the masked name (its default classification), never the name in clear.
    assert first["progress"] == {"note": f"{pii.mask_text('王小明')} showed the ID, copy to follow"}
    assert "王小明" not in str(body)
    assert first["progress_saved_at"] and first["attachments"] == 1
    assert first["due_at"] is None and first["started_at"] is None
    assert (second["state"], second["progress"], second["attachments"]) == ("current", {}, 0)
    assert second["started_at"] and second["due_at"]
    assert ChannelCall.objects.filter(client=counter, endpoint="service-request-progress", status_code=200).exists()


def test_a_colleague_resumes_where_the_phone_channel_saw_it(live_server, org, in_processing):
    _client, api = _api(live_server, org.bank_a, "phone")
    # The second step's saved work, read back by the phone channel (which may see the name).
    services.save_progress(org.teller, in_processing, {"note": "Cash ordered for 王小明"})
    status, body, _ = api.get(progress_path("C-PG-1", in_processing.reference))
    assert status == 200 and body["steps"][1]["progress"] == {"note": "Cash ordered for 王小明"}
    assert body["steps"][1]["progress_saved_at"]
    services.complete_step(org.teller, in_processing)
    status, body, _ = api.get(progress_path("C-PG-1", in_processing.reference))
    assert body["status"] == "completed" and body["current_step"] is None
    assert [step["state"] for step in body["steps"]] == ["done", "done"]


def test_online_banking_sees_the_steps_of_its_own_customer_without_the_notes(live_server, org, in_processing):
    _client, api = _api(live_server, org.bank_a, "online", customer_ref="C-PG-1")
    status, body, _ = api.get(progress_path("C-PG-1", in_processing.reference))
    assert status == 200 and [step["state"] for step in body["steps"]] == ["done", "current"]
    assert all("progress" not in step for step in body["steps"]) and "showed the ID" not in str(body)
    # Asserted as another customer, the same request is out of reach.
    make_customer("C-PG-2", org.a_sh)
    _client, other = _api(live_server, org.bank_a, "online", customer_ref="C-PG-2")
    assert other.get(progress_path("C-PG-1", in_processing.reference))[0] == 404


def test_another_customer_another_bank_and_unknown_references_are_404(live_server, org, in_processing):
    make_customer("C-PG-3", org.a_sh)
    _client, counter = _api(live_server, org.bank_a, "counter")
    assert counter.get(progress_path("C-PG-3", in_processing.reference))[0] == 404  # not this customer's
    assert counter.get(progress_path("C-PG-1", "SR000000NOPE"))[0] == 404
    _client, foreign = _api(live_server, org.bank_b, "counter")
    assert foreign.get(progress_path("C-PG-1", in_processing.reference))[0] == 404
    unsigned = SigningClient(live_server.url, "ck_nobody", "x")
    assert unsigned.get(progress_path("C-PG-1", in_processing.reference))[0] in (401, 403)
