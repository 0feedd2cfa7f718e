"""Scoring a period from the snapshots (reports.appraisal.services.score_period): hand-computed
expectations, manager targets, effective dating, ranks, idempotency.

November 2026, scheme STANDARD_INDICATORS (cap 1.5), org.manager of A-SH:
* AUM growth: (180000 + 60000 + 10000 + 0) - (100000 + 50000 + 20000) = 80000
  -> threshold band: 40 * 80000/100000 = 32.00
* new customers: C4, C5 = 2 -> 20 * (2-1)/(3-1) = 10.00
* customers lost: C3 = 1 (lower is better: threshold 3, target 1, stretch 0) -> 10.00
* product sales (fee): C1 (newly holds fee), C5 (new) = 2 -> 10.00
* campaign conversions: 7 + 8 = 15 -> 20 + 20 * 0.5 * 5/10 = 25.00
  total 87.00
org.manager_sub (A-SH-1), own AUM target 0/50000/100000: growth 75000 -> 40 + 40 * 0.5 * 25000/50000
  = 50.00; lost 0 -> stretch 15.00; the rest 0: total 65.00.
org.manager_bj: nothing: lost 0 -> 15.00, total 15.00."""

import datetime
from decimal import Decimal

import pytest

from ocrm.approvals import services as approvals
from reports.appraisal import services
from reports.appraisal.models import KpiScheme, Score, ScoreLine
from tests.factories import make_staff
from tests.reports.factories_appraisal import NOV_END, customer_day, make_scheme, november, own_aum_target

pytestmark = pytest.mark.django_db


def lines_of(score):
    return {line.kind: (line.value, line.band, line.points) for line in score.lines.order_by("position")}


def test_november_by_hand(org):
    scheme = make_scheme(org.bank_a)
    november(org)
    own_aum_target(scheme, org.manager_sub)
    summary = services.score_period(org.bank_a.pk, "month", NOV_END)
    assert summary == {"scores": 3, "lines": 15}

    score = Score.objects.get(manager=org.manager, period_kind="month")
    assert (score.period_start, score.period_end) == (datetime.date(2026, 11, 1), NOV_END)
    assert score.baseline_date == datetime.date(2026, 10, 31)
    assert lines_of(score) == {
        "aum_growth": (Decimal("80000.00"), "threshold", Decimal("32.00")),
        "new_customers": (Decimal("2.00"), "threshold", Decimal("10.00")),
        "customers_lost": (Decimal("1.00"), "target", Decimal("10.00")),
        "product_sales": (Decimal("2.00"), "target", Decimal("10.00")),
        "measure": (Decimal("15.00"), "target", Decimal("25.00")),
    }
    assert score.points == score.total == Decimal("87.00")
    assert score.method_version == services.METHOD_VERSION

    sub = Score.objects.get(manager=org.manager_sub)
    aum = sub.lines.get(kind="aum_growth")
    assert (aum.value, aum.target, aum.points, aum.manager_target_id is not None) == (
        Decimal("75000.00"),
        Decimal("50000.00"),
        Decimal("50.00"),
        True,
    )
    assert sub.total == Decimal("65.00")
    bj = Score.objects.get(manager=org.manager_bj)
    assert bj.total == Decimal("15.00")
    assert bj.lines.get(kind="customers_lost").band == "stretch"

    # Ranks: each in their own branch first; in region A-CN 87 > 65 > 15.
    ranks = {s.manager_id: (s.rank_in_branch, s.rank_in_region, s.region_id) for s in Score.objects.all()}
    assert ranks[org.manager.pk] == (1, 1, org.a_cn.pk)
    assert ranks[org.manager_sub.pk] == (1, 2, org.a_cn.pk)
    assert ranks[org.manager_bj.pk] == (1, 3, org.a_cn.pk)
    # Bank B has no scheme: nothing scored there.
    assert not Score.objects.filter(bank=org.bank_b).exists()


def test_line_value_equals_its_source_rows(org):
    make_scheme(org.bank_a)
    november(org)
    services.score_period(org.bank_a.pk, "month", NOV_END)
    score = Score.objects.get(manager=org.manager, period_kind="month")
    for line in score.lines.all():
        rows = services.source_rows(
            score.bank_id, line.kind, score.period_start, score.period_end, score.baseline_date, line.category, line.measure
        ).filter(manager_id=score.manager_id)
        assert services.indicator_value(rows, line.kind, score.period_end, line.measure) == line.value


def test_rerun_is_idempotent_and_keeps_adjustments(org):
    make_scheme(org.bank_a)
    november(org)
    services.score_period(org.bank_a.pk, "month", NOV_END)
    score = Score.objects.get(manager=org.manager)
    Score.objects.filter(pk=score.pk).update(adjustment=Decimal("5.00"), total=Decimal("92.00"))
    services.score_period(org.bank_a.pk, "month", NOV_END)
    again = Score.objects.get(manager=org.manager)
    assert again.pk == score.pk
    assert (again.points, again.adjustment, again.total) == (Decimal("87.00"), Decimal("5.00"), Decimal("92.00"))
    assert ScoreLine.objects.filter(score=again).count() == 5
    assert Score.objects.count() == 3


def test_missing_snapshot_is_a_clear_error(org):
    make_scheme(org.bank_a)
    with pytest.raises(services.ScoringError, match="no snapshot of 2026-11-30"):
        services.score_period(org.bank_a.pk, "month", NOV_END)


def test_without_baseline_growth_counts_from_nothing(org):
    make_scheme(org.bank_a)
    customer_day(org.bank_a, NOV_END, 999, org.a_sh, org.manager, "30000", "asset")
    services.score_period(org.bank_a.pk, "month", NOV_END)
    score = Score.objects.get(manager=org.manager)
    assert score.baseline_date is None
    assert score.lines.get(kind="aum_growth").value == Decimal("30000.00")
    assert score.lines.get(kind="new_customers").value == Decimal("1.00")


def test_effective_dating_of_schemes_and_targets(org):
    """v1 until November; v2 (approved, from December) ends v1 on November 30; a manager target that
    ended before the period's last day does not apply."""
    v1 = make_scheme(org.bank_a)
    november(org)
    own_aum_target(v1, org.manager_sub, valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2026, 11, 29))
    v2 = services.new_version(v1.pk, org.admin, datetime.date(2026, 12, 1))
    assert (v2.status, v2.version, v2.previous_id) == (KpiScheme.Status.DRAFT, 2, v1.pk)
    services.submit_scheme(v2.pk, org.admin)
    checker = make_staff("a.admin2", branch=org.a_ho, roles=["system_admin"])
    approvals.approve(KpiScheme.objects.get(pk=v2.pk).change_request_id, checker)
    v1.refresh_from_db()
    assert v1.valid_to == datetime.date(2026, 11, 30)

    services.score_period(org.bank_a.pk, "month", NOV_END)
    assert set(Score.objects.values_list("scheme_id", flat=True)) == {v1.pk}
    sub = Score.objects.get(manager=org.manager_sub)
    assert sub.lines.get(kind="aum_growth").manager_target_id is None
    assert sub.lines.get(kind="aum_growth").points == Decimal("30.00")  # 40 * 75000/100000 on the scheme's bands

    dec_end = datetime.date(2026, 12, 31)
    customer_day(org.bank_a, dec_end, 1, org.a_sh, org.manager, "1", "")
    services.score_period(org.bank_a.pk, "month", dec_end)
    assert Score.objects.get(manager=org.manager, period_start=datetime.date(2026, 12, 1)).scheme_id == v2.pk


def test_quarter_and_the_monthly_job(org):
    make_scheme(org.bank_a)
    november(org)

    class Run:
        counts = {}

        def count(self, **counts):
            self.counts = counts

    class Scope:
        bank_id = org.bank_a.pk
        business_date = datetime.date(2026, 11, 29)

    run = Run()
    services.compute_scope(run, Scope)  # not a month end: nothing
    assert run.counts == {"kpi_scores": 0} and not Score.objects.exists()
    Scope.business_date = NOV_END
    services.compute_scope(run, Scope)
    assert run.counts == {"kpi_scores": 3, "kpi_score_lines": 15}
    # The quarter (October-December) when its last month ends: the baseline is September 30 (none).
    customer_day(org.bank_a, datetime.date(2026, 12, 31), 1, org.a_sh, org.manager, "5", "")
    Scope.business_date = datetime.date(2026, 12, 31)
    services.compute_scope(run, Scope)
    assert run.counts == {"kpi_scores": 6, "kpi_score_lines": 30}
    quarter = Score.objects.get(manager=org.manager, period_kind="quarter")
    assert (quarter.period_start, quarter.period_end, quarter.period_label) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
        "2026 Q4",
    )
