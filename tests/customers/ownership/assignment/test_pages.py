"""The assignment pages: branch pool and claim, the maker's requests, the checker's
decisions, reassignment, hand-over preview, transfer, the attribution rule; scope (404
for foreign objects), query counts, and a browser test of claim -> approve -> the
customer appears in the manager's list."""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from customers.master.models import Customer
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AttributionRule
from customers.ownership.assignment.sections import ownership_context
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from sysadmin.org.models import Staff
from tests.conftest import login
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(org):
    org.manager2 = make_staff("a.mgr.sh2", branch=org.a_sh, roles=["customer_manager"])
    org.supervisor2 = make_staff("a.sup.sh2", branch=org.a_sh, roles=["branch_supervisor"])
    org.supervisor_bj = make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])
    Staff.objects.update(language="en")  # the pages speak each user's language; these tests read English
    return org


def test_the_pool_shows_unassigned_customers_of_the_managers_branch_only(people, django_assert_max_num_queries):
    org = people
    for i in range(3):
        make_customer(f"C-PL-{i}", org.a_sh, name_local=f"池客户{i}")
    make_customer("C-PL-SUB", org.a_sh_sub)  # another branch's pool
    make_customer("C-PL-BJ", org.a_bj)
    make_customer("C-PL-OWN", org.a_sh, org.manager2)  # assigned
    make_customer("C-PL-B", org.b_hk)
    client = client_for(org.manager)
    client.get(reverse("customers:pool"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("customers:pool")).content.decode()
    assert all(f"C-PL-{i}" in page for i in range(3))
    assert not any(n in page for n in ("C-PL-SUB", "C-PL-BJ", "C-PL-OWN", "C-PL-B"))
    assert page.count("claim-link") == 3
    # A supervisor sees the pool of the subtree, without claim buttons; a teller may not come.
    page = client_for(org.supervisor).get(reverse("customers:pool")).content.decode()
    assert "C-PL-SUB" in page and "C-PL-BJ" not in page and "claim-link" not in page
    assert client_for(org.teller).get(reverse("customers:pool")).status_code == 403


def test_claim_page_sends_a_claim_and_my_requests_shows_it(people):
    org = people
    customer = make_customer("C-CL-1", org.a_sh)
    client = client_for(org.manager)
    url = reverse("customers:claim", args=[customer.number])
    assert 'id="claim-form"' in client.get(url).content.decode()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and not ChangeRequest.objects.exists()
    response = client.post(url, {"reason": "I opened the account"})
    assert response.status_code == 302
    request = ChangeRequest.objects.get(action=assignment.ACTION_CLAIM)
    page = client.get(reverse("customers:my_assignment_requests")).content.decode()
    assert f'id="request-{request.pk}"' in page and "Pending" in page
    # 360 page of the supervisor shows the pending claim.
    page = client_for(org.supervisor).get(customer.get_absolute_url()).content.decode()
    assert 'id="pending-claims"' in page and org.manager.display_name in page


@pytest.mark.parametrize("number", ["C-CL-BJ", "C-CL-B", "C-NONE"])
def test_claim_page_of_a_foreign_customer_is_404(people, number):
    org = people
    make_customer("C-CL-BJ", org.a_bj)
    make_customer("C-CL-B", org.b_hk)
    assert client_for(org.manager).get(reverse("customers:claim", args=[number])).status_code == 404
    assert client_for(org.manager).post(reverse("customers:claim", args=[number]), {"reason": "x"}).status_code == 404
    assert not ChangeRequest.objects.exists()


def test_decide_page_approve_and_reject(people):
    org = people
    first = assignment.claim(make_customer("C-DC-1", org.a_sh), org.manager, "mine")
    second = assignment.claim(make_customer("C-DC-2", org.a_sh), org.manager, "mine too")
    client = client_for(org.supervisor)
    page = client.get(reverse("customers:assignment_requests")).content.decode()
    assert f'id="assignment-request-{first.pk}"' in page and f'id="assignment-request-{second.pk}"' in page
    client.post(reverse("customers:assignment_approve", args=[first.pk]))
    assert Customer.objects.get(number="C-DC-1").primary_manager == org.manager
    client.post(reverse("customers:assignment_reject", args=[second.pk]), {"reason": ""})
    second.refresh_from_db()
    assert second.status == ChangeRequest.Status.PENDING  # a rejection needs a reason
    client.post(reverse("customers:assignment_reject", args=[second.pk]), {"reason": "not yours"})
    second.refresh_from_db()
    assert second.status == ChangeRequest.Status.REJECTED and second.decision_reason == "not yours"


def test_decisions_outside_the_subtree_are_404(people):
    org = people
    request = assignment.claim(make_customer("C-DC-3", org.a_sh), org.manager, "mine")
    for user in (org.supervisor_bj, org.b_supervisor):
        client = client_for(user)
        assert f"assignment-request-{request.pk}" not in client.get(reverse("customers:assignment_requests")).content.decode()
        assert client.post(reverse("customers:assignment_approve", args=[request.pk])).status_code == 404
        assert client.post(reverse("customers:assignment_reject", args=[request.pk]), {"reason": "no"}).status_code == 404
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    # A manager may not decide at all; a customer-change request is not decided here.
    assert client_for(org.manager2).post(reverse("customers:assignment_approve", args=[request.pk])).status_code == 403


def test_claims_and_transfers_reach_the_approvals_inbox(people):
    """The inbox (workbench) lists every pending assignment request the checker may decide;
    its bulk approval applies them through the same handlers."""
    org = people
    claims = [assignment.claim(make_customer(f"C-IB-{i}", org.a_sh), org.manager, "mine") for i in range(2)]
    transfer = assignment.propose_transfer(
        make_customer("C-IB-T", org.a_sh, org.manager), org.a_bj, org.supervisor, "moving north"
    )
    client = client_for(org.supervisor2)
    page = client.get(reverse("workbench:inbox")).content.decode()
    assert all(f"C-IB-{i}" in page for i in range(2)) and "C-IB-T" not in page  # Beijing decides the transfer
    assert "C-IB-T" in client_for(org.supervisor_bj).get(reverse("workbench:inbox")).content.decode()
    client.post(reverse("workbench:approve"), {"selected": [c.pk for c in claims]})
    assert Customer.objects.filter(number__startswith="C-IB-", primary_manager=org.manager).count() == 3
    transfer.refresh_from_db()
    assert transfer.status == ChangeRequest.Status.PENDING


def test_withdraw_own_claim_only(people):
    org = people
    request = assignment.claim(make_customer("C-WD-1", org.a_sh), org.manager, "mine")
    assert client_for(org.manager2).post(reverse("customers:assignment_withdraw", args=[request.pk])).status_code == 404
    client_for(org.manager).post(reverse("customers:assignment_withdraw", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.CANCELLED


def test_reassign_page(people):
    org = people
    a = make_customer("C-RP-1", org.a_sh, org.manager)
    make_customer("C-RP-BJ", org.a_bj, org.manager_bj)
    client = client_for(org.supervisor)
    page = client.get(reverse("customers:reassign") + "?numbers=C-RP-1").content.decode()
    assert "C-RP-1" in page and org.manager_bj.username not in page  # targets only from the subtree
    response = client.post(
        reverse("customers:reassign"), {"numbers": "C-RP-1, C-RP-BJ", "to_manager": org.manager2.pk, "reason": "rebalance"}
    )
    assert response.status_code == 200 and "Not found in your scope: C-RP-BJ" in response.content.decode()
    response = client.post(
        reverse("customers:reassign"), {"numbers": "C-RP-1", "to_manager": org.manager2.pk, "reason": "rebalance"}
    )
    assert response.status_code == 302
    request = ChangeRequest.objects.get(action=assignment.ACTION_REASSIGN)
    approvals.approve(request.pk, org.supervisor2)
    a.refresh_from_db()
    assert a.primary_manager == org.manager2


def test_handover_page_previews_then_submits(people):
    org = people
    for i, aum in enumerate([500, 300, 200]):
        make_customer(f"C-HP-{i}", org.a_sh, org.manager, aum=aum)
    client = client_for(org.supervisor)
    data = {
        "from_manager": org.manager.pk,
        "to_managers": [org.manager2.pk, org.manager_sub.pk],
        "mode": assignment.HANDOVER_SPLIT,
        "reason": "leaving the bank",
    }
    page = client.post(reverse("customers:handover"), {**data, "preview": "1"}).content.decode()
    assert 'id="handover-plan"' in page and page.count('class="plan-row"') == 2 and "500.00" in page
    assert not ChangeRequest.objects.exists()
    response = client.post(reverse("customers:handover"), {**data, "submit": "1"})
    assert response.status_code == 302
    assert ChangeRequest.objects.get(action=assignment.ACTION_HANDOVER).payload["count"] == 3


def test_transfer_page_and_transfer_in_progress(people):
    org = people
    customer = make_customer("C-TP-1", org.a_sh, org.manager)
    client = client_for(org.supervisor)
    url = reverse("customers:transfer", args=[customer.number])
    page = client.get(url).content.decode()
    assert "A-LDN" in page and "B-HK" not in page
    assert client.post(url, {"to_branch": org.a_ldn.pk, "reason": ""}).status_code == 200
    assert client.post(url, {"to_branch": org.a_ldn.pk, "reason": "moved to London"}).status_code == 302
    for user in (org.supervisor, org.manager):
        page = client_for(user).get(customer.get_absolute_url()).content.decode()
        assert 'id="transfer-in-progress"' in page
    assert 'id="transfer-in-progress"' in client.get(url).content.decode()
    assert client_for(org.supervisor_bj).get(url).status_code == 404  # not their customer
    assert client_for(org.manager).get(url).status_code == 403  # managers do not propose transfers


def test_attribution_rule_page(people):
    org = people
    client = client_for(org.admin)
    assert client.get(reverse("customers:attribution_rule")).status_code == 200
    assert not AttributionRule.objects.exists()  # a GET writes nothing
    client.post(reverse("customers:attribution_rule"), {"branch_rule": "largest_aum", "manager_rule": "supervisor"})
    rule = AttributionRule.objects.get(bank=org.bank_a)
    assert (rule.branch_rule, rule.manager_rule, rule.updated_by) == ("largest_aum", "supervisor", org.admin)
    assert AuditLog.objects.filter(object_type="customers.attributionrule", actor=org.admin).exists()
    assert client_for(org.manager).get(reverse("customers:attribution_rule")).status_code == 403
    assert client_for(org.supervisor).get(reverse("customers:attribution_rule")).status_code == 403


def test_ownership_section_query_count_is_fixed(people, django_assert_num_queries):
    org = people
    small = make_customer("C-OS-1", org.a_sh, org.manager)
    big = make_customer("C-OS-2", org.a_sh)
    for i in range(3):
        make_staff(f"a.mgr.x{i}", branch=org.a_sh, roles=["customer_manager"])
    for manager in (org.manager, org.manager2):
        assignment.claim(big, manager, "mine")
    ownership_context(small, org.supervisor)  # the user's permissions are read (and cached) once
    # Fresh customer objects: the pending requests are read once per customer object (the 360
    # page's header has read them when the section runs; then the section costs one query).
    small, big = Customer.objects.get(pk=small.pk), Customer.objects.get(pk=big.pk)
    with django_assert_num_queries(2):
        ownership_context(small, org.supervisor)
    with django_assert_num_queries(2):
        context = ownership_context(big, org.supervisor)
    assert len(context["claims"]) == 2
    with django_assert_num_queries(1):
        assert len(ownership_context(big, org.supervisor)["claims"]) == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_claim_approve_and_the_customer_appears_in_the_managers_list(page, live_server, org):
    supervisor2 = make_staff("a.sup.sh2", branch=org.a_sh, roles=["branch_supervisor"])
    make_customer("C8801", org.a_sh, name_local="赵敏", name_latin="Zhao Min")
    make_customer("C8802", org.a_sh, org.manager, name_local="钱多", name_latin="Qian Duo")
    Staff.objects.update(language="en")

    login(page, org.manager.username)
    page.goto("/customers/")
    expect(page.locator("table")).not_to_contain_text("C8801")
    page.goto(reverse("customers:pool"))
    page.locator("tr", has_text="C8801").locator(".claim-link").click()
    page.fill("textarea[name=reason]", "I opened the account at the counter")
    page.locator("#claim-form button[type=submit]").click()
    expect(page.locator("#my-requests")).to_contain_text("C8801")
    expect(page.locator("#my-requests .request-status").first).to_have_text("Pending")

    page.context.clear_cookies()
    login(page, supervisor2.username)
    page.goto(reverse("customers:assignment_requests"))
    card = page.locator(".assignment-request", has_text="C8801")
    expect(card).to_contain_text("I opened the account")
    card.locator(".approve-button").click()
    expect(page.locator("#no-assignment-requests")).to_be_visible()

    page.context.clear_cookies()
    login(page, org.manager.username)
    page.goto("/customers/")
    expect(page.locator("table")).to_contain_text("C8801")
    page.goto(reverse("customers:my_assignment_requests"))
    expect(page.locator("#my-requests .request-status").first).to_have_text("Approved")
    page.goto(Customer.objects.get(number="C8801").get_absolute_url())
    expect(page.locator("#assignment-history")).to_contain_text("Claim")
