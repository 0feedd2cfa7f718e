"""The supervisors' approvals inbox (workbench): only requests of the checker's branch subtree,
never their own, bulk approve (each on its own), reject with a required reason, filters,
export, other inbox sources, the navigation badge, and a bounded number of queries."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from customers.master import services
from customers.master.models import Customer
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.models import CustomerShare
from ocrm.approvals import inbox
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db

INBOX = "/workbench/inbox/"


@pytest.fixture
def customer(org):
    return make_customer("C-INBOX-1", org.a_sh, org.manager, name_local="钱七", name_latin="Qian Qi")


def rename(customer, maker, new_latin):
    return services.update_customer(customer, {"name_latin": new_latin}, maker).change_request


def logged_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_url_names():
    assert reverse("workbench:inbox") == INBOX


def test_inbox_lists_requests_of_the_subtree_only(org, customer, client):
    request = rename(customer, org.manager, "Qian Q.")
    far = make_customer("C-INBOX-BJ", org.a_bj, org.manager_bj)
    far_request = rename(far, org.manager_bj, "Far Away")
    logged_in(client, org.supervisor)
    text = client.get(INBOX).content.decode()
    assert f'id="inbox-row-{request.pk}"' in text and f'id="inbox-row-{far_request.pk}"' not in text
    assert "Qian Q." in text and "Wang Wei" not in text
    # The Beijing request is not even there for the Shanghai supervisor: 404, and nothing changes.
    assert client.get(reverse("workbench:request_detail", args=[far_request.pk])).status_code == 404
    assert client.post(reverse("workbench:reject", args=[far_request.pk]), {"reason": "no"}).status_code == 404
    response = client.post(reverse("workbench:approve"), {"selected": [far_request.pk]}, follow=True)
    assert f"#{far_request.pk} was not approved: not found or outside your branches" in messages_of(response)
    far_request.refresh_from_db()
    assert far_request.status == ChangeRequest.Status.PENDING
    # A supervisor of another bank sees nothing of bank A.
    logged_in(client, org.b_supervisor)
    assert f'id="inbox-row-{request.pk}"' not in client.get(INBOX).content.decode()


def test_maker_never_sees_their_own_request_as_decidable(org, customer, client):
    own = rename(customer, org.supervisor, "Qian Supervisor")
    logged_in(client, org.supervisor)
    assert f'id="inbox-row-{own.pk}"' not in client.get(INBOX).content.decode()
    detail = client.get(reverse("workbench:request_detail", args=[own.pk])).content.decode()
    assert "another supervisor must decide it" in detail and 'id="detail-approve"' not in detail
    response = client.post(reverse("workbench:approve"), {"only": own.pk}, follow=True)
    assert any(m.startswith(f"#{own.pk} was not approved: You cannot decide your own request") for m in messages_of(response))
    assert client.post(reverse("workbench:reject", args=[own.pk]), {"reason": "mine"}).status_code == 403
    own.refresh_from_db()
    assert own.status == ChangeRequest.Status.PENDING


def test_people_without_a_checker_permission_get_403(org, client):
    for user in (org.manager, org.teller, org.auditor):
        logged_in(client, user)
        assert client.get(INBOX).status_code == 403, user
        assert client.post(reverse("workbench:approve"), {"selected": [1]}).status_code == 403, user
    client.logout()
    assert client.get(INBOX).status_code == 302  # to the log-in page


def test_bulk_approve_applies_each_and_names_each_failure(org, customer, client):
    other = make_customer("C-INBOX-2", org.a_sh_sub, org.manager_sub, name_latin="Sun Ba")
    first = rename(customer, org.manager, "Qian Qi-A")
    second = rename(other, org.manager_sub, "Sun Ba-B")
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    shared = sharing.share_customer(
        customer, org.manager, org.manager_bj, can_edit=False, expires_at=timezone.now() + datetime.timedelta(days=3)
    )
    decided = services.update_customer(other, {"name_local": "孙八"}, org.manager_sub).change_request
    approvals.reject(decided.pk, org.admin, "Typo")
    logged_in(client, org.supervisor)
    response = client.post(
        reverse("workbench:approve"),
        {"selected": [first.pk, second.pk, shared.change_request_id, decided.pk], "next": INBOX + "?page=1"},
    )
    assert response.status_code == 302 and response["Location"] == INBOX + "?page=1"
    response = client.get(response["Location"])
    notes = messages_of(response)
    assert f"Approved and applied: #{first.pk}, #{second.pk}, #{shared.change_request_id}." in notes
    assert any(m.startswith(f"#{decided.pk} was not approved: This request was already decided") for m in notes)
    customer.refresh_from_db()
    other.refresh_from_db()
    assert customer.name_latin == "Qian Qi-A" and other.name_latin == "Sun Ba-B"
    assert CustomerShare.objects.get(pk=shared.pk).status == CustomerShare.Status.ACTIVE
    assert Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    assert client.post(reverse("workbench:approve"), {}, follow=True).context["messages"]
    assert "Select at least one request." in messages_of(client.post(reverse("workbench:approve"), {}, follow=True))


def test_reject_needs_a_reason(org, customer, client):
    request = rename(customer, org.manager, "Qian Reject")
    logged_in(client, org.supervisor)
    response = client.post(reverse("workbench:reject", args=[request.pk]), {"reason": "   "}, follow=True)
    assert f"#{request.pk} was not rejected: Say why the request is rejected." in messages_of(response)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    response = client.post(reverse("workbench:reject", args=[request.pk]), {"reason": "No proof of the new name"}, follow=True)
    assert f"#{request.pk} rejected." in messages_of(response)
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.status == ChangeRequest.Status.REJECTED and request.decision_reason == "No proof of the new name"
    assert customer.name_latin == "Qian Qi"


def test_filters_by_type_branch_maker_and_date(org, customer, client):
    sub_customer = make_customer("C-INBOX-SUB", org.a_sh_sub, org.manager_sub)
    update = rename(customer, org.manager, "Qian Filter")
    sub_update = rename(sub_customer, org.manager_sub, "Sub Filter")
    shared = sharing.share_customer(
        customer, org.manager, org.manager_bj, can_edit=False, expires_at=timezone.now() + datetime.timedelta(days=3)
    )
    assert shared.status == CustomerShare.Status.ACTIVE  # no approval needed by default: nothing in the inbox
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    share_request = sharing.share_customer(
        customer, org.manager, org.manager_sub, can_edit=True, expires_at=timezone.now() + datetime.timedelta(days=3)
    ).change_request
    ChangeRequest.objects.filter(pk=update.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    logged_in(client, org.supervisor)

    def rows(**query):
        text = client.get(INBOX, query).content.decode()
        return {pk for pk in (update.pk, sub_update.pk, share_request.pk) if f'id="inbox-row-{pk}"' in text}

    assert rows() == {update.pk, sub_update.pk, share_request.pk}
    assert rows(action=sharing.ACTION_SHARE) == {share_request.pk}
    assert rows(action=services.ACTION_UPDATE) == {update.pk, sub_update.pk}
    assert rows(branch="A-SH-1") == {sub_update.pk}
    assert rows(maker="a.mgr.sh1") == {sub_update.pk}
    today = timezone.localdate().isoformat()
    assert rows(requested_from=today) == {sub_update.pk, share_request.pk}
    assert rows(requested_to=(timezone.localdate() - datetime.timedelta(days=5)).isoformat()) == {update.pk}
    assert rows(branch="A-BJ") == set()  # a branch outside the subtree is refused by the filter
    assert "No branch with this code is within your scope." in client.get(INBOX, {"branch": "B-HK"}).content.decode()
    # The old change-requests page leads to the inbox filtered to customer changes.
    response = client.get(reverse("customers:change_requests"))
    assert response.status_code == 302 and response["Location"] == INBOX + "?action=customer.update"


def test_row_shows_label_link_changes_and_sorts(org, customer, client):
    services.update_customer(customer, {"branch": org.a_sh_sub}, org.manager)
    logged_in(client, org.supervisor)
    text = client.get(INBOX, {"sort": "-created_at"}).content.decode()
    assert reverse("customers:detail", args=[customer.number]) in text
    assert "A-SH 支行" in text and "A-SH-1 支行" in text and "→" in text  # branches by name, before → after
    assert "owning branch" in text
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    until = timezone.now() + datetime.timedelta(days=2)
    sharing.share_customer(customer, org.manager, org.manager_bj, can_edit=True, expires_at=until)
    text = client.get(INBOX, {"action": sharing.ACTION_SHARE}).content.decode()
    assert "Share a customer" in text and "shared with" in text and "a.mgr.bj" in text and "may edit" in text
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in text  # the end, in the reader's zone


def test_export_xlsx(org, customer, client):
    request = rename(customer, org.manager, "Qian Export")
    logged_in(client, org.supervisor)
    response = client.get(INBOX, {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "#" and len(rows) == 2
    assert rows[1][0] == request.pk and "Qian Export" in rows[1][3]


def test_other_sources_are_counted_and_linked(org, customer, client):
    def pending(user):
        return Customer.objects.visible_to(user).filter(number="C-INBOX-1")

    inbox.register("test_source", "Test reviews", pending, "customers:list", perm="customers.approve_change")
    try:
        logged_in(client, org.supervisor)
        text = client.get(INBOX).content.decode()
        assert 'id="inbox-source-test_source"' in text and "Test reviews" in text
        assert f'href="{reverse("customers:list")}"' in text
        home = client.get("/").content.decode()
        # The badge counts the source's item too (no change request is waiting).
        assert '<span class="badge text-bg-danger">1</span>' in home
    finally:
        inbox._sources.pop("test_source", None)


def test_badge_counts_what_waits(org, customer, client, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    logged_in(client, org.supervisor)
    assert "Approvals" in client.get("/").content.decode()  # nothing waits: no badge (and the count is cached)
    with django_capture_on_commit_callbacks(execute=True):  # a new request makes the cached count stale
        requests = [rename(make_customer(f"C-BADGE-{i}", org.a_sh, org.manager), org.manager, f"Qian {i}") for i in range(3)]
        rename(customer, org.supervisor, "Own")  # the supervisor's own: not counted
    text = client.get("/").content.decode()
    assert '<span class="badge text-bg-danger">3</span></a></li>' in text
    with django_assert_max_num_queries(10) as captured:
        client.get(reverse("notifications"))
    assert not [q for q in captured.captured_queries if "ocrm_changerequest" in q["sql"]]  # the badge came from the cache
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(requests[0].pk, org.admin)
    assert '<span class="badge text-bg-danger">2</span></a></li>' in client.get("/").content.decode()
    logged_in(client, org.manager)  # no checker permission: no entry, no count
    assert "/workbench/inbox/" not in client.get("/").content.decode()


def test_inbox_query_count_is_bounded_with_50_pending(org, client, django_assert_max_num_queries):
    customers = [make_customer(f"C-Q-{i:03d}", org.a_sh if i % 2 else org.a_sh_sub, org.manager) for i in range(50)]
    for i, c in enumerate(customers):
        services.update_customer(c, {"name_latin": f"Name {i}", "branch": org.a_sh_sub if i % 2 else org.a_sh}, org.manager)
    logged_in(client, org.supervisor)
    client.get(INBOX)  # warm caches
    with django_assert_max_num_queries(10):  # 8 today: session, user, perms, scope, count, page, sources
        response = client.get(INBOX, {"per_page": 50})
    assert response.content.decode().count('class="inbox-row') == 50


def test_a_supervisor_of_the_parent_branch_decides(org, customer, client):
    request = rename(customer, org.manager, "Qian Parent")
    region = make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"])
    logged_in(client, region)
    assert f'id="inbox-row-{request.pk}"' in client.get(INBOX).content.decode()
    client.post(reverse("workbench:approve"), {"only": request.pk})
    customer.refresh_from_db()
    assert customer.name_latin == "Qian Parent"
