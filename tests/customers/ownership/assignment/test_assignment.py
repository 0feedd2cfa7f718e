"""Assignment rules and flows (customers.ownership.assignment.services): claims, reassignment, hand-over,
branch transfer, every rejection path and the data scope of deciders."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from customers.master.models import Customer, Holding
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AssignmentChange
from customers.ownership.sharing.models import CustomerShare
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from ocrm.notifications.models import Notification
from sysadmin.org.models import Staff
from tests.factories import make_customer, make_product, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    """Beyond build_org: a second manager and a second supervisor at Shanghai, a supervisor
    of the region above it, one at Beijing and one in London."""
    org.manager2 = make_staff("a.mgr.sh2", branch=org.a_sh, roles=["customer_manager"])
    org.supervisor2 = make_staff("a.sup.sh2", branch=org.a_sh, roles=["branch_supervisor"])
    org.region_supervisor = make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"])
    org.supervisor_bj = make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])
    org.supervisor_ldn = make_staff("a.sup.ldn", branch=org.a_ldn, roles=["branch_supervisor"])
    org.manager_ldn = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    # Notifications are written in the recipient's language (staff default to Chinese);
    # these tests read the English titles.
    Staff.objects.update(language="en")
    return org


def notes_of(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def history(customer):
    return list(AssignmentChange.objects.filter(customer=customer).order_by("at", "id"))


# --- claims ---------------------------------------------------------------------------------------------


def test_claim_approved_assigns_the_customer_with_history_audit_and_notification(people, django_capture_on_commit_callbacks):
    org = people
    customer = make_customer("C-POOL-1", org.a_sh)
    request = assignment.claim(customer, org.manager, "I opened the account")
    assert request.status == ChangeRequest.Status.PENDING and request.branch_path == org.a_sh.path
    assert request in approvals.pending_for_checker(org.supervisor)
    customer.refresh_from_db()
    assert customer.primary_manager_id is None  # nothing changes before the approval

    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, org.supervisor)
    customer.refresh_from_db()
    assert customer.primary_manager == org.manager
    [row] = history(customer)
    assert (row.kind, row.from_manager_id, row.to_manager, row.change_request_id, row.actor) == (
        AssignmentChange.Kind.CLAIM,
        None,
        org.manager,
        request.pk,
        org.supervisor,
    )
    assert row.reason == "I opened the account"
    assert any("Claim approved" in title for title in notes_of(org.manager))
    assert AuditLog.objects.filter(
        object_type="customers.customer", object_id=str(customer.pk), action=AuditLog.Action.UPDATE, actor=org.supervisor
    ).exists()
    assert Customer.objects.visible_to(org.manager).filter(pk=customer.pk).exists()


@pytest.mark.parametrize("case", ["no_reason", "assigned", "assigned_to_another", "other_branch", "other_bank", "twice"])
def test_claim_is_refused(people, case):
    org = people
    customer = make_customer("C-POOL-2", org.a_sh)
    if case == "no_reason":
        with pytest.raises(ValidationError, match="reason"):
            assignment.claim(customer, org.manager, "  ")
    elif case == "assigned":
        Customer.objects.filter(pk=customer.pk).update(primary_manager=org.manager)
        with pytest.raises(ValidationError, match="already has a primary manager"):
            assignment.claim(customer, org.manager, "mine")
    elif case == "assigned_to_another":  # not the manager's to see: nothing is said about it
        Customer.objects.filter(pk=customer.pk).update(primary_manager=org.manager2)
        with pytest.raises(NotVisible):
            assignment.claim(customer, org.manager, "mine")
    elif case == "other_branch":  # the pool is the manager's own branch
        with pytest.raises(NotVisible):
            assignment.claim(customer, org.manager_bj, "mine")
    elif case == "other_bank":
        with pytest.raises(NotVisible):
            assignment.claim(customer, org.b_manager, "mine")
    else:
        assignment.claim(customer, org.manager, "mine")
        with pytest.raises(ValidationError, match="already claimed"):
            assignment.claim(customer, org.manager, "mine again")
    assert ChangeRequest.objects.filter(action=assignment.ACTION_CLAIM).count() == (1 if case == "twice" else 0)


def test_a_teller_cannot_claim(people):
    with pytest.raises(PermissionDenied):
        assignment.claim(make_customer("C-POOL-3", people.a_sh), people.teller, "mine")


def test_competing_claims_first_approved_wins_and_the_others_are_closed(people, django_capture_on_commit_callbacks):
    org = people
    customer = make_customer("C-POOL-4", org.a_sh)
    first = assignment.claim(customer, org.manager, "met them at the counter")
    second = assignment.claim(customer, org.manager2, "they called me")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(second.pk, org.supervisor)
    first.refresh_from_db()
    assert first.status == ChangeRequest.Status.CANCELLED
    assert f"claim #{second.pk}" in first.decision_reason and org.manager2.display_name in first.decision_reason
    assert any("Claim closed" in title for title in notes_of(org.manager))
    with pytest.raises(ValidationError, match="already decided"):
        approvals.approve(first.pk, org.supervisor)
    customer.refresh_from_db()
    assert customer.primary_manager == org.manager2 and len(history(customer)) == 1


def test_a_claim_on_a_customer_assigned_meanwhile_cannot_be_approved(people):
    org = people
    customer = make_customer("C-POOL-5", org.a_sh)
    request = assignment.claim(customer, org.manager, "mine")
    Customer.objects.filter(pk=customer.pk).update(primary_manager=org.manager2)
    with pytest.raises(ValidationError, match="assigned to"):
        approvals.approve(request.pk, org.supervisor)
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    # The nightly sweep (or the winner's commit) closes it.
    assert assignment.close_stale_claims(bank_id=org.bank_a.pk) == 1
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.CANCELLED


def test_rejection_needs_a_reason_and_tells_the_manager(people, django_capture_on_commit_callbacks):
    org = people
    customer = make_customer("C-POOL-6", org.a_sh)
    request = assignment.claim(customer, org.manager, "mine")
    with pytest.raises(ValidationError):
        approvals.reject(request.pk, org.supervisor, "")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.reject(request.pk, org.supervisor, "Belongs to the private-banking team")
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.status == ChangeRequest.Status.REJECTED and customer.primary_manager_id is None
    note = Notification.objects.get(recipient=org.manager)
    assert note.title.startswith("Rejected") and "private-banking" in note.body
    assert not history(customer)


@pytest.mark.parametrize("checker_attr", ["supervisor_bj", "b_supervisor", "supervisor_ldn"])
def test_no_decision_outside_the_subtree(people, checker_attr):
    org = people
    request = assignment.claim(make_customer("C-POOL-7", org.a_sh), org.manager, "mine")
    checker = getattr(org, checker_attr)
    assert request not in approvals.pending_for_checker(checker)
    with pytest.raises(NotVisible):
        approvals.approve(request.pk, checker)
    with pytest.raises(NotVisible):
        approvals.reject(request.pk, checker, "no")


def test_a_manager_cannot_approve_claims(people):
    org = people
    request = assignment.claim(make_customer("C-POOL-8", org.a_sh), org.manager, "mine")
    with pytest.raises((PermissionDenied, NotVisible)):
        approvals.approve(request.pk, org.manager2)


# --- reassignment ------------------------------------------------------------------------------------------


def test_reassign_a_selection_in_one_approved_action(people, django_capture_on_commit_callbacks):
    org = people
    a = make_customer("C-RA-1", org.a_sh, org.manager)
    b = make_customer("C-RA-2", org.a_sh_sub, org.manager_sub)
    request = assignment.reassign([a, b], org.manager2, org.supervisor, "rebalancing")
    assert request.branch_path == org.a_sh.path  # the common ancestor of everything involved
    with pytest.raises(PermissionDenied):
        approvals.approve(request.pk, org.supervisor)  # maker is not checker
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, org.supervisor2)
    assert set(Customer.objects.filter(pk__in=[a.pk, b.pk]).values_list("primary_manager", flat=True)) == {org.manager2.pk}
    rows = AssignmentChange.objects.filter(change_request_id=request.pk)
    assert {(r.customer_id, r.from_manager_id, r.to_manager_id, r.kind) for r in rows} == {
        (a.pk, org.manager.pk, org.manager2.pk, "reassignment"),
        (b.pk, org.manager_sub.pk, org.manager2.pk, "reassignment"),
    }
    assert any("2 customer(s) assigned to you" in t for t in notes_of(org.manager2))
    assert any("moved to another manager" in t for t in notes_of(org.manager))


def test_reassign_refuses_a_stale_request(people):
    org = people
    a = make_customer("C-RA-3", org.a_sh, org.manager)
    request = assignment.reassign([a], org.manager2, org.supervisor, "rebalancing")
    Customer.objects.filter(pk=a.pk).update(primary_manager=org.manager_sub)
    with pytest.raises(ValidationError, match="changed manager since the request"):
        approvals.approve(request.pk, org.supervisor2)
    assert Customer.objects.get(pk=a.pk).primary_manager == org.manager_sub


@pytest.mark.parametrize("target", ["inactive", "left", "teller", "other_bank", "outside_subtree", "same"])
def test_reassign_targets_must_be_active_managers_in_scope(people, target):
    org = people
    a = make_customer("C-RA-4", org.a_sh, org.manager)
    manager = {
        "inactive": lambda: make_staff("a.mgr.off", branch=org.a_sh, roles=["customer_manager"], is_active=False),
        "left": lambda: make_staff("a.mgr.left", branch=org.a_sh, roles=["customer_manager"], status=Staff.Status.LEFT),
        "teller": lambda: org.teller,
        "other_bank": lambda: org.b_manager,
        "outside_subtree": lambda: org.manager_bj,
        "same": lambda: org.manager,
    }[target]()
    with pytest.raises(ValidationError):
        assignment.reassign([a], manager, org.supervisor, "why not")
    assert not ChangeRequest.objects.filter(action=assignment.ACTION_REASSIGN).exists()


def test_reassign_refuses_customers_outside_the_scope(people):
    org = people
    foreign = make_customer("C-RA-5", org.a_bj, org.manager_bj)
    with pytest.raises(ValidationError, match="not in your scope"):
        assignment.reassign([foreign], org.manager2, org.supervisor, "mine now")


def test_assignment_from_the_pool_by_a_supervisor(people, django_capture_on_commit_callbacks):
    org = people
    customer = make_customer("C-RA-6", org.a_sh)
    claim = assignment.claim(customer, org.manager, "mine")
    request = assignment.reassign([customer], org.manager2, org.supervisor, "supervisor decides")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, org.supervisor2)
    [row] = history(customer)
    assert row.kind == AssignmentChange.Kind.ASSIGNMENT and row.to_manager == org.manager2
    claim.refresh_from_db()
    assert claim.status == ChangeRequest.Status.CANCELLED  # the pending claim lost


# --- hand-over -----------------------------------------------------------------------------------------------


def test_split_by_aum_is_even_and_loses_nobody():
    book = [(i, Decimal(v)) for i, v in enumerate([900, 500, 400, 300, 300, 100, 0, 0, 0, 0, 0, 0], start=1)]
    plan = assignment.plan_handover(book, [10, 20, 30], assignment.HANDOVER_SPLIT)
    assigned = sorted(c for ids in plan.assignments.values() for c in ids)
    assert assigned == list(range(1, 13))
    aums = sorted(aum for _count, aum in plan.totals.values())
    assert aums == [Decimal(800), Decimal(800), Decimal(900)]
    assert sorted(count for count, _aum in plan.totals.values()) == [4, 4, 4]  # zero-AUM customers spread by count


def test_hand_over_a_whole_book_to_one_manager_with_shares(people, django_capture_on_commit_callbacks):
    org = people
    book = [make_customer(f"C-HO-{i}", org.a_sh, org.manager) for i in range(5)]
    other = make_customer("C-HO-X", org.a_sh, org.manager_sub)
    share = CustomerShare.objects.create(
        bank=org.bank_a,
        customer=book[0],
        shared_by=org.manager,
        shared_with=org.manager_sub,
        expires_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
    )
    request = assignment.hand_over(org.manager, [org.manager2], assignment.HANDOVER_ONE, org.supervisor, "leaving")
    assert request.payload["count"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, org.supervisor2)
    assert not Customer.objects.filter(primary_manager=org.manager).exists()
    assert Customer.objects.filter(primary_manager=org.manager2).count() == 5
    assert Customer.objects.get(pk=other.pk).primary_manager == org.manager_sub
    assert (
        AssignmentChange.objects.filter(
            change_request_id=request.pk, kind="handover", from_manager=org.manager, to_manager=org.manager2
        ).count()
        == 5
    )
    share.refresh_from_db()
    assert share.shared_by == org.manager2  # the departing manager's shares follow the customers
    assert AuditLog.objects.filter(detail__event="book_handed_over", detail__customers=5).exists()


def test_hand_over_split_by_aum_across_three(people):
    org = people
    third = make_staff("a.mgr.sh3", branch=org.a_sh, roles=["customer_manager"])
    for i, aum in enumerate([1000, 800, 600, 400, 200, 0]):
        make_customer(f"C-SP-{i}", org.a_sh, org.manager, aum=aum)
    targets = [org.manager2, org.manager_sub, third]
    plan = assignment.preview_handover(org.manager, targets, assignment.HANDOVER_SPLIT, org.supervisor)
    request = assignment.hand_over(org.manager, targets, assignment.HANDOVER_SPLIT, org.supervisor, "leaving")
    approvals.approve(request.pk, org.region_supervisor)
    totals = {m.pk: sum(c.aum for c in Customer.objects.filter(primary_manager=m)) for m in targets}
    assert sorted(totals.values()) == [Decimal(1000), Decimal(1000), Decimal(1000)]
    assert {m: aum for m, (_c, aum) in plan.totals.items()} == totals
    assert not Customer.objects.filter(primary_manager=org.manager).exists()


@pytest.mark.parametrize("case", ["outside", "empty", "mode_one_many", "departing_in_targets", "pending"])
def test_hand_over_is_refused(people, case):
    org = people
    make_customer("C-HR-1", org.a_sh, org.manager)
    targets, mode = [org.manager2], assignment.HANDOVER_ONE
    if case == "outside":
        make_customer("C-HR-2", org.a_bj, org.manager)  # a customer the Shanghai supervisor cannot see
    elif case == "empty":
        Customer.objects.filter(primary_manager=org.manager).update(primary_manager=org.manager2)
        targets = [org.manager_sub]
    elif case == "mode_one_many":
        targets = [org.manager2, org.manager_sub]
    elif case == "departing_in_targets":
        targets, mode = [org.manager2, org.manager], assignment.HANDOVER_SPLIT
    else:
        assignment.hand_over(org.manager, targets, mode, org.supervisor, "leaving")
    with pytest.raises(ValidationError):
        assignment.hand_over(org.manager, targets, mode, org.supervisor, "leaving")
    assert ChangeRequest.objects.filter(action=assignment.ACTION_HANDOVER).count() == (1 if case == "pending" else 0)


def test_hand_over_approval_refuses_when_the_book_is_gone(people):
    org = people
    make_customer("C-HG-1", org.a_sh, org.manager)
    request = assignment.hand_over(org.manager, [org.manager2], assignment.HANDOVER_ONE, org.supervisor, "leaving")
    Customer.objects.filter(primary_manager=org.manager).update(primary_manager=org.manager_sub)
    with pytest.raises(ValidationError, match="no customers left"):
        approvals.approve(request.pk, org.supervisor2)


# --- branch transfer -------------------------------------------------------------------------------------------


def test_transfer_to_another_country_accepted_by_the_receiving_branch(people, django_capture_on_commit_callbacks):
    org = people
    customer = make_customer("C-TR-1", org.a_sh, org.manager)
    holding = Holding.objects.create(
        bank_id=org.bank_a.pk,
        customer=customer,
        product=make_product(org.bank_a),
        branch=org.a_sh,
        account_number="ACC-TR-1",
        currency="CNY",
        balance=10,
    )
    request = assignment.propose_transfer(customer, org.a_ldn, org.supervisor, "moved to London")
    assert request.branch_path == org.a_ldn.path
    assert assignment.pending_transfer(customer) == request
    with pytest.raises(ValidationError, match="already in progress"):
        assignment.propose_transfer(customer, org.a_bj, org.supervisor, "again")
    with pytest.raises(NotVisible):  # the sending side does not decide
        approvals.approve(request.pk, org.supervisor2)
    with django_capture_on_commit_callbacks(execute=True):
        assignment.choose_transfer_manager(request.pk, org.supervisor_ldn, org.manager_ldn)
        approvals.approve(request.pk, org.supervisor_ldn)
    customer.refresh_from_db()
    assert (customer.branch, customer.primary_manager) == (org.a_ldn, org.manager_ldn)
    assert Holding.objects.get(pk=holding.pk).customer_id == customer.pk  # nothing re-created
    [row] = history(customer)
    assert (row.kind, row.from_branch, row.to_branch, row.from_manager, row.to_manager) == (
        "transfer",
        org.a_sh,
        org.a_ldn,
        org.manager,
        org.manager_ldn,
    )
    assert any("Transfer accepted" in t for t in notes_of(org.manager))
    assert assignment.pending_transfer(customer) is None


def test_transfer_keeps_the_manager_unless_the_receiver_names_one(people):
    org = people
    customer = make_customer("C-TR-2", org.a_sh, org.manager)
    request = assignment.propose_transfer(customer, org.a_sh_sub, org.supervisor, "closer to home")
    approvals.approve(request.pk, org.supervisor2)  # A-SH-1 is in the Shanghai subtree
    customer.refresh_from_db()
    assert customer.branch == org.a_sh_sub and customer.primary_manager == org.manager


@pytest.mark.parametrize("case", ["same_branch", "other_bank", "no_reason", "outside_scope", "manager"])
def test_transfer_is_refused(people, case):
    org = people
    customer = make_customer("C-TR-3", org.a_sh, org.manager)
    actor, branch, reason = org.supervisor, org.a_bj, "why"
    if case == "same_branch":
        branch = org.a_sh
    elif case == "other_bank":
        branch = org.b_hk
    elif case == "no_reason":
        reason = ""
    elif case == "outside_scope":
        actor = org.supervisor_bj
    else:
        actor = org.manager
    with pytest.raises((ValidationError, NotVisible, PermissionDenied)):
        assignment.propose_transfer(customer, branch, actor, reason)
    assert not ChangeRequest.objects.filter(action=assignment.ACTION_TRANSFER).exists()


def test_transfer_rejected_changes_nothing(people):
    org = people
    customer = make_customer("C-TR-4", org.a_sh, org.manager)
    request = assignment.propose_transfer(customer, org.a_bj, org.supervisor, "moving")
    approvals.reject(request.pk, org.supervisor_bj, "We have no capacity")
    customer.refresh_from_db()
    assert customer.branch == org.a_sh and not history(customer)


def test_transfer_of_a_customer_that_moved_meanwhile_is_refused(people):
    org = people
    customer = make_customer("C-TR-5", org.a_sh, org.manager)
    request = assignment.propose_transfer(customer, org.a_bj, org.supervisor, "moving")
    Customer.objects.filter(pk=customer.pk).update(branch=org.a_sh_sub)
    with pytest.raises(ValidationError, match="moved to another branch"):
        approvals.approve(request.pk, org.supervisor_bj)


def test_common_path():
    assert assignment.common_path(["/1/2/3/", "/1/2/4/", "/1/2/"]) == "/1/2/"
    assert assignment.common_path(["/1/2/3/"]) == "/1/2/3/"
    assert assignment.common_path(["/1/", "/5/"]) == "/"


# --- audit events and the services the pages call -------------------------------------------------------------


def test_an_approved_claim_and_transfer_are_one_audit_entry_each_named_by_their_event(people):
    org = people
    customer = make_customer("C-EV-CLAIM", org.a_sh)
    claim = assignment.claim(customer, org.manager, "mine")
    approvals.approve(claim.pk, org.supervisor)
    updates = AuditLog.objects.filter(object_type="customers.customer", object_id=str(customer.pk), action="update")
    [claimed] = updates  # the event, not the event and the safety net
    assert claimed.detail == {"event": "customer_claimed", "change_request": claim.pk}
    assert claimed.changes == {"primary_manager_id": [None, org.manager.pk]} and claimed.actor == org.supervisor

    transfer = assignment.propose_transfer(customer, org.a_ldn, org.supervisor, "moved to London")
    assignment.approve_request(transfer.pk, org.supervisor_ldn, "welcome", to_manager=org.manager_ldn)
    transferred = updates.exclude(pk=claimed.pk).get()
    assert transferred.detail == {"event": "customer_transferred", "change_request": transfer.pk}
    assert transferred.changes == {
        "branch_id": [org.a_sh.pk, org.a_ldn.pk],
        "primary_manager_id": [org.manager.pk, org.manager_ldn.pk],
    }


def test_approving_a_transfer_with_a_manager_is_all_or_nothing(people):
    org = people
    customer = make_customer("C-EV-ATOMIC", org.a_sh, org.manager)
    transfer = assignment.propose_transfer(customer, org.a_ldn, org.supervisor, "moved")
    Customer.objects.filter(pk=customer.pk).update(branch=org.a_bj)  # the proposal is stale by now
    with pytest.raises(ValidationError, match="moved to another branch"):
        assignment.approve_request(transfer.pk, org.supervisor_ldn, "", to_manager=org.manager_ldn)
    transfer.refresh_from_db()
    assert transfer.status == ChangeRequest.Status.PENDING and "to_manager_id" not in transfer.payload


def test_only_the_maker_withdraws_a_request(people):
    org = people
    request = assignment.claim(make_customer("C-EV-WD", org.a_sh), org.manager, "mine")
    with pytest.raises(NotVisible):
        assignment.withdraw(request.pk, org.manager2)
    assert assignment.withdraw(request.pk, org.manager).status == ChangeRequest.Status.CANCELLED


def test_the_attribution_rule_is_saved_by_the_service_in_the_actors_bank(people):
    org = people
    rule = assignment.save_attribution_rule(org.admin, {"branch_rule": "largest_aum", "manager_rule": "supervisor"})
    assert (rule.bank_id, rule.branch_rule, rule.updated_by) == (org.bank_a.pk, "largest_aum", org.admin)
    assert assignment.attribution_rule_of(org.admin).pk == rule.pk
    assert AuditLog.objects.filter(object_type="customers.attributionrule", object_id=str(rule.pk), actor=org.admin).exists()
    with pytest.raises(ValidationError):
        assignment.save_attribution_rule(org.admin, {"branch_rule": "no such rule"})
    with pytest.raises(NotVisible):
        assignment.attribution_rule_of(make_staff("no.bank"))
