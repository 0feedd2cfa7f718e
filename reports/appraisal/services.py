"""Performance appraisal's services (docs/appraisal.md): KPI schemes (validated as a whole,
activated by a checker), per-manager targets, the scoring of a month or quarter from the report
snapshots (set-based: one aggregate query per indicator for every manager of the bank), the
ranks, and the supervisors' adjustments (maker-checker)."""

import calendar
import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, Exists, F, OuterRef, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm import reporting
from ocrm.approvals import services as approvals
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible, Refused
from reports.appraisal import bands
from reports.appraisal.models import (
    IndicatorKind,
    KpiIndicator,
    KpiScheme,
    ManagerTarget,
    PeriodKind,
    Score,
    ScoreAdjustment,
    ScoreLine,
)
from reports.snapshots.models import CustomerDay, MeasureDay
from sysadmin.org.models import Bank, Branch, Staff

JOB = "reports_kpi_scores"
METHOD_VERSION = 1  # raise when the meaning of a value or of the bands changes
ACTION_ACTIVATE_SCHEME = "appraisal.activate_scheme"
ACTION_ADJUST_SCORE = "appraisal.adjust_score"
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
PRODUCT_CATEGORIES = ("asset", "liability", "fee")  # customers.master.models.Product.Category


class ScoringError(ValidationError):
    """A period cannot be scored (its snapshot is missing, the period has not ended)."""


# --- periods ------------------------------------------------------------------------------


def period_bounds(kind, day):
    """(first day, last day) of the month or quarter that holds `day`."""
    if kind == PeriodKind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = day.replace(month=first_month, day=1)
        last_month = first_month + 2
    else:
        start = day.replace(day=1)
        last_month = day.month
    end = datetime.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end


# --- schemes ------------------------------------------------------------------------------


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def validate_indicators(indicators):
    """Check a scheme's indicators as a whole: each complete and with its bands in order, the
    weights totalling exactly 100. Raises ValidationError naming the row and the field."""
    errors = []
    total = Decimal("0")
    measures = {m.key for m in reporting.measures()}
    seen = set()
    for row, item in enumerate(indicators, start=1):
        kind = item.get("kind")
        if kind not in IndicatorKind.values:
            errors.append(ValidationError(_("Row %(row)s: choose the indicator.") % {"row": row}, code="kind"))
            continue
        if kind == IndicatorKind.PRODUCT_SALES and item.get("category") not in PRODUCT_CATEGORIES:
            errors.append(ValidationError(_("Row %(row)s: choose the product category.") % {"row": row}, code="category"))
        if kind == IndicatorKind.MEASURE and item.get("measure") not in measures:
            errors.append(ValidationError(_("Row %(row)s: choose the measure.") % {"row": row}, code="measure"))
        key = (kind, item.get("category") or "", item.get("measure") or "")
        if key in seen:
            errors.append(ValidationError(_("Row %(row)s: this indicator is in the scheme twice.") % {"row": row}, code="twice"))
        seen.add(key)
        numbers = {name: _decimal(item.get(name)) for name in ("weight", "threshold", "target", "stretch")}
        missing = [name for name, value in numbers.items() if value is None]
        if missing:
            errors.append(
                ValidationError(
                    _("Row %(row)s: give a number for %(fields)s.") % {"row": row, "fields": ", ".join(_(m) for m in missing)},
                    code="number",
                )
            )
            continue
        if not Decimal("0") < numbers["weight"] <= HUNDRED:
            errors.append(ValidationError(_("Row %(row)s: the weight must be above 0 and at most 100.") % {"row": row}))
        if not bands.bands_in_order(numbers["threshold"], numbers["target"], numbers["stretch"]):
            errors.append(
                ValidationError(
                    _("Row %(row)s: the stretch must lie at or beyond the target, on the side away from the threshold.")
                    % {"row": row},
                    code="bands",
                )
            )
        total += numbers["weight"]
    if not indicators:
        errors.append(ValidationError(_("A scheme needs at least one indicator."), code="empty"))
    elif not errors and total != HUNDRED:
        errors.append(
            ValidationError(
                _("The weights total %(total)s; they must total exactly 100.") % {"total": f"{total.normalize():f}"}, code="total"
            )
        )
    if errors:
        raise ValidationError({"indicators": errors})


def _editable(scheme_id, actor):
    scheme = KpiScheme.objects.visible_to(actor).select_for_update().filter(pk=scheme_id).first()
    if scheme is None:
        raise NotVisible
    if scheme.status != KpiScheme.Status.DRAFT:
        raise ValidationError(_("Only a draft scheme can be changed; make a new version of an active one."))
    return scheme


@transaction.atomic
def save_scheme(scheme, indicators, actor):
    """Save a draft scheme with its indicators (dicts: kind, category, measure, weight,
    threshold, target, stretch), validated as a whole. An active scheme is never changed."""
    created = scheme.pk is None
    if not created:
        _editable(scheme.pk, actor)
    elif not actor.is_superuser:
        scheme.bank_id = actor.bank_id
    validate_indicators(indicators)
    scheme.full_clean(exclude=["change_request", "created_by", "previous"])
    if scheme.created_by_id is None:
        scheme.created_by = actor
    scheme.status = KpiScheme.Status.DRAFT
    scheme.save()
    KpiIndicator.objects.filter(scheme=scheme).delete()
    KpiIndicator.objects.bulk_create(
        KpiIndicator(
            scheme=scheme,
            position=position,
            kind=item["kind"],
            category=item.get("category") or "" if item["kind"] == IndicatorKind.PRODUCT_SALES else "",
            measure=item.get("measure") or "" if item["kind"] == IndicatorKind.MEASURE else "",
            weight=_decimal(item["weight"]),
            threshold=_decimal(item["threshold"]),
            target=_decimal(item["target"]),
            stretch=_decimal(item["stretch"]),
        )
        for position, item in enumerate(indicators, start=1)
    )
    audit.record(
        AuditLog.Action.CREATE if created else AuditLog.Action.UPDATE,
        scheme,
        actor=actor,
        bank_id=scheme.bank_id,
        detail={"indicators": [{k: str(v) for k, v in row.items()} for row in indicator_dicts(scheme)]},
    )
    return scheme


def indicator_dicts(scheme):
    return list(
        scheme.indicators.order_by("position").values("kind", "category", "measure", "weight", "threshold", "target", "stretch")
    )


@transaction.atomic
def new_version(scheme_id, actor, valid_from):
    """A draft copy of an active scheme, to replace it from `valid_from` once approved."""
    scheme = KpiScheme.objects.visible_to(actor).filter(pk=scheme_id).first()
    if scheme is None:
        raise NotVisible
    if scheme.status != KpiScheme.Status.ACTIVE:
        raise ValidationError(_("Only an active scheme gets a new version; edit the draft itself."))
    if valid_from is None or valid_from <= scheme.valid_from:
        raise ValidationError({"valid_from": _("The new version must start after %(day)s.") % {"day": scheme.valid_from}})
    copy = KpiScheme(
        bank_id=scheme.bank_id,
        role=scheme.role,
        name=scheme.name,
        valid_from=valid_from,
        valid_to=None,
        stretch_cap=scheme.stretch_cap,
        version=scheme.version + 1,
        previous=scheme,
        created_by=actor,
    )
    return save_scheme(copy, indicator_dicts(scheme), actor)


@transaction.atomic
def submit_scheme(scheme_id, maker, reason=""):
    """The maker asks for a draft scheme to become active; another person with the checker permission decides."""
    scheme = _editable(scheme_id, maker)
    validate_indicators(indicator_dicts(scheme))
    scheme.change_request = approvals.submit(
        action=ACTION_ACTIVATE_SCHEME,
        obj=scheme,
        maker=maker,
        bank_id=scheme.bank_id,
        reason=reason,
        payload={"scheme": scheme.pk},
        changes={"status": [scheme.status, KpiScheme.Status.ACTIVE]},
    )
    scheme.status = KpiScheme.Status.PENDING
    scheme.save(update_fields=["status", "change_request", "updated_at"])
    return scheme


def _pending_scheme(change_request):
    scheme = (
        KpiScheme.objects.select_for_update()
        .filter(pk=change_request.payload.get("scheme"), bank_id=change_request.bank_id)
        .first()
    )
    if scheme is None or scheme.status != KpiScheme.Status.PENDING:
        raise ValidationError(_("The scheme of request #%(id)s is no longer waiting for approval.") % {"id": change_request.pk})
    return scheme


def apply_scheme_activation(change_request, checker):
    """Activate the scheme; an active scheme of the same role that began earlier ends the day
    before it begins; one that overlaps it otherwise refuses the approval."""
    scheme = _pending_scheme(change_request)
    others = KpiScheme.objects.select_for_update().filter(
        bank_id=scheme.bank_id, role=scheme.role, status=KpiScheme.Status.ACTIVE
    )
    for other in others:
        overlaps = (other.valid_to is None or other.valid_to >= scheme.valid_from) and (
            scheme.valid_to is None or scheme.valid_to >= other.valid_from
        )
        if not overlaps:
            continue
        if other.valid_from < scheme.valid_from:
            other.valid_to = scheme.valid_from - datetime.timedelta(days=1)
            other.save(update_fields=["valid_to", "updated_at"])
        else:
            raise ValidationError(
                _("The active scheme %(other)s already covers %(day)s for this role.") % {"other": other, "day": other.valid_from}
            )
    scheme.status = KpiScheme.Status.ACTIVE
    scheme.save(update_fields=["status", "updated_at"])


def reject_scheme_activation(change_request, checker):
    scheme = _pending_scheme(change_request)
    scheme.status = KpiScheme.Status.DRAFT
    scheme.save(update_fields=["status", "updated_at"])


def withdraw_scheme_activation(change_request, maker):
    scheme = _pending_scheme(change_request)
    scheme.status = KpiScheme.Status.DRAFT
    scheme.save(update_fields=["status", "updated_at"])
    return approvals.cancel(change_request.pk, maker, _("Withdrawn by the requester."))


# --- manager targets ----------------------------------------------------------------------


@transaction.atomic
def add_manager_target(indicator_id, manager_id, actor, valid_from, valid_to, threshold, target, stretch):
    """A manager's own bands for one indicator over a span of dates (not overlapping another)."""
    indicator = (
        KpiIndicator.objects.select_related("scheme")
        .filter(pk=indicator_id, scheme__in=KpiScheme.objects.visible_to(actor))
        .first()
    )
    if indicator is None:
        raise NotVisible
    manager = Staff.objects.filter(pk=manager_id, bank_id=indicator.scheme.bank_id).first()
    if manager is None:
        raise ValidationError({"manager": _("Choose a manager of the scheme's bank.")})
    if valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end must not be before the start.")})
    if not bands.bands_in_order(threshold, target, stretch):
        raise ValidationError(
            {"stretch": _("The stretch must lie at or beyond the target, on the side away from the threshold.")}
        )
    if bands.direction(threshold, target) != bands.direction(indicator.threshold, indicator.target):
        raise ValidationError({"target": _("The target must lie on the same side of the threshold as in the scheme.")})
    overlapping = ManagerTarget.objects.filter(indicator=indicator, manager=manager).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if overlapping.exists():
        raise ValidationError({"valid_from": _("This manager already has a target for this indicator in these dates.")})
    target_row = ManagerTarget.objects.create(
        indicator=indicator,
        manager=manager,
        valid_from=valid_from,
        valid_to=valid_to,
        threshold=threshold,
        target=target,
        stretch=stretch,
        created_by=actor,
    )
    audit.record(
        AuditLog.Action.CREATE,
        target_row,
        actor=actor,
        bank_id=indicator.scheme.bank_id,
        detail={"threshold": str(threshold), "target": str(target), "stretch": str(stretch)},
    )
    return target_row


# --- the source rows of an indicator -------------------------------------------------------


def _holds(category, prefix=""):
    """The customer-day row lists `category` among its sorted, comma-separated product categories."""
    field = f"{prefix}product_categories"
    return (
        Q(**{field: category})
        | Q(**{f"{field}__startswith": f"{category},"})
        | Q(**{f"{field}__endswith": f",{category}"})
        | Q(**{f"{field}__contains": f",{category},"})
    )


def source_rows(bank_id, kind, start, end, baseline, category="", measure=""):
    """The snapshot rows behind an indicator for every manager of the bank (filter by manager_id
    for one): CustomerDay rows for the customer indicators, MeasureDay rows for the measures."""
    days = CustomerDay.objects.filter(bank_id=bank_id)
    if kind == IndicatorKind.AUM_GROWTH:
        return days.filter(business_date__in=[d for d in (end, baseline) if d])
    if kind == IndicatorKind.NEW_CUSTOMERS:
        before = CustomerDay.objects.filter(
            bank_id=bank_id, business_date=baseline, customer_id=OuterRef("customer_id"), manager_id=OuterRef("manager_id")
        )
        return days.filter(business_date=end).exclude(Exists(before))
    if kind == IndicatorKind.CUSTOMERS_LOST:
        after = CustomerDay.objects.filter(
            bank_id=bank_id, business_date=end, customer_id=OuterRef("customer_id"), manager_id=OuterRef("manager_id")
        )
        return days.filter(business_date=baseline).exclude(Exists(after))
    if kind == IndicatorKind.PRODUCT_SALES:
        before = CustomerDay.objects.filter(bank_id=bank_id, business_date=baseline, customer_id=OuterRef("customer_id")).filter(
            _holds(category)
        )
        return days.filter(business_date=end).filter(_holds(category)).exclude(Exists(before))
    return MeasureDay.objects.filter(bank_id=bank_id, measure=measure, business_date__gte=start, business_date__lte=end)


def value_expression(kind, end, measure=""):
    """The aggregate of the source rows that makes the indicator's value."""
    money = DecimalField(max_digits=20, decimal_places=2)
    if kind == IndicatorKind.AUM_GROWTH:
        return Sum(Case(When(business_date=end, then=F("aum")), default=-F("aum"), output_field=money))
    if kind == IndicatorKind.MEASURE:
        try:
            unit = reporting.measure(measure).unit
        except KeyError:
            unit = reporting.Measure.COUNT
        if unit == reporting.Measure.AMOUNT:  # minor units -> the base currency
            return Sum(F("value") * Value(CENT, output_field=money), output_field=money)
        return Sum("value")
    return Count("pk")


def indicator_value(rows, kind, end, measure=""):
    value = rows.aggregate(v=value_expression(kind, end, measure))["v"]
    return Decimal(value or 0).quantize(CENT)


# --- scoring ------------------------------------------------------------------------------


def _regions(bank_id):
    """{branch id: id of its nearest region (itself included), or None} of the bank."""
    branches = list(Branch.objects.filter(bank_id=bank_id).values_list("pk", "path", "level"))
    regions = {pk for pk, _path, level in branches if level == Branch.Level.REGION}
    found = {}
    for pk, path, _level in branches:
        ids = [int(part) for part in path.strip("/").split("/") if part]
        found[pk] = next((i for i in reversed(ids) if i in regions), None)
    return found


def _snapshot_dates(bank_id, start, end):
    if not CustomerDay.objects.filter(bank_id=bank_id, business_date=end).exists():
        raise ScoringError(
            _("There is no snapshot of %(day)s yet: the period is scored once the nightly snapshot of its last day exists.")
            % {"day": end}
        )
    baseline = start - datetime.timedelta(days=1)
    if not CustomerDay.objects.filter(bank_id=bank_id, business_date=baseline).exists():
        baseline = None
    return baseline


def schemes_on(bank_id, day):
    """{role: the active scheme of the bank for that role on `day`}."""
    found = {}
    for scheme in (
        KpiScheme.objects.filter(bank_id=bank_id, status=KpiScheme.Status.ACTIVE, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("valid_from", "id")
        .prefetch_related("indicators")
    ):
        found[scheme.role] = scheme
    return found


@transaction.atomic
def score_period(bank_id, kind, day, now=None):
    """Score every manager of the bank for the month or quarter holding `day`: the active
    scheme of their role on the period's last day, each indicator's value for all managers in one
    aggregate query, the bands (the manager's own target when one covers the last day), the
    ranks. Idempotent: a rerun replaces the lines and keeps the approved adjustments."""
    start, end = period_bounds(kind, day)
    bank = Bank.objects.get(pk=bank_id)
    baseline = _snapshot_dates(bank_id, start, end)
    schemes = schemes_on(bank_id, end)
    summary = {"scores": 0, "lines": 0}
    if not schemes:
        return summary
    now = now or timezone.now()
    regions = _regions(bank_id)
    staff_by_role = {}
    for manager_id, branch_id, role in (
        Staff.objects.filter(bank=bank, is_active=True, branch__isnull=False, groups__name__in=list(schemes))
        .values_list("pk", "branch_id", "groups__name")
        .order_by("pk", "groups__name")
    ):
        staff_by_role.setdefault(manager_id, (branch_id, role))
    if not staff_by_role:
        return summary
    manager_ids = list(staff_by_role)

    # One aggregate per indicator of each scheme, for every manager at once.
    values = {}
    indicators = [indicator for scheme in schemes.values() for indicator in scheme.indicators.all()]
    for indicator in indicators:
        rows = source_rows(bank_id, indicator.kind, start, end, baseline, indicator.category, indicator.measure)
        for manager_id, value in (
            rows.filter(manager_id__in=manager_ids)
            .values("manager_id")
            .annotate(v=value_expression(indicator.kind, end, indicator.measure))
            .values_list("manager_id", "v")
        ):
            values[(indicator.pk, manager_id)] = Decimal(value or 0).quantize(CENT)
    targets = {
        (target.indicator_id, target.manager_id): target
        for target in ManagerTarget.objects.filter(
            indicator__in=indicators, manager_id__in=manager_ids, valid_from__lte=end
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=end))
    }

    existing = {
        score.manager_id: score
        for score in Score.objects.select_for_update().filter(
            bank_id=bank_id, period_kind=kind, period_start=start, manager_id__in=manager_ids
        )
    }
    scores, lines_by_manager = [], {}
    for manager_id, (branch_id, role) in staff_by_role.items():
        scheme = schemes[role]
        lines, total = [], Decimal("0")
        for indicator in scheme.indicators.all():
            target = targets.get((indicator.pk, manager_id))
            bands_from = target or indicator
            value = values.get((indicator.pk, manager_id), Decimal("0.00"))
            band, points = bands.points_for(
                value, bands_from.threshold, bands_from.target, bands_from.stretch, indicator.weight, scheme.stretch_cap
            )
            total += points
            lines.append(
                ScoreLine(
                    indicator=indicator,
                    position=indicator.position,
                    kind=indicator.kind,
                    category=indicator.category,
                    measure=indicator.measure,
                    value=value,
                    weight=indicator.weight,
                    threshold=bands_from.threshold,
                    target=bands_from.target,
                    stretch=bands_from.stretch,
                    cap=scheme.stretch_cap,
                    band=band,
                    points=points,
                    manager_target=target,
                )
            )
        score = existing.get(manager_id) or Score(
            bank_id=bank_id, manager_id=manager_id, period_kind=kind, period_start=start, adjustment=Decimal("0")
        )
        score.branch_id, score.region_id = branch_id, regions.get(branch_id)
        score.period_end, score.scheme = end, scheme
        score.baseline_date, score.snapshot_date = baseline, end
        score.points, score.total = total, total + score.adjustment
        score.method_version, score.computed_at = METHOD_VERSION, now
        scores.append(score)
        lines_by_manager[manager_id] = lines
    fields = [
        "branch",
        "region",
        "period_end",
        "scheme",
        "baseline_date",
        "snapshot_date",
        "points",
        "total",
        "method_version",
        "computed_at",
    ]
    Score.objects.bulk_update([s for s in scores if s.pk], fields)
    Score.objects.bulk_create([s for s in scores if not s.pk])
    ScoreLine.objects.filter(score__in=[s.pk for s in scores]).delete()
    all_lines = []
    for score in scores:
        for line in lines_by_manager[score.manager_id]:
            line.score = score
            all_lines.append(line)
    ScoreLine.objects.bulk_create(all_lines)
    rank(bank_id, kind, start)
    summary.update(scores=len(scores), lines=len(all_lines))
    return summary


RANK_SQL = """
UPDATE reports_score s SET rank_in_branch = r.in_branch, rank_in_region = r.in_region
FROM (
    SELECT id,
           rank() OVER (PARTITION BY branch_id ORDER BY total DESC) AS in_branch,
           CASE WHEN region_id IS NULL THEN NULL
                ELSE rank() OVER (PARTITION BY region_id ORDER BY total DESC) END AS in_region
    FROM reports_score
    WHERE bank_id = %(bank)s AND period_kind = %(kind)s AND period_start = %(start)s
) r
WHERE s.id = r.id
"""


def rank(bank_id, kind, start):
    """Ranks within the branch and within the region (equal scores share a rank), in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(RANK_SQL, {"bank": bank_id, "kind": kind, "start": start})


def compute_scope(run, scope):
    """The monthly job for one bank: after the bank's local month end (the business date is the
    local yesterday) score the month that ended, and the quarter when it ended too."""
    day = scope.business_date
    if (day + datetime.timedelta(days=1)).day != 1:
        run.count(kpi_scores=0)
        return
    month = score_period(scope.bank_id, PeriodKind.MONTH, day)
    quarter = score_period(scope.bank_id, PeriodKind.QUARTER, day) if day.month % 3 == 0 else {"scores": 0, "lines": 0}
    run.count(kpi_scores=month["scores"] + quarter["scores"], kpi_score_lines=month["lines"] + quarter["lines"])


# --- adjustments --------------------------------------------------------------------------


@transaction.atomic
def submit_adjustment(score_id, points, reason, maker):
    """A supervisor proposes points added to (or taken from) a score in their scope, with a
    reason; it counts once another supervisor approved it (the approvals inbox)."""
    score = Score.objects.visible_to(maker).select_related("branch").select_for_update(of=("self",)).filter(pk=score_id).first()
    if score is None:
        raise NotVisible
    if not maker.has_perm("reports.adjust_score"):
        raise PermissionDenied(_("You may not adjust scores."))
    if score.manager_id == maker.pk:
        raise Refused(_("You cannot adjust your own score."))
    points = _decimal(points)
    if points is None or points == 0 or points != points.quantize(CENT) or abs(points) > HUNDRED:
        raise ValidationError({"points": _("Give the points to add or take away: not zero, at most 100, two decimals.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the score is adjusted.")})
    adjustment = ScoreAdjustment.objects.create(score=score, points=points, reason=reason.strip(), created_by=maker)
    adjustment.change_request = approvals.submit(
        action=ACTION_ADJUST_SCORE,
        obj=adjustment,
        maker=maker,
        bank_id=score.bank_id,
        branch_path=score.branch.path,
        reason=reason.strip(),
        payload={"adjustment": adjustment.pk},
        changes={"adjustment": [str(score.adjustment), str(score.adjustment + points)]},
    )
    adjustment.save(update_fields=["change_request"])
    return adjustment


def _pending_adjustment(change_request):
    adjustment = (
        ScoreAdjustment.objects.select_for_update()
        .filter(pk=change_request.payload.get("adjustment"), score__bank_id=change_request.bank_id)
        .first()
    )
    if adjustment is None or adjustment.status != ScoreAdjustment.Status.PENDING:
        raise ValidationError(
            _("The adjustment of request #%(id)s is no longer waiting for approval.") % {"id": change_request.pk}
        )
    return adjustment


def apply_adjustment(change_request, checker):
    adjustment = _pending_adjustment(change_request)
    if adjustment.score.manager_id == checker.pk:
        raise PermissionDenied(_("You cannot approve an adjustment of your own score."))
    adjustment.status = ScoreAdjustment.Status.APPROVED
    adjustment.save(update_fields=["status"])
    score = Score.objects.select_for_update().get(pk=adjustment.score_id)
    score.adjustment += adjustment.points
    score.total = score.points + score.adjustment
    score.save(update_fields=["adjustment", "total"])
    rank(score.bank_id, score.period_kind, score.period_start)


def reject_adjustment(change_request, checker):
    adjustment = _pending_adjustment(change_request)
    adjustment.status = ScoreAdjustment.Status.REJECTED
    adjustment.save(update_fields=["status"])


def withdraw_adjustment(change_request, maker):
    adjustment = _pending_adjustment(change_request)
    adjustment.status = ScoreAdjustment.Status.WITHDRAWN
    adjustment.save(update_fields=["status"])
    return approvals.cancel(change_request.pk, maker, _("Withdrawn by the requester."))


def register_approvals():
    approvals.register(
        ACTION_ACTIVATE_SCHEME,
        apply=apply_scheme_activation,
        on_reject=reject_scheme_activation,
        withdraw=withdraw_scheme_activation,
        checker_perm="reports.approve_kpischeme",
        label=gettext_lazy("Activate a KPI scheme"),
    )
    approvals.register(
        ACTION_ADJUST_SCORE,
        apply=apply_adjustment,
        on_reject=reject_adjustment,
        withdraw=withdraw_adjustment,
        checker_perm="reports.approve_scoreadjustment",
        label=gettext_lazy("Adjust a performance score"),
        field_labels={"adjustment": gettext_lazy("adjustment")},
    )
