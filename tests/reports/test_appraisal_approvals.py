"""Maker-checker on KPI schemes and on score adjustments (ocrm.approvals): the maker cannot decide
their own request, the checker needs the permission and the scope, and only an approval applies."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.errors import NotVisible
from reports.appraisal import services
from reports.appraisal.models import KpiScheme, Score, ScoreAdjustment
from tests.factories import make_staff
from tests.reports.factories_appraisal import NOV_END, STANDARD_INDICATORS, make_scheme, november

pytestmark = pytest.mark.django_db


def draft(org):
    scheme = KpiScheme(bank=org.bank_a, role="customer_manager", name="Managers 2027", valid_from=datetime.date(2027, 1, 1))
    return services.save_scheme(scheme, [dict(item) for item in STANDARD_INDICATORS], org.admin)


def test_scheme_needs_a_second_person(org):
    scheme = services.submit_scheme(draft(org).pk, org.admin, reason="2027 targets")
    assert scheme.status == KpiScheme.Status.PENDING
    request = scheme.change_request
    with pytest.raises(PermissionDenied):
        approvals.approve(request.pk, org.admin)
    with pytest.raises(PermissionDenied):  # no checker permission
        approvals.approve(request.pk, org.auditor)
    with pytest.raises(NotVisible):  # another bank's administrator
        approvals.approve(request.pk, org.b_admin)
    checker = make_staff("a.admin2", branch=org.a_ho, roles=["system_admin"])
    assert request in approvals.pending_for_checker(checker)
    assert request not in approvals.pending_for_checker(org.admin)
    approvals.approve(request.pk, checker)
    scheme.refresh_from_db()
    assert scheme.status == KpiScheme.Status.ACTIVE
    with pytest.raises(ValidationError):  # an active scheme is never edited
        services.save_scheme(scheme, [dict(item) for item in STANDARD_INDICATORS], org.admin)


def test_rejected_scheme_goes_back_to_draft(org):
    scheme = services.submit_scheme(draft(org).pk, org.admin)
    checker = make_staff("a.admin2", branch=org.a_ho, roles=["system_admin"])
    approvals.reject(scheme.change_request_id, checker, "Targets too low")
    scheme.refresh_from_db()
    assert scheme.status == KpiScheme.Status.DRAFT


def test_withdrawn_scheme_goes_back_to_draft(org):
    scheme = services.submit_scheme(draft(org).pk, org.admin)
    approvals.withdraw(scheme.change_request_id, org.admin)
    scheme.refresh_from_db()
    assert scheme.status == KpiScheme.Status.DRAFT
    assert ChangeRequest.objects.get(pk=scheme.change_request_id).status == ChangeRequest.Status.CANCELLED


def test_overlapping_later_scheme_refuses_the_approval(org):
    make_scheme(org.bank_a, valid_from=datetime.date(2027, 6, 1))
    scheme = services.submit_scheme(draft(org).pk, org.admin)
    checker = make_staff("a.admin2", branch=org.a_ho, roles=["system_admin"])
    with pytest.raises(ValidationError, match="already covers"):
        approvals.approve(scheme.change_request_id, checker)
    scheme.refresh_from_db()
    assert scheme.status == KpiScheme.Status.PENDING  # nothing half-applied


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({0: {"weight": "50"}}, "total 110; they must total exactly 100"),
        ({1: {"stretch": "2"}}, "Row 2: the stretch must lie at or beyond the target"),
        ({3: {"category": ""}}, "Row 4: choose the product category"),
        ({4: {"measure": "nope"}}, "Row 5: choose the measure"),
        ({2: {"target": ""}}, "Row 3: give a number for target"),
        ({1: {"kind": "aum_growth"}}, "Row 2: this indicator is in the scheme twice"),
    ],
)
def test_indicators_are_checked_as_a_whole(org, change, message):
    indicators = [dict(item) for item in STANDARD_INDICATORS]
    for row, fields in change.items():
        indicators[row].update(fields)
    scheme = KpiScheme(bank=org.bank_a, role="customer_manager", name="Bad", valid_from=datetime.date(2027, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.save_scheme(scheme, indicators, org.admin)
    assert message in " ".join(error.value.messages)
    assert not KpiScheme.objects.filter(name="Bad").exists()


@pytest.fixture
def scored(org):
    make_scheme(org.bank_a)
    november(org)
    services.score_period(org.bank_a.pk, "month", NOV_END)
    return Score.objects.get(manager=org.manager)


def test_adjustment_counts_once_another_supervisor_approves(org, scored):
    adjustment = services.submit_adjustment(scored.pk, "-5.50", "Complaint upheld", org.supervisor)
    scored.refresh_from_db()
    assert scored.total == Decimal("87.00")  # pending: not counted
    with pytest.raises(PermissionDenied):
        approvals.approve(adjustment.change_request_id, org.supervisor)
    other_bank = org.b_supervisor
    with pytest.raises(NotVisible):
        approvals.approve(adjustment.change_request_id, other_bank)
    checker = make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"])  # the region above A-SH
    approvals.approve(adjustment.change_request_id, checker)
    scored.refresh_from_db()
    adjustment.refresh_from_db()
    assert adjustment.status == ScoreAdjustment.Status.APPROVED
    assert (scored.points, scored.adjustment, scored.total) == (Decimal("87.00"), Decimal("-5.50"), Decimal("81.50"))


def test_adjustment_can_reorder_the_ranks(org, scored):
    sub = Score.objects.get(manager=org.manager_sub)
    adjustment = services.submit_adjustment(sub.pk, "50", "Large mandate won on 30 November", org.supervisor)
    approvals.approve(adjustment.change_request_id, make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"]))
    sub.refresh_from_db()
    scored.refresh_from_db()
    assert (sub.total, sub.rank_in_region, scored.rank_in_region) == (Decimal("95.00"), 1, 2)


def test_rejected_adjustment_changes_nothing(org, scored):
    adjustment = services.submit_adjustment(scored.pk, "10", "Extra effort", org.supervisor)
    approvals.reject(adjustment.change_request_id, make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"]), "No")
    adjustment.refresh_from_db()
    scored.refresh_from_db()
    assert adjustment.status == ScoreAdjustment.Status.REJECTED and scored.total == Decimal("87.00")


def test_who_may_propose_an_adjustment(org, scored):
    with pytest.raises(PermissionDenied):  # a manager holds no adjust permission
        services.submit_adjustment(scored.pk, "5", "Me", org.manager)
    bj_supervisor = make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])
    with pytest.raises(NotVisible):  # outside their subtree
        services.submit_adjustment(scored.pk, "5", "Other branch", bj_supervisor)
    with pytest.raises(ValidationError, match="Say why"):
        services.submit_adjustment(scored.pk, "5", "  ", org.supervisor)
    with pytest.raises(ValidationError, match="not zero"):
        services.submit_adjustment(scored.pk, "0", "Nothing", org.supervisor)
    with pytest.raises(ValidationError, match="not zero"):
        services.submit_adjustment(scored.pk, "abc", "Nothing", org.supervisor)
    assert not ScoreAdjustment.objects.exists()
