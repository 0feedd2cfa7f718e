"""My requests (issue 12.8): every maker lists and withdraws what they submitted, whatever its kind
(customer changes, claims, shares...), in one place; and a change request's fields are shown by
their translated labels wherever a person reads them (issue 12.6: banner, lists, detail, notification)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from customers.master import services
from customers.ownership.assignment import services as assignment
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.models import CustomerShare
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

MY_REQUESTS = "/workbench/my-requests/"


def logged_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def made(org):
    """A manager's pending requests of three kinds, one of them decided, and a colleague's."""
    customer = make_customer("C-MINE-1", org.a_sh, org.manager, name_local="钱七", name_latin="Qian Qi")
    pool = make_customer("C-POOL-1", org.a_sh, None, name_local="孙八")
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    update = services.update_customer(customer, {"name_local": "钱七七"}, org.manager).change_request
    claim = assignment.claim(pool, org.manager, "Walk-in customer of mine")
    share = sharing.share_customer(
        customer, org.manager, org.manager_bj, can_edit=False, expires_at=timezone.now() + datetime.timedelta(days=3)
    )
    rejected = services.update_customer(customer, {"name_latin": "Q. Qi"}, org.manager).change_request
    approvals.reject(rejected.pk, org.supervisor, "No proof")
    colleague = make_customer("C-MINE-2", org.a_sh_sub, org.manager_sub)
    theirs = services.update_customer(colleague, {"name_local": "别人"}, org.manager_sub).change_request
    return {"update": update, "claim": claim, "share": share, "rejected": rejected, "theirs": theirs, "customer": customer}


def test_a_manager_lists_every_request_they_made_whatever_its_kind(org, made, client):
    """The finding: /customers/change-requests/ was a raw 403 for the manager, and "My assignment
    requests" showed claims only."""
    logged_in(client, org.manager)
    # The checkers' old address sends a maker to their own customer changes.
    assert client.get(reverse("customers:change_requests"))["Location"] == MY_REQUESTS + "?action=customer.update"
    only_changes = client.get(MY_REQUESTS, {"action": "customer.update"}).content.decode()
    assert f'id="my-request-{made["update"].pk}"' in only_changes and f'id="my-request-{made["claim"].pk}"' not in only_changes
    response = client.get(MY_REQUESTS)
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("update", "claim", "rejected"):
        assert f'id="my-request-{made[key].pk}"' in page, key
    assert f'id="my-request-{made["share"].change_request_id}"' in page
    assert f'id="my-request-{made["theirs"].pk}"' not in page
    assert "Change customer data" in page and "Customer claim" in page and "Share a customer" in page
    assert "No proof" in page and "Rejected" in page  # who decided and why
    # Withdraw buttons for the pending ones only.
    assert f'id="withdraw-{made["update"].pk}"' in page and f'id="withdraw-{made["rejected"].pk}"' not in page
    # Filtered to what is still pending; exported.
    pending = client.get(MY_REQUESTS, {"status": "pending"}).content.decode()
    assert f'id="my-request-{made["rejected"].pk}"' not in pending and f'id="my-request-{made["update"].pk}"' in pending
    assert client.get(MY_REQUESTS, {"export": "xlsx"}).status_code == 200
    # Another bank's manager, and the colleague, see none of it.
    logged_in(client, org.b_manager)
    assert 'class="my-request-row' not in client.get(MY_REQUESTS).content.decode()
    client.logout()
    assert client.get(MY_REQUESTS).status_code == 302


def test_the_maker_withdraws_any_kind_and_nobody_else_can(org, made, client):
    logged_in(client, org.manager)
    for request_id in (made["update"].pk, made["claim"].pk, made["share"].change_request_id):
        response = client.post(reverse("workbench:withdraw", args=[request_id]), follow=True)
        assert f"Request #{request_id} withdrawn." in messages_of(response)
        assert ChangeRequest.objects.get(pk=request_id).status == ChangeRequest.Status.CANCELLED
    # Withdrawing the share request also ends the share that waited for it.
    assert CustomerShare.objects.get(pk=made["share"].pk).status == CustomerShare.Status.REVOKED
    # A decided request stays as it was; another maker's request is not there at all.
    response = client.post(reverse("workbench:withdraw", args=[made["rejected"].pk]), follow=True)
    assert any("already decided" in m for m in messages_of(response))
    assert client.post(reverse("workbench:withdraw", args=[made["theirs"].pk])).status_code == 404
    logged_in(client, org.supervisor)  # a checker cannot withdraw it either
    assert client.post(reverse("workbench:withdraw", args=[made["theirs"].pk])).status_code == 404
    assert ChangeRequest.objects.get(pk=made["theirs"].pk).status == ChangeRequest.Status.PENDING
    made["customer"].refresh_from_db()
    assert made["customer"].name_local == "钱七"  # nothing withdrawn was applied


def test_fields_are_shown_by_their_labels_everywhere(org, made, client, django_capture_on_commit_callbacks):
    """The pending banner said "修改客户资料 — name_local", the notification "赵欣怡：name_local"."""
    update = made["update"]
    for user, url in (
        (org.manager, MY_REQUESTS),
        (org.manager, made["customer"].get_absolute_url()),  # the pending banner
        (org.supervisor, reverse("workbench:inbox")),
        (org.supervisor, reverse("workbench:request_detail", args=[update.pk])),
    ):
        logged_in(client, user, "zh-hans")
        page = client.get(url).content.decode()
        assert "name_local" not in page and "shared_with" not in page, url
        assert "名称" in page, url  # the label of name_local
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(update.pk, org.supervisor)
    note = Notification.objects.filter(recipient=org.manager).latest("pk")
    assert "name_local" not in note.body and note.body.rstrip("。.").endswith(("：名称", ": name"))
    with translation.override("en"):
        assert approvals.field_labels(made["share"].change_request) == ["shared with", "may edit", "until"]
