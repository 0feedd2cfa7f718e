"""Rules validated as a whole, revenue events from completed requests, statements computed in SQL
(equal to the Python allocation, reversals net, reruns identical), approval by both sides and
locking, scope."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crossborder.profitsharing import services
from crossborder.profitsharing.allocation import allocate
from crossborder.profitsharing.models import (
    ProfitShareRule,
    ProfitStatement,
    ProfitStatementLine,
    RevenueEvent,
    RevenueType,
    validate_shares,
)
from crossborder.profitsharing.tasks import STATEMENTS
from crossborder.requests.signals import request_completed
from customers.master.models import FxRate
from ocrm.approvals import services as approvals
from ocrm.audit.models import AuditLog
from ocrm.batch.per_bank import run_per_bank
from ocrm.errors import NotVisible
from tests.factories import make_customer, make_staff

PERIOD = datetime.date(2026, 10, 1)


def active_rule(org, actor, checker, shares, revenue_type=RevenueType.CROSSBORDER_FEE, priority=100, **extra):
    rule = ProfitShareRule(
        bank=org.bank_a,
        name=f"rule {priority}",
        revenue_type=revenue_type,
        effective_from=datetime.date(2026, 1, 1),
        priority=priority,
        **extra,
    )
    services.save_rule(rule, shares, actor)
    rule = services.submit_rule_activation(rule.pk, actor)
    approvals.approve(rule.change_request_id, checker)
    rule.refresh_from_db()
    assert rule.status == ProfitShareRule.Status.ACTIVE
    return rule


@pytest.fixture
def setup(org):
    officer = org.crossborder_officer
    checker = make_staff("a.xb2", branch=org.a_ho, roles=["crossborder_officer"])
    b_officer = make_staff("b.xb", branch=org.b_ho, roles=["crossborder_officer"])
    b_checker = make_staff("b.xb2", branch=org.b_ho, roles=["crossborder_officer"])
    customer = make_customer("C-1", org.a_sh, org.manager)
    rule = active_rule(
        org,
        officer,
        checker,
        [{"side": "originating", "percentage": Decimal("33.3333")}, {"side": "servicing", "percentage": Decimal("66.6667")}],
    )
    return dict(org=org, officer=officer, checker=checker, b_officer=b_officer, b_checker=b_checker, customer=customer, rule=rule)


def complete_request(org, customer, request_id, amount, currency="CNY", servicing=None, day=datetime.date(2026, 10, 15)):
    request_completed.send(
        sender=None,
        bank_id=org.bank_a.pk,
        request_id=request_id,
        originating_branch_id=org.a_sh.pk,
        servicing_branch_id=(servicing or org.a_ldn).pk,
        servicing_bank_id=(servicing or org.a_ldn).bank_id,
        customer_id=customer.pk,
        fee_type="crossborder_service",
        amount_minor=amount,
        currency=currency,
        booked_on=day,
    )
    return RevenueEvent.objects.get(bank=org.bank_a, source_reference=f"crossborder-request:{request_id}")


# --- rules ----------------------------------------------------------------------------------


def test_shares_validated_as_a_whole():
    validate_shares([{"side": "originating", "percentage": Decimal("40")}, {"side": "servicing", "percentage": "60.0000"}])
    with pytest.raises(ValidationError) as error:
        validate_shares(
            [{"side": "originating", "percentage": Decimal("40")}, {"side": "servicing", "percentage": Decimal("59.9999")}]
        )
    assert "99.9999%" in str(error.value.message_dict["shares"])
    with pytest.raises(ValidationError) as error:
        validate_shares([{"side": "originating", "percentage": Decimal("40"), "fixed_amount_minor": 5}])
    assert "Row 1: give either a percentage or a fixed amount." in error.value.message_dict["shares"]
    with pytest.raises(ValidationError) as error:
        validate_shares([{"side": "nobody", "percentage": Decimal("100")}, {"side": "servicing", "percentage": Decimal("-1")}])
    messages = error.value.message_dict["shares"]
    assert "Row 1: choose the side." in messages
    assert any(m.startswith("Row 2: the percentage must be above 0") for m in messages)
    with pytest.raises(ValidationError, match="At least one share must be a percentage"):
        validate_shares([{"side": "originating", "fixed_amount_minor": 100}])


def test_rule_activation_needs_another_person(org):
    rule = ProfitShareRule(
        bank=org.bank_a, name="r", revenue_type=RevenueType.FEE, fee_type="card", effective_from=datetime.date(2026, 1, 1)
    )
    services.save_rule(rule, [{"side": "originating", "percentage": Decimal("100")}], org.crossborder_officer)
    rule = services.submit_rule_activation(rule.pk, org.crossborder_officer)
    assert rule.status == ProfitShareRule.Status.PENDING
    with pytest.raises(PermissionDenied):
        approvals.approve(rule.change_request_id, org.crossborder_officer)
    with pytest.raises(NotVisible):
        services.submit_rule_activation(rule.pk, org.b_admin)  # another bank's rule: not found


# --- statements -----------------------------------------------------------------------------


def test_completed_request_booked_once(setup):
    org, customer = setup["org"], setup["customer"]
    first = complete_request(org, customer, 41, 12_345)
    again = complete_request(org, customer, 41, 12_345)
    assert first.pk == again.pk
    assert (first.amount_minor, first.revenue_type, first.servicing_branch_id) == (12_345, "crossborder_fee", org.a_ldn.pk)


def test_statement_sql_equals_python_allocation_and_sums_to_revenue(setup):
    org, customer = setup["org"], setup["customer"]
    amounts = [1, 2, 3, 100, 12_345, 99_999, 1_000_001]
    for number, amount in enumerate(amounts):
        complete_request(org, customer, number, amount)
    summary = services.compute_statement(org.bank_a, PERIOD)
    assert summary == {"statements": 1, "lines": 2 * len(amounts), "events_without_rule": 0}
    statement = ProfitStatement.objects.get(bank=org.bank_a, counterpart=org.bank_a, period=PERIOD)
    assert statement.total_minor == sum(amounts)
    shares = [(Decimal("33.3333"), None), (Decimal("66.6667"), None)]
    for event in RevenueEvent.objects.filter(bank=org.bank_a):
        lines = list(ProfitStatementLine.objects.filter(event=event).order_by("position").values_list("amount_minor", flat=True))
        assert lines == allocate(event.amount_minor, shares)
    branches = set(ProfitStatementLine.objects.filter(statement=statement).values_list("side", "branch_id"))
    assert branches == {("originating", org.a_sh.pk), ("servicing", org.a_ldn.pk)}


def test_foreign_currency_converted_at_the_period_rate_with_rate_on_each_line(setup):
    org, customer = setup["org"], setup["customer"]
    rate_of = lambda day, rate, hour=9: FxRate.objects.create(  # noqa: E731
        bank=org.bank_a,
        currency="GBP",
        rate=Decimal(rate),
        as_of=day,
        effective_at=datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC),
    )
    complete_request(org, customer, 1, 10_001, currency="GBP")
    with pytest.raises(services.StatementError, match="No rate of GBP"):
        services.compute_statement(org.bank_a, PERIOD)
    rate_of(datetime.date(2026, 10, 30), "9.1")
    period_rate = rate_of(datetime.date(2026, 10, 31), "9.12345678")
    rate_of(datetime.date(2026, 11, 2), "99")  # after the period: not used
    services.compute_statement(org.bank_a, PERIOD)
    lines = list(ProfitStatementLine.objects.order_by("position"))
    converted = round(Decimal(10_001) * Decimal("9.12345678"))
    assert {(line.fx_rate_id, line.fx_rate_date, line.converted_minor) for line in lines} == {
        (period_rate.pk, datetime.date(2026, 10, 31), converted)
    }
    assert sum(line.amount_minor for line in lines) == converted


def test_reversal_nets_exactly_against_the_original(setup):
    org, customer = setup["org"], setup["customer"]
    original = complete_request(org, customer, 7, 10_001)
    services.reverse_event(original, "fee refunded", datetime.date(2026, 10, 20))
    with pytest.raises(ValidationError):
        services.reverse_event(original, "again", datetime.date(2026, 10, 21))
    services.compute_statement(org.bank_a, PERIOD)
    by_side = {}
    for line in ProfitStatementLine.objects.all():
        by_side[line.side] = by_side.get(line.side, 0) + line.amount_minor
    assert by_side == {"originating": 0, "servicing": 0}
    reversal_lines = ProfitStatementLine.objects.filter(amount_minor__lt=0)
    assert {line.reversal_reason for line in reversal_lines} == {"fee refunded"}
    assert ProfitStatement.objects.get().total_minor == 0


def test_rerun_gives_an_identical_statement(setup):
    org, customer = setup["org"], setup["customer"]
    for number in range(20):
        complete_request(org, customer, number, 1_000 + number * 37)
    complete_request(org, customer, 99, 5_555, servicing=org.b_hk)  # a partner bank: its own statement
    services.compute_statement(org.bank_a, PERIOD)
    dumps = {s.counterpart_id: services.canonical_dump(s) for s in ProfitStatement.objects.order_by("pk")}
    assert set(dumps) == {org.bank_a.pk, org.bank_b.pk}
    services.compute_statement(org.bank_a, PERIOD)
    assert {s.counterpart_id: services.canonical_dump(s) for s in ProfitStatement.objects.order_by("pk")} == dumps
    assert ProfitStatement.objects.count() == 2


def test_both_sides_approve_then_locked(setup):
    org, customer = setup["org"], setup["customer"]
    complete_request(org, customer, 1, 8_000, servicing=org.b_hk)
    services.compute_statement(org.bank_a, PERIOD)
    statement = ProfitStatement.objects.get(counterpart=org.bank_b)
    # The partner bank sees the statement (it is its counterpart); a third party does not.
    assert ProfitStatement.objects.visible_to(setup["b_officer"]).filter(pk=statement.pk).exists()
    with pytest.raises(PermissionDenied):
        services.submit_statement_approval(statement.pk, "servicing", setup["officer"])
    statement = services.submit_statement_approval(statement.pk, "originating", setup["officer"])
    with pytest.raises(services.StatementError, match="being approved"):
        services.compute_statement(org.bank_a, PERIOD)
    approvals.approve(statement.originating_request_id, setup["checker"])
    statement.refresh_from_db()
    assert statement.status == ProfitStatement.Status.OPEN and statement.originating_approved_at
    statement = services.submit_statement_approval(statement.pk, "servicing", setup["b_officer"])
    with pytest.raises(PermissionDenied):  # the servicing side's checker must be another person
        approvals.approve(statement.servicing_request_id, setup["b_officer"])
    approvals.approve(statement.servicing_request_id, setup["b_checker"])
    statement.refresh_from_db()
    assert statement.status == ProfitStatement.Status.LOCKED
    before = services.canonical_dump(statement)
    complete_request(org, customer, 2, 1_000, servicing=org.b_hk)  # late revenue cannot change it
    with pytest.raises(services.StatementError, match="locked"):
        services.compute_statement(org.bank_a, PERIOD)
    statement.refresh_from_db()
    assert services.canonical_dump(statement) == before


def test_dispute_in_the_approvals_inbox_reopens_the_statement(setup):
    """The servicing side's checker disputes (rejects with a reason in the approvals inbox) after
    the originating side approved: the statement opens again (approvals cleared), may be computed
    again and approved anew; the dispute is audited in both banks."""
    org, customer = setup["org"], setup["customer"]
    complete_request(org, customer, 1, 8_000, servicing=org.b_hk)
    services.compute_statement(org.bank_a, PERIOD)
    statement = ProfitStatement.objects.get(counterpart=org.bank_b)
    statement = services.submit_statement_approval(statement.pk, "originating", setup["officer"])
    approvals.approve(statement.originating_request_id, setup["checker"])
    statement = services.submit_statement_approval(statement.pk, "servicing", setup["b_officer"])
    # It is in the servicing bank's checker's inbox, not in the originating bank's.
    assert approvals.pending_for_checker(setup["b_checker"]).filter(pk=statement.servicing_request_id).exists()
    assert not approvals.pending_for_checker(setup["checker"]).filter(pk=statement.servicing_request_id).exists()
    with pytest.raises(ValidationError):
        approvals.reject(statement.servicing_request_id, setup["b_checker"], "")  # a dispute says why
    approvals.reject(statement.servicing_request_id, setup["b_checker"], "Our fee was 90.00, not 80.00")
    statement.refresh_from_db()
    assert statement.status == ProfitStatement.Status.OPEN
    assert statement.originating_approved_at is None and statement.servicing_approved_at is None
    assert statement.servicing_request.decision_reason == "Our fee was 90.00, not 80.00"
    disputes = AuditLog.objects.filter(
        object_type="crossborder.profitstatement", object_id=str(statement.pk), detail__step="disputed"
    )
    assert set(disputes.values_list("bank_id", flat=True)) == {org.bank_a.pk, org.bank_b.pk}
    # Corrected and computed again, then approved by both: locked.
    complete_request(org, customer, 2, 1_000, servicing=org.b_hk)
    services.compute_statement(org.bank_a, PERIOD)
    statement.refresh_from_db()
    assert statement.total_minor == 9_000
    statement = services.submit_statement_approval(statement.pk, "originating", setup["officer"])
    approvals.approve(statement.originating_request_id, setup["checker"])
    statement = services.submit_statement_approval(statement.pk, "servicing", setup["b_officer"])
    approvals.approve(statement.servicing_request_id, setup["b_checker"])
    statement.refresh_from_db()
    assert statement.status == ProfitStatement.Status.LOCKED


def test_scope_other_bank_and_branch_supervisor(setup):
    org, customer = setup["org"], setup["customer"]
    complete_request(org, customer, 1, 8_000)
    services.compute_statement(org.bank_a, PERIOD)
    statement = ProfitStatement.objects.get()
    # Bank B is no party to bank A's internal statement: not found.
    assert not ProfitStatement.objects.visible_to(org.b_admin).exists()
    with pytest.raises(NotVisible):
        services.submit_statement_approval(statement.pk, "servicing", setup["b_officer"])
    # A Shanghai supervisor sees only the lines of the Shanghai subtree.
    lines = services.visible_lines(org.supervisor, statement)
    assert set(lines.values_list("branch_id", flat=True)) == {org.a_sh.pk}
    assert services.visible_lines(org.manager, statement).count() == 0


def test_monthly_job_runs_after_the_local_month_end(setup):
    org, customer = setup["org"], setup["customer"]
    complete_request(org, customer, 1, 8_000)
    summary = run_per_bank(STATEMENTS, "2026-10-30", org.bank_a.pk)
    assert ProfitStatement.objects.count() == 0, summary  # not a month end
    run_per_bank(STATEMENTS, "2026-10-31", org.bank_a.pk)
    assert ProfitStatement.objects.get().total_minor == 8_000
    assert timezone.now().date() > datetime.date(2026, 10, 31)
