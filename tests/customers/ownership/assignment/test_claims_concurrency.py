"""Two supervisors deciding at the same moment, on two real database connections (one per
thread): row locks make exactly one assignment happen.

The interleaving is forced, not left to chance: the first approval runs inside a
transaction that stays open until the main thread has seen (pg_locks) the second
approval wait for its lock; then the first commits and the second must see the result."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from customers.master.models import Customer
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AssignmentChange
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from tests.factories import build_org, make_customer, make_staff
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(transactional_db):
    org = build_org()
    org.manager2 = make_staff("a.mgr.sh2", branch=org.a_sh, roles=["customer_manager"])
    org.supervisor2 = make_staff("a.sup.sh2", branch=org.a_sh, roles=["branch_supervisor"])
    return org


def waiting_for_a_lock(timeout=20):
    """Wait until some other session of this database waits on a lock."""

    def someone_waits():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] > 0

    try:
        return wait_for(someone_waits, "another session to wait on a lock", timeout=timeout, interval=0.05)
    except AssertionError:
        return False


class Decider(threading.Thread):
    """approvals.approve on the thread's own connection; with hold, the transaction stays
    open (locks held) until release is set."""

    def __init__(self, request_id, checker, hold=None, release=None):
        super().__init__(daemon=True)
        self.request_id, self.checker, self.hold, self.release = request_id, checker, hold, release
        self.error = None
        self.done = threading.Event()

    def run(self):
        try:
            with transaction.atomic():
                approvals.approve(self.request_id, self.checker)
                if self.hold is not None:
                    self.hold.set()
                    assert self.release.wait(30)
        except Exception as exc:  # what the second checker sees is the test's subject
            self.error = exc
            if self.hold is not None:
                self.hold.set()
        finally:
            self.done.set()
            connections.close_all()


def decide_together(first_request, first_checker, second_request, second_checker):
    hold, release = threading.Event(), threading.Event()
    first = Decider(first_request, first_checker, hold, release)
    first.start()
    assert hold.wait(30) and first.error is None
    second = Decider(second_request, second_checker)
    second.start()
    assert waiting_for_a_lock(), "the second approval did not wait for the first one's row lock"
    assert not second.done.is_set()
    release.set()
    first.join(30)
    second.join(30)
    return first, second


def test_two_supervisors_approving_the_same_claim_at_once(world):
    org = world
    customer = make_customer("C-RACE-1", org.a_sh)
    claim = assignment.claim(customer, org.manager, "mine")
    first, second = decide_together(claim.pk, org.supervisor, claim.pk, org.supervisor2)
    assert first.error is None
    assert isinstance(second.error, ValidationError) and "already decided" in str(second.error)
    customer.refresh_from_db()
    assert customer.primary_manager == org.manager
    assert AssignmentChange.objects.filter(customer=customer).count() == 1
    claim.refresh_from_db()
    assert claim.status == ChangeRequest.Status.APPROVED and claim.checker == org.supervisor


def test_two_supervisors_approving_competing_claims_at_once(world):
    org = world
    customer = make_customer("C-RACE-2", org.a_sh)
    mine = assignment.claim(customer, org.manager, "mine")
    theirs = assignment.claim(customer, org.manager2, "no, mine")
    first, second = decide_together(mine.pk, org.supervisor, theirs.pk, org.supervisor2)
    assert first.error is None
    # The winner closed the competing claim inside its transaction: the second checker waited on that row.
    assert isinstance(second.error, ValidationError) and "already decided (Cancelled)" in str(second.error)
    customer.refresh_from_db()
    assert customer.primary_manager == org.manager
    assert list(AssignmentChange.objects.filter(customer=customer).values_list("to_manager", flat=True)) == [org.manager.pk]
    theirs.refresh_from_db()
    assert theirs.status == ChangeRequest.Status.CANCELLED and f"#{mine.pk}" in theirs.decision_reason


def test_a_claim_approved_while_a_supervisor_assigns_the_customer(world):
    """The second approval holds its claim's lock and waits on the CUSTOMER row: after the
    first commits it finds the customer assigned, fails, and its claim is closed afterwards."""
    org = world
    customer = make_customer("C-RACE-3", org.a_sh)
    theirs = assignment.claim(customer, org.manager2, "mine")
    assign = assignment.reassign([customer], org.manager, org.supervisor2, "the supervisor decides")
    first, second = decide_together(assign.pk, org.supervisor, theirs.pk, org.supervisor2)
    assert first.error is None
    assert isinstance(second.error, ValidationError) and "assigned to" in str(second.error)
    customer.refresh_from_db()
    assert customer.primary_manager == org.manager
    assert AssignmentChange.objects.filter(customer=customer).count() == 1
    # The losing claim, locked by its checker while the winner committed, is closed after the commit.
    theirs = wait_for(
        lambda: ChangeRequest.objects.exclude(status=ChangeRequest.Status.PENDING).filter(pk=theirs.pk).first(),
        "the losing claim to be closed",
        timeout=10,
        interval=0.1,
    )
    assert theirs.status == ChangeRequest.Status.CANCELLED and "assigned to" in theirs.decision_reason


def test_free_running_races_always_give_exactly_one_manager(world):
    """No forced order: both approvals start together, several times."""
    org = world
    for round_number in range(5):
        customer = make_customer(f"C-RACE-FREE-{round_number}", org.a_sh)
        claims = [assignment.claim(customer, org.manager, "mine"), assignment.claim(customer, org.manager2, "mine")]
        barrier = threading.Barrier(2)
        errors = []

        def decide(request_id, checker, barrier=barrier, errors=errors):
            try:
                barrier.wait(10)
                approvals.approve(request_id, checker)
            except ValidationError as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=decide, args=(claims[0].pk, org.supervisor)),
            threading.Thread(target=decide, args=(claims[1].pk, org.supervisor2)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        customer.refresh_from_db()
        assert customer.primary_manager_id in (org.manager.pk, org.manager2.pk)
        assert AssignmentChange.objects.filter(customer=customer).count() == 1
        assert len(errors) == 1
        assert Customer.objects.filter(pk=customer.pk, primary_manager__isnull=True).count() == 0
