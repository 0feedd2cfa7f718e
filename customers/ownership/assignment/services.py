"""Who owns a customer: claims, reassignment, hand-over of a book, branch transfer, and the
nightly attribution rules.

Every customer has one owning branch (Customer.branch) and, once assigned, one primary
manager (Customer.primary_manager). Customers of a branch without a primary manager are
that branch's *pool*. Every change that needs a second person is an ocrm.ChangeRequest
with its own action (registered in register_handlers()); the checker is a holder of
customers.approve_assignment whose subtree contains the request's branch_path:

* claim     a manager claims a customer of their own branch's pool; decided by the
            supervisors of the customer's owning branch. The first approved claim wins,
            the other pending claims on that customer are closed with that reason.
* reassign  a supervisor moves one customer or a selection to one manager;
* handover  a supervisor moves a manager's whole book to one manager, or splits it evenly
            by AUM across several (computed again at approval, from the book as it is then);
            decided at the common ancestor of all branches involved.
* transfer  the sending side proposes moving a customer to another branch (any country);
            decided by the supervisors of the RECEIVING branch. Nothing is re-created:
            only Customer.branch changes, holdings and history stay attached.

Every apply handler locks the customer rows (SELECT ... FOR UPDATE) and re-checks that
they are still as the maker saw them, so two checkers deciding at the same moment
produce exactly one assignment. Moves of many customers are set-based (UPDATE ... FROM
unnest(...) and INSERT ... SELECT of the history, in one statement). Nothing here ever
sets primary_manager to NULL: targets must be active staff of the bank in the
customer-manager role and inside the checker's (and the maker's) scope.

Managers hear of every decision through an in-app notification sent after commit; every
applied decision is audited (customers.ownership.assignment.events).
"""

import dataclasses
import heapq
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.master.models import Customer
from customers.ownership.assignment import events
from customers.ownership.assignment.models import AssignmentChange, AttributionRule
from ocrm import links
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch import jobs as batch_jobs
from ocrm.errors import NotVisible
from ocrm.notifications.services import notify
from ocrm.scoping import scope_of
from sysadmin.org.models import Branch, Staff

ACTION_CLAIM = "customer.claim"


ACTION_REASSIGN = "customer.reassign"


ACTION_HANDOVER = "customer.handover"


ACTION_TRANSFER = "customer.transfer"


ACTIONS = (ACTION_CLAIM, ACTION_REASSIGN, ACTION_HANDOVER, ACTION_TRANSFER)


CHECKER_PERM = "customers.approve_assignment"


CLAIM_PERM = "customers.claim_customer"


REASSIGN_PERM = "customers.reassign_customer"


TRANSFER_PERM = "customers.transfer_customer"


MANAGER_ROLE = "customer_manager"


HANDOVER_ONE = "one"


HANDOVER_SPLIT = "split_by_aum"


CUSTOMER_TYPE = "customers.customer"


def register_handlers():
    """Called from CustomersConfig.ready()."""
    approvals.register(
        ACTION_CLAIM, apply=apply_claim, checker_perm=CHECKER_PERM, label=gettext_lazy("Customer claim"), on_reject=_on_reject
    )
    approvals.register(
        ACTION_REASSIGN,
        apply=apply_reassign,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Customer reassignment"),
        on_reject=_on_reject,
    )
    approvals.register(
        ACTION_HANDOVER,
        apply=apply_handover,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Hand-over of a manager's book"),
        on_reject=_on_reject,
    )
    approvals.register(
        ACTION_TRANSFER,
        apply=apply_transfer,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Branch transfer"),
        on_reject=_on_reject,
    )
    audit.register(AttributionRule)


def _require(text, field="reason"):
    if not (text or "").strip():
        raise ValidationError({field: _("Say why (a reason is required).")})
    return text.strip()


def is_assignable_manager(staff, bank_id):
    return (
        staff is not None
        and staff.is_active
        and staff.status == Staff.Status.ACTIVE
        and staff.bank_id == bank_id
        and staff.groups.filter(name=MANAGER_ROLE).exists()
    )


def check_manager(staff, bank_id, actor, field="to_manager"):
    """A customer may only go to an active customer manager of its bank whom `actor` (the
    maker, and again the checker) has in scope. ValidationError names the person."""
    if not is_assignable_manager(staff, bank_id):
        raise ValidationError(
            {field: _("%(name)s is not an active customer manager of this bank.") % {"name": getattr(staff, "display_name", "?")}}
        )
    if not Staff.objects.visible_to(actor).filter(pk=staff.pk).exists():
        raise ValidationError({field: _("%(name)s works outside your branches.") % {"name": staff.display_name}})


def assignable_managers(actor, bank_id=None):
    """The managers `actor` may give customers to (for the pages' choices)."""
    bank_id = bank_id or actor.bank_id
    return (
        Staff.objects.visible_to(actor)
        .filter(bank_id=bank_id, is_active=True, status=Staff.Status.ACTIVE, groups__name=MANAGER_ROLE)
        .select_related("branch")
        .order_by("branch__path", "username")
        .distinct()
    )


def common_path(paths):
    """The path of the deepest branch above (or equal to) all the given branch paths."""
    parts = [p.strip("/").split("/") for p in paths if p]
    if not parts:
        return ""
    prefix = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        prefix.append(segments[0])
    return "/" + "/".join(prefix) + "/" if prefix else "/"


def _notify_after_commit(recipients, title, body="", link=""):
    """notify() once the transaction commits; title and body may be callables(recipient),
    rendered in each recipient's own language."""
    recipients = [r for r in recipients if r is not None]
    if recipients:
        transaction.on_commit(lambda: notify(recipients, title, body, link=link))


def _on_reject(change_request, checker):
    """Tell the maker (and, for a claim, nobody else) once the rejection is committed; the
    reason is read then, because the kernel saves it after calling this."""
    request_id = change_request.pk

    def send():
        request = ChangeRequest.objects.select_related("maker").get(pk=request_id)
        notify(
            [request.maker],
            lambda _r: _("Rejected: %(what)s") % {"what": describe(request)},
            lambda _r: _("Reason: %(reason)s") % {"reason": request.decision_reason},
            link=links.url("my_assignment_requests"),
            event="approval_decision",
        )

    transaction.on_commit(send)


def describe(change_request):
    label = approvals.registered_actions().get(change_request.action)
    return f"{label.label if label else change_request.action} #{change_request.pk} {change_request.object_repr}"


def _lock_customer(customer_id):
    """The customer row, locked. No select_related: after waiting for the lock PostgreSQL
    re-reads the locked row only, so joined rows (branch, manager) could be stale."""
    return Customer.objects.select_for_update().filter(pk=customer_id).first()


def pool_for(user):
    """Unassigned active customers a user may look at in the pool: a manager sees the
    pool of their own branch (their data scope alone shows only their own customers);
    supervisors and head office see the unassigned customers of their scope."""
    unassigned = Customer.objects.active().filter(primary_manager__isnull=True)
    if scope_of(user) == "own":
        if not user.branch_id:
            return Customer.objects.none()
        return unassigned.filter(bank_id=user.bank_id, branch_id=user.branch_id)
    return unassigned.visible_to(user)


def claimable_for(user):
    """Customers the user may open the claim page of: their pool plus what they see."""
    return Customer.objects.active().filter(pk__in=pool_for(user).values("pk")) | Customer.objects.visible_to(user).active()


def claim(customer, manager, reason):
    """Record a pending claim of `customer` by `manager` (the maker)."""
    if not manager.has_perm(CLAIM_PERM):
        raise PermissionDenied(_("You may not claim customers."))
    reason = _require(reason)
    with transaction.atomic():
        customer = _lock_customer(customer.pk)
        if customer is None or not pool_for(manager).filter(pk=customer.pk).exists():
            if customer is not None and claimable_for(manager).filter(pk=customer.pk).exists():
                raise ValidationError(_("%(customer)s already has a primary manager.") % {"customer": customer})
            raise NotVisible  # outside what the manager may see: say nothing about it
        if not is_assignable_manager(manager, customer.bank_id):
            raise ValidationError(_("Only an active customer manager of this bank can claim customers."))
        if approvals.pending_for(customer).filter(action=ACTION_CLAIM, maker=manager).exists():
            raise ValidationError(_("You already claimed this customer; wait for the decision."))
        return approvals.submit(
            action=ACTION_CLAIM,
            obj=customer,
            maker=manager,
            bank_id=customer.bank_id,
            branch_path=customer.branch.path,
            reason=reason,
            changes={"primary_manager": [None, manager.display_name]},
            payload={"manager_id": manager.pk, "branch_id": customer.branch_id},
        )


def apply_claim(change_request, checker):
    customer = _lock_customer(change_request.object_id)
    if customer is None or customer.merged_into_id:
        raise ValidationError(_("The customer of this claim no longer exists (or was merged); reject the claim."))
    if not Customer.objects.visible_to(checker).filter(pk=customer.pk).exists():
        raise NotVisible
    if customer.primary_manager_id is not None:
        raise ValidationError(
            _("%(customer)s was assigned to %(manager)s in the meantime; reject this claim.")
            % {"customer": customer, "manager": customer.primary_manager.display_name}
        )
    if customer.branch_id != change_request.payload.get("branch_id"):
        raise ValidationError(_("%(customer)s moved to another branch since the claim; reject it.") % {"customer": customer})
    manager = Staff.objects.filter(pk=change_request.payload.get("manager_id")).first()
    check_manager(manager, customer.bank_id, checker)
    before = audit.row_values(customer)
    with audit.acting_as(checker), audit.written_by_event(Customer):
        customer.primary_manager = manager
        customer.save(update_fields=["primary_manager", "updated_at"])
    events.customer_claimed(customer, checker, audit.diff(before, audit.row_values(customer)), change_request)
    AssignmentChange.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        kind=AssignmentChange.Kind.CLAIM,
        to_manager=manager,
        from_branch_id=customer.branch_id,
        to_branch_id=customer.branch_id,
        change_request_id=change_request.pk,
        actor=checker,
        reason=change_request.reason,
    )
    _notify_after_commit(
        [manager],
        lambda _r: _("Claim approved: %(customer)s is now yours") % {"customer": customer},
        link=links.url("customer", customer.number),
    )
    _close_competing_claims(customer, change_request, checker, manager)


def _close_competing_claims(customer, winner, checker, manager):
    """The first approved claim wins: close the other pending claims on the customer.
    Claims another checker is deciding at this very moment are locked (skipped here);
    their own apply fails its re-check, and they are closed once this transaction commits."""
    reason = _("%(customer)s was assigned to %(manager)s by claim #%(id)s.") % {
        "customer": customer,
        "manager": manager.display_name,
        "id": winner.pk,
    }
    competing = (
        ChangeRequest.objects.select_for_update(skip_locked=True)
        .pending()
        .filter(action=ACTION_CLAIM, object_type=CUSTOMER_TYPE, object_id=str(customer.pk))
        .exclude(pk=winner.pk)
        .select_related("maker")
    )
    for other in competing:
        approvals.cancel(other.pk, checker, reason)
        _notify_after_commit([other.maker], lambda _r: _("Claim closed: %(customer)s") % {"customer": customer}, reason)
    customer_id, winner_id, checker_id = customer.pk, winner.pk, checker.pk
    transaction.on_commit(lambda: close_stale_claims(customer_ids=[customer_id], actor_id=checker_id, exclude_ids=[winner_id]))


def close_stale_claims(customer_ids=None, bank_id=None, actor_id=None, exclude_ids=()):
    """Close pending claims on customers that have a primary manager by now (after a
    concurrent approval, or an assignment made another way). Returns how many."""
    stale = (
        ChangeRequest.objects.pending().filter(action=ACTION_CLAIM, object_type=CUSTOMER_TYPE).exclude(pk__in=list(exclude_ids))
    )
    if customer_ids is not None:
        stale = stale.filter(object_id__in=[str(pk) for pk in customer_ids])
    if bank_id is not None:
        stale = stale.filter(bank_id=bank_id)
    assigned = dict(
        Customer.objects.filter(
            pk__in=[int(pk) for pk in stale.values_list("object_id", flat=True)], primary_manager__isnull=False
        ).values_list("pk", "primary_manager__username")
    )
    actor = Staff.objects.filter(pk=actor_id).first() if actor_id else None
    closed = 0
    for request in stale.filter(object_id__in=[str(pk) for pk in assigned]).select_related("maker"):
        with transaction.atomic():
            reason = _("The customer was assigned to %(manager)s meanwhile.") % {"manager": assigned[int(request.object_id)]}
            if approvals.cancel(request.pk, actor, reason).status == ChangeRequest.Status.CANCELLED:
                closed += 1
                _notify_after_commit(
                    [request.maker], lambda _r, what=request.object_repr: _("Claim closed: %(what)s") % {"what": what}, reason
                )
    return closed


def _move_managers(plan, kind, change_request, actor, reason):
    """plan: [(customer_id, from_manager_id, to_manager_id)] of rows the caller has locked.
    One statement writes the history (from the pre-update snapshot) and updates the
    customers; the departing managers' shares follow their customers."""
    if not plan:
        return 0
    ids, olds, news = (list(column) for column in zip(*plan, strict=True))
    now = timezone.now()
    customer_table, history_table = Customer._meta.db_table, AssignmentChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH plan AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS p(customer_id, manager_id)),
            history AS (
                INSERT INTO {history_table} (bank_id, customer_id, kind, from_manager_id, to_manager_id,
                                             from_branch_id, to_branch_id, change_request_id, actor_id, at, reason)
                SELECT c.bank_id, c.id, CASE WHEN c.primary_manager_id IS NULL THEN %s ELSE %s END,
                       c.primary_manager_id, plan.manager_id, c.branch_id, c.branch_id, %s, %s,
                       %s, %s
                FROM {customer_table} c JOIN plan ON plan.customer_id = c.id
            )
            UPDATE {customer_table} c SET primary_manager_id = plan.manager_id, updated_at = %s
            FROM plan WHERE c.id = plan.customer_id""",
            [
                ids,
                news,
                AssignmentChange.Kind.ASSIGNMENT,
                kind,
                change_request.pk if change_request else None,
                actor.pk if actor else None,
                now,
                reason or "",
                now,
            ],
        )
        moved = cursor.rowcount
    _shares_follow(ids, olds, news)
    for follow in _followers:
        follow(plan, actor, reason)
    return moved


# What follows a customer to the new manager, registered by higher apps (the workbench's open
# tasks): callables (plan, actor, reason) run inside the transaction that moves the customers.
_followers = []


def on_customers_moved(follow):
    """Register follow(plan, actor, reason); plan = [(customer_id, from_manager_id, to_manager_id)]."""
    if follow not in _followers:
        _followers.append(follow)


def _shares_follow(ids, olds, news):
    """Shares the departing manager made of a moved customer now belong to its new manager
    (CustomerShare, customers/ownership/sharing/models.py, when that model is present)."""
    if not apps.is_installed("customers"):
        return
    try:
        share_model = apps.get_model("customers", "CustomerShare")
    except LookupError:
        return
    if not hasattr(share_model, "shared_by"):
        return
    pairs = [(c, o, n) for c, o, n in zip(ids, olds, news, strict=True) if o is not None]
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {share_model._meta.db_table} s SET shared_by_id = p.to_id
            FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS p(customer_id, from_id, to_id)
            WHERE s.customer_id = p.customer_id AND s.shared_by_id = p.from_id""",
            [[p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]],
        )


def _lock_rows(where_sql, params):
    """[(id, primary_manager_id, branch_id, aum)] of active customers, locked in id order
    (the same order everywhere: two bulk moves never deadlock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT id, primary_manager_id, branch_id, aum FROM {Customer._meta.db_table}
                           WHERE merged_into_id IS NULL AND {where_sql} ORDER BY id FOR UPDATE""",
            params,
        )
        return cursor.fetchall()


def _notify_moves(plan, change_request, link_customer=None):
    """Tell each receiving manager how many customers they received, each departing one how
    many left them, and the maker that the request was applied."""
    received, left = {}, {}
    for _customer, old, new in plan:
        received[new] = received.get(new, 0) + 1
        if old is not None:
            left[old] = left.get(old, 0) + 1
    people = Staff.objects.in_bulk(set(received) | set(left))
    link = links.url("customer", link_customer.number) if link_customer else links.url("customer_list")

    def what(_recipient):
        return describe(change_request)

    for pk, count in received.items():
        _notify_after_commit([people[pk]], lambda _r, n=count: _("%(n)d customer(s) assigned to you") % {"n": n}, what, link=link)
    for pk, count in left.items():
        _notify_after_commit(
            [people[pk]], lambda _r, n=count: _("%(n)d of your customers moved to another manager") % {"n": n}, what
        )
    _notify_after_commit([change_request.maker], lambda _r: _("Approved: %(what)s") % {"what": describe(change_request)})


def reassign(customers, to_manager, actor, reason):
    """Propose moving one customer or a selection to `to_manager` (one approved action).
    customers: Customer instances or ids, all in the actor's scope."""
    if not actor.has_perm(REASSIGN_PERM):
        raise PermissionDenied(_("You may not reassign customers."))
    reason = _require(reason)
    wanted = {getattr(c, "pk", c) for c in customers}
    if not wanted:
        raise ValidationError({"customers": _("Choose at least one customer.")})
    rows = list(
        Customer.objects.visible_to(actor)
        .active()
        .filter(pk__in=wanted)
        .values_list("pk", "number", "primary_manager_id", "branch__path", "bank_id")
    )
    if len(rows) != len(wanted):
        raise ValidationError(
            {"customers": _("%(n)d of the chosen customers are not in your scope.") % {"n": len(wanted) - len(rows)}}
        )
    bank_ids = {row[4] for row in rows}
    if len(bank_ids) != 1:
        raise ValidationError({"customers": _("Choose customers of one bank.")})
    check_manager(to_manager, bank_ids.pop(), actor)
    already = [row[1] for row in rows if row[2] == to_manager.pk]
    if already:
        raise ValidationError(
            {
                "customers": _("Already managed by %(name)s: %(numbers)s")
                % {"name": to_manager.display_name, "numbers": ", ".join(sorted(already)[:20])}
            }
        )
    branch_path = common_path([row[3] for row in rows] + [to_manager.branch.path if to_manager.branch_id else ""])
    first = Customer.objects.get(pk=rows[0][0]) if len(rows) == 1 else to_manager
    with transaction.atomic():
        return approvals.submit(
            action=ACTION_REASSIGN,
            obj=first,
            maker=actor,
            bank_id=rows[0][4],
            branch_path=branch_path,
            reason=reason,
            changes={"primary_manager": [_("%(n)d customer(s)") % {"n": len(rows)}, to_manager.display_name]},
            payload={"to_manager_id": to_manager.pk, "expected": {str(pk): manager_id for pk, _n, manager_id, _p, _b in rows}},
        )


def apply_reassign(change_request, checker):
    expected = {int(pk): manager_id for pk, manager_id in change_request.payload["expected"].items()}
    rows = _lock_rows("id = ANY(%s)", [list(expected)])
    visible = set(Customer.objects.visible_to(checker).filter(pk__in=list(expected)).values_list("pk", flat=True))
    if len(rows) != len(expected) or visible != set(expected):
        raise ValidationError(_("Some customers of this request no longer exist or are outside your branches; reject it."))
    changed = [pk for pk, manager_id, _b, _a in rows if manager_id != expected[pk]]
    if changed:
        numbers = Customer.objects.filter(pk__in=changed[:20]).values_list("number", flat=True)
        raise ValidationError(
            _("These customers changed manager since the request: %(numbers)s. Reject it and ask for a new one.")
            % {"numbers": ", ".join(numbers)}
        )
    to_manager = Staff.objects.filter(pk=change_request.payload["to_manager_id"]).first()
    check_manager(to_manager, change_request.bank_id, checker)
    plan = [(pk, manager_id, to_manager.pk) for pk, manager_id, _b, _a in rows]
    # Customers taken from the pool are recorded as assignments, the others as reassignments.
    moved = _move_managers(plan, AssignmentChange.Kind.REASSIGNMENT, change_request, checker, change_request.reason)
    events.customers_reassigned(to_manager, checker, moved, change_request)
    single = Customer.objects.get(pk=plan[0][0]) if len(plan) == 1 else None
    _notify_moves(plan, change_request, single)
    from_pool = [c for c, old, _n in plan if old is None]
    if from_pool:
        transaction.on_commit(lambda: close_stale_claims(customer_ids=from_pool, actor_id=checker.pk))


@dataclasses.dataclass
class HandoverPlan:
    assignments: dict  # to_manager_id -> [customer ids]
    totals: dict  # to_manager_id -> (count, aum)
    count: int
    aum: Decimal


def split_by_aum(book, manager_ids):
    """book: [(customer_id, aum)]. Largest AUM first, each to the manager holding the least
    AUM so far (ties: fewer customers, then the order given). Customers without AUM then
    go to whoever has the fewest customers, so the counts stay even too."""
    loads = {m: [Decimal(0), 0] for m in manager_ids}
    heap = [(Decimal(0), 0, i, m) for i, m in enumerate(manager_ids)]
    assignments = {m: [] for m in manager_ids}
    with_aum = sorted((row for row in book if row[1] > 0), key=lambda r: (-r[1], r[0]))
    without = sorted(row[0] for row in book if row[1] <= 0)
    for customer_id, aum in with_aum:
        _load, count, index, manager = heapq.heappop(heap)
        assignments[manager].append(customer_id)
        loads[manager][0] += aum
        loads[manager][1] = count + 1
        heapq.heappush(heap, (loads[manager][0], count + 1, index, manager))
    by_count = [(loads[m][1], i, m) for i, m in enumerate(manager_ids)]
    heapq.heapify(by_count)
    for customer_id in without:
        count, index, manager = heapq.heappop(by_count)
        assignments[manager].append(customer_id)
        loads[manager][1] = count + 1
        heapq.heappush(by_count, (count + 1, index, manager))
    return assignments


def plan_handover(book, to_manager_ids, mode):
    if mode == HANDOVER_ONE:
        assignments = {to_manager_ids[0]: [row[0] for row in book]}
    else:
        assignments = split_by_aum(book, to_manager_ids)
    aum_of = {row[0]: Decimal(row[1]) for row in book}
    totals = {m: (len(ids), sum((aum_of[c] for c in ids), Decimal(0))) for m, ids in assignments.items()}
    return HandoverPlan(assignments, totals, len(book), sum(aum_of.values(), Decimal(0)))


def _check_handover_targets(from_manager, to_managers, mode, actor):
    if mode not in (HANDOVER_ONE, HANDOVER_SPLIT):
        raise ValidationError({"mode": _("Choose how to hand the book over.")})
    ids = [m.pk for m in to_managers]
    if not ids:
        raise ValidationError({"to_managers": _("Choose who takes the customers over.")})
    if len(set(ids)) != len(ids) or from_manager.pk in ids:
        raise ValidationError({"to_managers": _("Choose each new manager once, and not the departing manager.")})
    if mode == HANDOVER_ONE and len(ids) != 1:
        raise ValidationError({"to_managers": _("Hand the whole book to one manager: choose exactly one.")})
    for manager in to_managers:
        check_manager(manager, from_manager.bank_id, actor, field="to_managers")


def preview_handover(from_manager, to_managers, mode, actor):
    """The plan as it would be applied now (the pages' preview); checks everything submit checks."""
    if not Staff.objects.visible_to(actor).filter(pk=from_manager.pk).exists():
        raise NotVisible
    _check_handover_targets(from_manager, to_managers, mode, actor)
    book_qs = Customer.objects.active().filter(primary_manager=from_manager)
    book = list(book_qs.values_list("pk", "aum"))
    if not book:
        raise ValidationError(
            {"from_manager": _("%(name)s has no customers to hand over.") % {"name": from_manager.display_name}}
        )
    outside = book_qs.exclude(pk__in=Customer.objects.visible_to(actor).values("pk")).count()
    if outside:
        raise ValidationError(
            {
                "from_manager": _(
                    "%(n)d customers of %(name)s are outside your branches: a supervisor above them must hand this book over."
                )
                % {"n": outside, "name": from_manager.display_name}
            }
        )
    return plan_handover(book, [m.pk for m in to_managers], mode)


def hand_over(from_manager, to_managers, mode, actor, reason):
    """Propose handing `from_manager`'s whole book to one manager, or splitting it evenly by
    AUM across several. Returns the pending ChangeRequest."""
    if not actor.has_perm(REASSIGN_PERM):
        raise PermissionDenied(_("You may not hand over customers."))
    reason = _require(reason)
    with transaction.atomic():
        plan = preview_handover(from_manager, to_managers, mode, actor)
        if (
            ChangeRequest.objects.pending()
            .filter(action=ACTION_HANDOVER, object_type="sysadmin.staff", object_id=str(from_manager.pk))
            .exists()
        ):
            raise ValidationError({"from_manager": _("A hand-over of this book already awaits a decision.")})
        paths = set(
            Customer.objects.active().filter(primary_manager=from_manager).values_list("branch__path", flat=True).distinct()
        )
        paths |= {m.branch.path for m in [from_manager, *to_managers] if m.branch_id}
        return approvals.submit(
            action=ACTION_HANDOVER,
            obj=from_manager,
            maker=actor,
            bank_id=from_manager.bank_id,
            branch_path=common_path(paths),
            reason=reason,
            changes={"primary_manager": [from_manager.display_name, ", ".join(m.display_name for m in to_managers)]},
            payload={
                "from_manager_id": from_manager.pk,
                "to_manager_ids": [m.pk for m in to_managers],
                "mode": mode,
                "preview": {str(m): [c, str(a)] for m, (c, a) in plan.totals.items()},
                "count": plan.count,
            },
        )


def apply_handover(change_request, checker):
    payload = change_request.payload
    from_manager = Staff.objects.get(pk=payload["from_manager_id"])
    to_managers = list(Staff.objects.filter(pk__in=payload["to_manager_ids"]))
    to_managers.sort(key=lambda m: payload["to_manager_ids"].index(m.pk))
    _check_handover_targets(from_manager, to_managers, payload["mode"], checker)
    rows = _lock_rows("primary_manager_id = %s", [from_manager.pk])
    if not rows:
        raise ValidationError(
            _("%(name)s has no customers left to hand over; reject the request.") % {"name": from_manager.display_name}
        )
    ids = [row[0] for row in rows]
    if Customer.objects.visible_to(checker).filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("Some customers of this book are outside your branches; a supervisor above them must decide."))
    plan = plan_handover([(row[0], row[3]) for row in rows], [m.pk for m in to_managers], payload["mode"])
    moves = [(c, from_manager.pk, m) for m, customer_ids in plan.assignments.items() for c in customer_ids]
    moved = _move_managers(moves, AssignmentChange.Kind.HANDOVER, change_request, checker, change_request.reason)
    events.book_handed_over(from_manager, checker, moved, plan.totals, change_request)
    _notify_moves(moves, change_request)
    return plan


def pending_transfer(customer):
    return approvals.pending_for(customer).filter(action=ACTION_TRANSFER).first()


def propose_transfer(customer, to_branch, actor, reason):
    """The sending side proposes moving `customer` to `to_branch` (any country); the
    receiving branch's supervisors accept or reject it."""
    if not actor.has_perm(TRANSFER_PERM):
        raise PermissionDenied(_("You may not transfer customers."))
    reason = _require(reason)
    with transaction.atomic():
        if not Customer.objects.visible_to(actor).active().filter(pk=customer.pk).exists():
            raise NotVisible
        customer = _lock_customer(customer.pk)
        if to_branch is None or to_branch.bank_id != customer.bank_id or not to_branch.is_active:
            raise ValidationError({"to_branch": _("Choose an active branch of the customer's bank.")})
        if to_branch.pk == customer.branch_id:
            raise ValidationError({"to_branch": _("The customer already belongs to this branch.")})
        if pending_transfer(customer) is not None:
            raise ValidationError({"to_branch": _("A transfer of this customer is already in progress.")})
        return approvals.submit(
            action=ACTION_TRANSFER,
            obj=customer,
            maker=actor,
            bank_id=customer.bank_id,
            branch_path=to_branch.path,
            reason=reason,
            changes={"branch": [str(customer.branch), str(to_branch)]},
            payload={"from_branch_id": customer.branch_id, "to_branch_id": to_branch.pk},
        )


def choose_transfer_manager(request_id, checker, manager):
    """The receiving supervisor names the customer's new manager before accepting (else the
    customer keeps its manager). Call inside the approving transaction."""
    request = (
        ChangeRequest.objects.visible_to(checker)
        .pending()
        .select_for_update()
        .filter(pk=request_id, action=ACTION_TRANSFER)
        .first()
    )
    if request is None:
        raise NotVisible
    check_manager(manager, request.bank_id, checker)
    request.payload = {**request.payload, "to_manager_id": manager.pk}
    request.changes = {**request.changes, "primary_manager": [None, manager.display_name]}
    request.save(update_fields=["payload", "changes"])


@transaction.atomic
def approve_request(request_id, checker, reason="", to_manager=None):
    """The checker approves an assignment request; for a branch transfer they may name the
    customer's new manager first. One transaction: both happen, or neither."""
    if to_manager is not None:
        choose_transfer_manager(request_id, checker, to_manager)
    return approvals.approve(request_id, checker, reason)


def withdraw(request_id, maker):
    """The maker withdraws their own pending assignment request (NotVisible for anyone else's)."""
    if not ChangeRequest.objects.filter(pk=request_id, maker=maker, action__in=ACTIONS).exists():
        raise NotVisible
    return approvals.cancel(request_id, maker, _("Withdrawn by the requester."))


def attribution_rule_of(actor, *, lock=False):
    """The attribution rules of the actor's bank (unsaved defaults when it has none yet).
    NotVisible for an actor of no bank."""
    if not actor.bank_id:
        raise NotVisible
    rules = AttributionRule.objects.filter(bank_id=actor.bank_id)
    return (rules.select_for_update() if lock else rules).first() or AttributionRule(bank_id=actor.bank_id)


@transaction.atomic
def save_attribution_rule(actor, values):
    """Set the actor's bank's attribution rules (values: field -> value of AttributionRule),
    audited by the safety net."""
    rule = attribution_rule_of(actor, lock=True)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.updated_by = actor
    rule.full_clean()
    with audit.acting_as(actor):
        rule.save()
    return rule


def apply_transfer(change_request, checker):
    customer = _lock_customer(change_request.object_id)
    if customer is None or customer.merged_into_id:
        raise ValidationError(_("The customer of this transfer no longer exists (or was merged); reject it."))
    payload = change_request.payload
    if customer.branch_id != payload["from_branch_id"]:
        raise ValidationError(_("%(customer)s moved to another branch since the proposal; reject it.") % {"customer": customer})
    to_branch = Branch.objects.filter(pk=payload["to_branch_id"], bank_id=customer.bank_id, is_active=True).first()
    if to_branch is None or not to_branch.path.startswith(checker.branch.path if scope_of(checker) == "subtree" else ""):
        raise ValidationError(_("The receiving branch is no longer active (or not yours); reject the transfer."))
    old_manager, new_manager = customer.primary_manager, customer.primary_manager
    if payload.get("to_manager_id"):
        new_manager = Staff.objects.filter(pk=payload["to_manager_id"]).first()
        check_manager(new_manager, customer.bank_id, checker)
    from_branch_id = customer.branch_id
    before = audit.row_values(customer)
    with audit.acting_as(checker), audit.written_by_event(Customer):
        customer.branch, customer.primary_manager = to_branch, new_manager
        customer.save(update_fields=["branch", "primary_manager", "updated_at"])
    events.customer_transferred(customer, checker, audit.diff(before, audit.row_values(customer)), change_request)
    AssignmentChange.objects.create(
        bank_id=customer.bank_id,
        customer=customer,
        kind=AssignmentChange.Kind.TRANSFER,
        from_manager=old_manager,
        to_manager=new_manager,
        from_branch_id=from_branch_id,
        to_branch=to_branch,
        change_request_id=change_request.pk,
        actor=checker,
        reason=change_request.reason,
    )
    if old_manager is not None and new_manager is not None and old_manager.pk != new_manager.pk:
        _shares_follow([customer.pk], [old_manager.pk], [new_manager.pk])
        for follow in _followers:
            follow([(customer.pk, old_manager.pk, new_manager.pk)], checker, change_request.reason)

    def title(_recipient):
        return _("Transfer accepted: %(customer)s now belongs to %(branch)s") % {"customer": customer, "branch": to_branch}

    _notify_after_commit(
        {p.pk: p for p in (change_request.maker, old_manager, new_manager) if p}.values(),
        title,
        link=links.url("customer", customer.number),
    )


def pending_by_customer(customer_ids):
    """{customer_id: {"transfer": request or None, "claims": [requests]}} in one query."""
    result = {}
    requests = (
        ChangeRequest.objects.pending()
        .filter(
            action__in=(ACTION_CLAIM, ACTION_TRANSFER), object_type=CUSTOMER_TYPE, object_id__in=[str(pk) for pk in customer_ids]
        )
        .select_related("maker")
        .order_by("created_at", "id")
    )
    for request in requests:
        entry = result.setdefault(int(request.object_id), {"transfer": None, "claims": []})
        if request.action == ACTION_TRANSFER:
            entry["transfer"] = request
        else:
            entry["claims"].append(request)
    return result


def pending_actions_by_customer(customer_ids):
    """{customer_id: {action, ...}} of the pending claims and branch transfers, in one query of two
    columns: the list marks its rows with them and needs no request itself. Plain SQL: the ORM built
    this query in about 2 ms a list page, the database answers it in 0.1 ms."""
    result = {}
    if not customer_ids:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT object_id, action FROM {ChangeRequest._meta.db_table}
                WHERE object_type = %s AND status = %s AND action = ANY(%s) AND object_id = ANY(%s)""",
            [CUSTOMER_TYPE, ChangeRequest.Status.PENDING, [ACTION_CLAIM, ACTION_TRANSFER], [str(pk) for pk in customer_ids]],
        )
        for object_id, action in cursor.fetchall():
            result.setdefault(int(object_id), set()).add(action)
    return result


def _sql_names():
    through = Staff.groups.through
    return {
        "customer": Customer._meta.db_table,
        "history": AssignmentChange._meta.db_table,
        "credit": apps.get_model("customers", "MarketingCredit")._meta.db_table,
        "staff": Staff._meta.db_table,
        "staff_groups": through._meta.db_table,
        "staff_col": through._meta.get_field("staff").column,
        "group_col": through._meta.get_field("group").column,
        "holding": apps.get_model("customers", "Holding")._meta.db_table,
        "product": apps.get_model("customers", "Product")._meta.db_table,
        "fxrate": apps.get_model("customers", "FxRate")._meta.db_table,
        "branch": Branch._meta.db_table,
        "request": ChangeRequest._meta.db_table,
    }


# Which owning branch each branch rule picks, per customer of the scope table (one row each).
BRANCH_RULE_SQL = {
    AttributionRule.BranchRule.OPENING_BRANCH: """
        SELECT DISTINCT ON (h.customer_id) h.customer_id, h.branch_id
        FROM {holding} h JOIN attribution_scope s ON s.customer_id = h.customer_id
        JOIN {branch} b ON b.id = h.branch_id AND b.is_active AND b.bank_id = %(bank)s
        ORDER BY h.customer_id, h.open_date ASC NULLS LAST, h.id""",
    AttributionRule.BranchRule.LARGEST_AUM: """
        WITH rates AS (SELECT DISTINCT ON (currency) currency, rate FROM {fxrate}
                       WHERE bank_id = %(bank)s AND as_of <= %(date)s ORDER BY currency, as_of DESC, effective_at DESC),
        per_branch AS (
            SELECT h.customer_id, h.branch_id,
                   SUM(h.balance * COALESCE(r.rate, CASE WHEN h.currency = %(base)s THEN 1 END)) AS aum
            FROM {holding} h JOIN attribution_scope s ON s.customer_id = h.customer_id
            JOIN {product} p ON p.id = h.product_id AND p.category = 'asset'
            JOIN {branch} b ON b.id = h.branch_id AND b.is_active AND b.bank_id = %(bank)s
            LEFT JOIN rates r ON r.currency = h.currency
            WHERE h.status <> 'closed'
            GROUP BY h.customer_id, h.branch_id)
        SELECT DISTINCT ON (customer_id) customer_id, branch_id FROM per_branch WHERE aum > 0
        ORDER BY customer_id, aum DESC, branch_id""",
    AttributionRule.BranchRule.MANAGER_BRANCH: """
        SELECT c.id AS customer_id, st.branch_id
        FROM {customer} c JOIN attribution_scope s ON s.customer_id = c.id
        JOIN {staff} st ON st.id = c.primary_manager_id
        JOIN {branch} b ON b.id = st.branch_id AND b.is_active AND b.bank_id = %(bank)s""",
}


def apply_attribution(bank, business_date=None, run=None):
    """Apply the bank's attribution rules to its unassigned customers, in one transaction,
    set-based. Returns the counts (also recorded on the run): what it did is listed in
    the assignment history (kind "attribution", this business date).

    1. the manager rule: "marketing credit" gives each unassigned customer with a credit
       to the latest credited manager (if still an active customer manager of the bank);
       "claim" and "supervisor" leave customers in their branch pool for people to decide;
    2. the branch rule sets the owning branch of the customers that were unassigned when
       the job started (opening branch of the first account, branch with the largest
       assets, or the primary manager's branch), except customers with a pending claim or
       transfer (a person is deciding about them);
    3. pending claims on customers that have a manager by now are closed.
    A rerun changes nothing more: every step only touches rows that differ. The business
    date (a date or an ISO string) defaults to the bank's local today (its head office's)."""
    bank_id = getattr(bank, "pk", bank)
    business_date = batch_jobs.parse_business_date(business_date) if business_date else batch_jobs.today(bank_id)
    rule = AttributionRule.objects.filter(bank_id=bank_id).select_related("bank").first()
    if rule is None:
        counts = {"assigned": 0, "branch_changed": 0, "in_pool": 0, "claims_closed": 0}
        if run is not None:
            run.count(**counts, no_rule=1)
        return counts
    names = _sql_names()
    now = timezone.now()
    params = {
        "bank": bank_id,
        "date": business_date,
        "base": rule.bank.base_currency,
        "now": now,
        "reason_credit": _("Marketing credit"),
        "reason_branch": str(rule.get_branch_rule_display()),
        "kind": AssignmentChange.Kind.ATTRIBUTION,
        "actions": [ACTION_CLAIM, ACTION_TRANSFER],
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE attribution_scope (customer_id bigint PRIMARY KEY) ON COMMIT DROP")
        cursor.execute(
            """
            INSERT INTO attribution_scope SELECT c.id FROM {customer} c
            WHERE c.bank_id = %(bank)s AND c.primary_manager_id IS NULL AND c.merged_into_id IS NULL""".format(**names),
            params,
        )
        assigned = 0
        if rule.manager_rule == AttributionRule.ManagerRule.MARKETING_CREDIT:
            cursor.execute(
                """
                WITH credit AS (
                    SELECT DISTINCT ON (mc.customer_id) mc.customer_id, mc.manager_id
                    FROM {credit} mc JOIN attribution_scope s ON s.customer_id = mc.customer_id
                    JOIN {staff} st ON st.id = mc.manager_id
                    WHERE st.is_active AND st.status = 'active' AND st.bank_id = %(bank)s
                      AND EXISTS (SELECT 1 FROM {staff_groups} sg JOIN auth_group g ON g.id = sg.{group_col}
                                  WHERE sg.{staff_col} = st.id AND g.name = 'customer_manager')
                    ORDER BY mc.customer_id, mc.credited_at DESC, mc.id DESC),
                moved AS (
                    UPDATE {customer} c SET primary_manager_id = credit.manager_id, updated_at = %(now)s
                    FROM credit WHERE c.id = credit.customer_id AND c.primary_manager_id IS NULL
                    RETURNING c.id, c.bank_id, c.branch_id, credit.manager_id)
                INSERT INTO {history} (bank_id, customer_id, kind, from_manager_id, to_manager_id, from_branch_id,
                                       to_branch_id, change_request_id, actor_id, at, business_date, reason)
                SELECT bank_id, id, %(kind)s, NULL, manager_id, branch_id, branch_id, NULL, NULL, %(now)s, %(date)s,
                       %(reason_credit)s FROM moved""".format(**names),
                params,
            )
            assigned = cursor.rowcount
        cursor.execute(
            (
                """
            WITH target AS ({rule_sql}),
            wanted AS (
                SELECT t.customer_id, t.branch_id AS new_branch, c.branch_id AS old_branch
                FROM target t JOIN {customer} c ON c.id = t.customer_id
                WHERE c.branch_id <> t.branch_id AND NOT EXISTS (
                    SELECT 1 FROM {request} r WHERE r.status = 'pending' AND r.object_type = 'customers.customer'
                      AND r.object_id = c.id::text AND r.action = ANY(%(actions)s))),
            moved AS (
                UPDATE {customer} c SET branch_id = w.new_branch, updated_at = %(now)s
                FROM wanted w WHERE c.id = w.customer_id AND c.branch_id = w.old_branch
                RETURNING c.id, c.bank_id, c.primary_manager_id, w.old_branch, w.new_branch)
            INSERT INTO {history} (bank_id, customer_id, kind, from_manager_id, to_manager_id, from_branch_id,
                                   to_branch_id, change_request_id, actor_id, at, business_date, reason)
            SELECT bank_id, id, %(kind)s, primary_manager_id, primary_manager_id, old_branch, new_branch, NULL, NULL,
                   %(now)s, %(date)s, %(reason_branch)s FROM moved"""
            )
            .format(rule_sql=BRANCH_RULE_SQL[rule.branch_rule], **names)
            .format(**names),
            params,
        )
        branch_changed = cursor.rowcount
        cursor.execute(
            "SELECT count(*) FROM {customer} c WHERE c.bank_id = %(bank)s AND c.primary_manager_id IS NULL "
            "AND c.merged_into_id IS NULL".format(**names),
            params,
        )
        in_pool = cursor.fetchone()[0]
        # Dropped here too: inside an outer transaction (a caller's, or a test's) ON COMMIT comes too late.
        cursor.execute("DROP TABLE attribution_scope")
        audit.record(
            AuditLog.Action.OTHER,
            rule,
            actor=None,
            bank_id=bank_id,
            detail={
                "event": "attribution_applied",
                "business_date": business_date.isoformat(),
                "assigned": assigned,
                "branch_changed": branch_changed,
            },
        )
    claims_closed = close_stale_claims(bank_id=bank_id)
    counts = {"assigned": assigned, "branch_changed": branch_changed, "in_pool": in_pool, "claims_closed": claims_closed}
    if run is not None:
        run.count(**counts)
    _notify_attributed(bank_id, business_date)
    return counts


def _notify_attributed(bank_id, business_date):
    """One notification per manager who received customers by attribution on this date
    (deduplicated: a rerun sends nothing twice)."""
    rows = (
        AssignmentChange.objects.filter(
            bank_id=bank_id,
            business_date=business_date,
            kind=AssignmentChange.Kind.ATTRIBUTION,
            from_manager__isnull=True,
            to_manager__isnull=False,
        )
        .values_list("to_manager_id")
        .distinct()
    )
    managers = Staff.objects.filter(pk__in=rows)
    for manager in managers:
        count = AssignmentChange.objects.filter(
            bank_id=bank_id,
            business_date=business_date,
            to_manager=manager,
            kind=AssignmentChange.Kind.ATTRIBUTION,
            from_manager__isnull=True,
        ).count()
        notify(
            [manager],
            lambda _r, n=count: _("%(n)d customer(s) attributed to you") % {"n": n},
            link=links.url("customer_list"),
            dedupe_key=f"attribution:{bank_id}:{business_date.isoformat()}",
        )
