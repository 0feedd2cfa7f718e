"""Profit sharing's services: rules (validated as a whole, activated by a checker), revenue
events (from completed cross-border requests and the revenue feed; reversals), and the monthly
statements computed set-based and approved by both sides (docs/profit-sharing.md)."""

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crossborder.profitsharing.models import (
    ProfitShareRule,
    ProfitStatement,
    ProfitStatementLine,
    RevenueEvent,
    RevenueType,
    RuleShare,
    Side,
    validate_shares,
)
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.org.models import Bank, Branch

JOB = "crossborder_profit_statements"
ACTION_ACTIVATE_RULE = "profitsharing.activate_rule"
ACTION_APPROVE_STATEMENT = "profitsharing.approve_statement"


class StatementError(ValidationError):
    """A statement cannot be computed (locked, being approved, a rate missing)."""


# --- rules -------------------------------------------------------------------------------


@transaction.atomic
def save_rule(rule, shares, actor):
    """Save a draft rule with its shares (dicts: side, percentage or fixed_amount_minor,
    manager optional), validated as a whole. An active rule is changed only as a new draft."""
    if rule.pk and ProfitShareRule.objects.filter(pk=rule.pk).exclude(status=ProfitShareRule.Status.DRAFT).exists():
        raise ValidationError(_("Only a draft rule can be changed."))
    validate_shares(shares)
    rule.full_clean(exclude=["change_request", "created_by"])
    if rule.created_by_id is None:
        rule.created_by = actor
    rule.status = ProfitShareRule.Status.DRAFT
    rule.save()
    RuleShare.objects.filter(rule=rule).delete()
    RuleShare.objects.bulk_create(
        RuleShare(
            rule=rule,
            position=position,
            side=share["side"],
            manager=share.get("manager"),
            percentage=share.get("percentage"),
            fixed_amount_minor=share.get("fixed_amount_minor"),
        )
        for position, share in enumerate(shares, start=1)
    )
    return rule


@transaction.atomic
def submit_rule_activation(rule_id, maker, reason=""):
    """The maker asks for a draft rule to become active; a checker of the bank decides."""
    rule = ProfitShareRule.objects.visible_to(maker).select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise NotVisible
    if rule.status != ProfitShareRule.Status.DRAFT:
        raise ValidationError(_("Only a draft rule can be submitted for activation."))
    validate_shares(list(rule.shares.values("side", "percentage", "fixed_amount_minor")))
    rule.change_request = approvals.submit(
        action=ACTION_ACTIVATE_RULE,
        obj=rule,
        maker=maker,
        bank_id=rule.bank_id,
        reason=reason,
        payload={"rule": rule.pk},
        changes={"status": [rule.status, ProfitShareRule.Status.ACTIVE]},
    )
    rule.status = ProfitShareRule.Status.PENDING
    rule.save(update_fields=["status", "change_request", "updated_at"])
    return rule


def _pending_rule(change_request):
    rule = (
        ProfitShareRule.objects.select_for_update()
        .filter(pk=change_request.payload.get("rule"), bank_id=change_request.bank_id)
        .first()
    )
    if rule is None or rule.status != ProfitShareRule.Status.PENDING:
        raise ValidationError(_("The rule of request #%(id)s is no longer waiting for approval.") % {"id": change_request.pk})
    return rule


def apply_rule_activation(change_request, checker):
    rule = _pending_rule(change_request)
    rule.status = ProfitShareRule.Status.ACTIVE
    rule.save(update_fields=["status", "updated_at"])


def reject_rule_activation(change_request, checker):
    rule = _pending_rule(change_request)
    rule.status = ProfitShareRule.Status.DRAFT
    rule.save(update_fields=["status", "updated_at"])


# --- revenue events ------------------------------------------------------------------------


def book_crossborder_fee(sender=None, **kwargs):
    """Receiver of crossborder.requests.signals.request_completed: the request's fee becomes a
    revenue event (idempotent on the request: a repeated signal books nothing twice)."""
    amount = int(kwargs["amount_minor"])
    if amount == 0:
        return None
    event, _created = RevenueEvent.objects.get_or_create(
        bank_id=kwargs["bank_id"],
        source_reference=f"crossborder-request:{kwargs['request_id']}",
        defaults={
            "customer_id": kwargs["customer_id"],
            "revenue_type": RevenueType.CROSSBORDER_FEE,
            "fee_type": kwargs.get("fee_type") or "",
            "amount_minor": amount,
            "currency": kwargs["currency"].upper(),
            "booked_on": kwargs["booked_on"],
            "originating_branch_id": kwargs["originating_branch_id"],
            "servicing_branch_id": kwargs["servicing_branch_id"],
        },
    )
    return event


def shared_by_reference(references):
    """[(source reference, statement currency, side, minor units)] of the statement lines of the
    revenue events of these source references, their reversals netted in (one query); the
    cross-border statistics' "revenue shared" (registered in crossborder/apps.py)."""
    lines = ProfitStatementLine.objects.filter(
        Q(event__source_reference__in=references) | Q(event__reversal_of__source_reference__in=references)
    )
    return list(
        lines.annotate(reference=Coalesce("event__reversal_of__source_reference", "event__source_reference"))
        .values_list("reference", "statement__currency", "side")
        .annotate(amount=Sum("amount_minor"))
        .order_by()
    )


@transaction.atomic
def reverse_event(event, reason, booked_on, amount_minor=None, source_reference=None):
    """A reversal (whole) or refund (part) of `event`: a negative event shared by the original's
    rule, so it nets against the original."""
    if not (reason or "").strip():
        raise ValidationError({"reversal_reason": _("Say why the revenue is reversed.")})
    if event.amount_minor <= 0 or event.reversal_of_id:
        raise ValidationError(_("Only a positive revenue can be reversed."))
    amount = event.amount_minor if amount_minor is None else int(amount_minor)
    already = sum(-r for r in event.reversals.values_list("amount_minor", flat=True))
    if amount <= 0 or amount + already > event.amount_minor:
        raise ValidationError({"amount_minor": _("The reversal exceeds what is left of the revenue.")})
    return RevenueEvent.objects.create(
        bank_id=event.bank_id,
        customer_id=event.customer_id,
        product_id=event.product_id,
        revenue_type=event.revenue_type,
        fee_type=event.fee_type,
        amount_minor=-amount,
        currency=event.currency,
        booked_on=booked_on,
        source_reference=source_reference or f"{event.source_reference}:reversal:{event.reversals.count() + 1}",
        originating_branch_id=event.originating_branch_id,
        servicing_branch_id=event.servicing_branch_id,
        reversal_of=event,
        reversal_reason=reason.strip(),
    )


# --- statements ----------------------------------------------------------------------------


def month_bounds(period):
    """(first day, first day of the next month, last day) of the month of `period`."""
    start = period.replace(day=1)
    last = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start, last + datetime.timedelta(days=1), last


# The allocation itself, over a CTE `shares` (one row per event and share: magnitude, sgn,
# position, percentage, fixed_amount_minor, fixed_before, fixed_total); shared with the simulation.
_ALLOCATION_CTE = """floors AS (
    SELECT sh.*,
           CASE WHEN percentage IS NULL THEN GREATEST(0, LEAST(fixed_amount_minor, magnitude - fixed_before))
                ELSE floor((magnitude - LEAST(magnitude, fixed_total)) * percentage / 100) END::bigint AS base_part,
           (magnitude - LEAST(magnitude, fixed_total)) * percentage
             - floor((magnitude - LEAST(magnitude, fixed_total)) * percentage / 100) * 100 AS fraction
    FROM shares sh
), ranked AS (
    SELECT f.*,
           magnitude - SUM(base_part) OVER (PARTITION BY id) AS leftover,
           row_number() OVER (PARTITION BY id, percentage IS NULL ORDER BY fraction DESC, position) AS remainder_rank
    FROM floors f
)
"""

# The conversion of a CTE `ev` (amount_minor, currency) to the statement currency at the period's
# rate: per currency the latest posting on or before the period's last day; round() is half away
# from zero, so a reversal converts to the exact negative of its original. Shared with the rule
# simulation (crossborder.profitsharing.simulation), so both convert alike.
_CONVERSION_CTE = """rate AS (
    SELECT DISTINCT ON (currency) id, currency, rate, as_of
    FROM customers_fxrate
    WHERE bank_id = %(bank)s AND as_of <= %(last)s
    ORDER BY currency, as_of DESC, effective_at DESC, id DESC
), conv AS (
    SELECT ev.*, r.id AS rate_id, r.as_of AS rate_date,
           CASE WHEN ev.currency = %(currency)s THEN 1 ELSE r.rate END AS rate_value,
           CASE WHEN ev.currency = %(currency)s THEN ev.amount_minor
                ELSE round(ev.amount_minor * r.rate)::bigint END AS converted
    FROM ev LEFT JOIN rate r ON r.currency = ev.currency AND ev.currency <> %(currency)s
)"""

# The events of the bank's month with their original's rule key (a reversal is shared by the
# rule of its original), converted at the period's rate, matched to the winning rule, split per
# share: fixed amounts first, then floors of the percentages and the left-over units one each by
# largest fractional remainder (ties: share order), the sign applied last (allocation.allocate).
_SHARES_CTE = (
    """
WITH ev AS (
    SELECT e.id, e.bank_id, e.amount_minor, e.currency, e.reversal_reason,
           e.originating_branch_id, e.servicing_branch_id, sb.bank_id AS counterpart_id,
           COALESCE(o.booked_on, e.booked_on) AS rule_day,
           COALESCE(o.revenue_type, e.revenue_type) AS rule_type,
           COALESCE(o.fee_type, e.fee_type) AS rule_fee_type
    FROM crossborder_revenueevent e
    JOIN sysadmin_branch sb ON sb.id = e.servicing_branch_id
    LEFT JOIN crossborder_revenueevent o ON o.id = e.reversal_of_id
    WHERE e.bank_id = %(bank)s AND e.booked_on >= %(start)s AND e.booked_on < %(end)s
), """
    + _CONVERSION_CTE
    + """, matched AS (
    SELECT DISTINCT ON (conv.id) conv.*, ru.id AS rule_id
    FROM conv
    JOIN crossborder_profitsharerule ru
      ON ru.bank_id = conv.bank_id AND ru.status = 'active' AND ru.revenue_type = conv.rule_type
     AND (ru.fee_type = '' OR ru.fee_type = conv.rule_fee_type)
     AND ru.effective_from <= conv.rule_day AND (ru.effective_to IS NULL OR ru.effective_to >= conv.rule_day)
    ORDER BY conv.id, ru.priority DESC, ru.id
), shares AS (
    SELECT m.*, s.position, s.side, s.manager_id, s.percentage, s.fixed_amount_minor,
           abs(m.converted) AS magnitude, sign(m.converted) AS sgn,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY m.id ORDER BY s.position
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS fixed_before,
           COALESCE(SUM(s.fixed_amount_minor) OVER (PARTITION BY m.id), 0) AS fixed_total
    FROM matched m JOIN crossborder_ruleshare s ON s.rule_id = m.rule_id
), """
    + _ALLOCATION_CTE
)


STATEMENT_SQL = (
    _SHARES_CTE
    + """
INSERT INTO crossborder_profitstatementline (
    statement_id, event_id, rule_id, position, side, branch_id, manager_id, event_amount_minor,
    event_currency, converted_minor, amount_minor, fx_rate_id, fx_rate_value, fx_rate_date, reversal_reason)
SELECT st.id, r.id, r.rule_id, r.position, r.side,
       CASE r.side WHEN 'originating' THEN r.originating_branch_id ELSE r.servicing_branch_id END,
       r.manager_id, r.amount_minor, r.currency, r.converted,
       r.sgn * (r.base_part + CASE WHEN r.percentage IS NOT NULL AND r.remainder_rank <= r.leftover THEN 1 ELSE 0 END),
       r.rate_id, r.rate_value, r.rate_date, r.reversal_reason
FROM ranked r
JOIN crossborder_profitstatement st
  ON st.bank_id = r.bank_id AND st.counterpart_id = r.counterpart_id AND st.period = %(start)s
ORDER BY r.id, r.position
"""
)


def _params(bank, period):
    start, end, last = month_bounds(period)
    return {"bank": bank.pk, "start": start, "end": end, "last": last, "currency": bank.base_currency}


def _check_rates(bank, params):
    """Every event currency needs a posted rate on or before the period's last day."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT e.currency FROM crossborder_revenueevent e
               WHERE e.bank_id = %(bank)s AND e.booked_on >= %(start)s AND e.booked_on < %(end)s
                 AND e.currency <> %(currency)s
                 AND NOT EXISTS (SELECT 1 FROM customers_fxrate r WHERE r.bank_id = %(bank)s
                                 AND r.currency = e.currency AND r.as_of <= %(last)s)
               ORDER BY 1""",
            params,
        )
        missing = [row[0] for row in cursor.fetchall()]
    if missing:
        raise StatementError(
            _("No rate of %(currencies)s posted on or before %(day)s: post it, then compute the statement again.")
            % {"currencies": ", ".join(missing), "day": params["last"].isoformat()}
        )


def _refuse_if_settled(statement):
    if statement.status == ProfitStatement.Status.LOCKED:
        raise StatementError(_("The statement of %(period)s is locked: it cannot be computed again.") % {"period": statement})
    if statement.originating_approved_at or statement.servicing_approved_at or _pending_requests(statement):
        raise StatementError(
            _("The statement of %(period)s is being approved: withdraw the approvals before computing it again.")
            % {"period": statement}
        )


def _pending_requests(statement):
    ids = [pk for pk in (statement.originating_request_id, statement.servicing_request_id) if pk]
    return ids and ChangeRequest.objects.filter(pk__in=ids, status=ChangeRequest.Status.PENDING).exists()


@transaction.atomic
def compute_statement(bank, period):
    """(Re)compute the bank's statements of the month of `period` (one per counterpart bank):
    the lines are deleted and inserted again by one INSERT ... SELECT, so a rerun over the same
    events, rules and rates writes the same statement. Refuses a locked statement or one being
    approved. Returns {"statements": n, "lines": n, "events_without_rule": n}."""
    bank = bank if isinstance(bank, Bank) else Bank.objects.get(pk=bank)
    params = _params(bank, period)
    _check_rates(bank, params)
    counterparts = set(
        RevenueEvent.objects.filter(bank=bank, booked_on__gte=params["start"], booked_on__lt=params["end"])
        .values_list("servicing_branch__bank_id", flat=True)
        .distinct()
    )
    existing = {
        s.counterpart_id: s
        for s in ProfitStatement.objects.select_for_update().filter(bank=bank, period=params["start"]).order_by("counterpart_id")
    }
    for statement in existing.values():
        _refuse_if_settled(statement)
    ProfitStatement.objects.bulk_create(
        ProfitStatement(bank=bank, counterpart_id=counterpart, period=params["start"], currency=bank.base_currency)
        for counterpart in sorted(counterparts - set(existing))
    )
    statements = ProfitStatement.objects.filter(bank=bank, period=params["start"])
    with connection.cursor() as cursor:
        # One DELETE in SQL: the lines are derived rows (the ORM's delete would fetch them all
        # into Python first, for the audit's delete signals).
        cursor.execute(
            """DELETE FROM crossborder_profitstatementline l USING crossborder_profitstatement st
               WHERE st.id = l.statement_id AND st.bank_id = %(bank)s AND st.period = %(start)s""",
            params,
        )
        cursor.execute(STATEMENT_SQL, params)
        lines = cursor.rowcount
        cursor.execute(
            """UPDATE crossborder_profitstatement st SET currency = %(currency)s,
                      total_minor = COALESCE((SELECT SUM(amount_minor) FROM crossborder_profitstatementline l
                                              WHERE l.statement_id = st.id), 0)
               WHERE st.bank_id = %(bank)s AND st.period = %(start)s""",
            params,
        )
        # Events of the month minus the events that got lines (each event's lines are in one statement).
        cursor.execute(
            """SELECT (SELECT COUNT(*) FROM crossborder_revenueevent e
                       WHERE e.bank_id = %(bank)s AND e.booked_on >= %(start)s AND e.booked_on < %(end)s)
                    - (SELECT COUNT(DISTINCT l.event_id) FROM crossborder_profitstatementline l
                       JOIN crossborder_profitstatement st ON st.id = l.statement_id
                       WHERE st.bank_id = %(bank)s AND st.period = %(start)s)""",
            params,
        )
        without_rule = cursor.fetchone()[0]
    return {"statements": statements.count(), "lines": lines, "events_without_rule": without_rule}


def canonical_dump(statement):
    """The statement as text, without row ids: what "byte-identical on rerun" compares."""
    header = f"{statement.bank_id}|{statement.counterpart_id}|{statement.period}|{statement.currency}|{statement.total_minor}"
    rows = (
        ProfitStatementLine.objects.filter(statement=statement)
        .order_by("event_id", "position")
        .values_list(
            "event_id",
            "rule_id",
            "position",
            "side",
            "branch_id",
            "manager_id",
            "event_amount_minor",
            "event_currency",
            "converted_minor",
            "amount_minor",
            "fx_rate_id",
            "fx_rate_value",
            "fx_rate_date",
            "reversal_reason",
        )
    )
    return "\n".join([header, *("|".join("" if v is None else str(v) for v in row) for row in rows)])


def compute_scope(run, scope):
    """The job's work for one bank: after the bank's local month end (the business date is the
    local yesterday), compute the month that ended; other days there is nothing to do."""
    if (scope.business_date + datetime.timedelta(days=1)).day != 1:
        run.count(statements=0)
        return
    summary = compute_statement(scope.bank_id, scope.business_date)
    run.count(statements=summary["statements"], lines=summary["lines"], events_without_rule=summary["events_without_rule"])


# --- approval by both sides ----------------------------------------------------------------


def _side_bank_id(statement, side):
    return statement.bank_id if side == Side.ORIGINATING else statement.counterpart_id


@transaction.atomic
def submit_statement_approval(statement_id, side, maker, reason=""):
    """The maker of one side asks a checker of their bank to approve the statement for that side."""
    statement = ProfitStatement.objects.visible_to(maker).select_for_update().filter(pk=statement_id).first()
    if statement is None:
        raise NotVisible
    if side not in Side.values:
        raise ValidationError({"side": _("Choose the side.")})
    if maker.bank_id != _side_bank_id(statement, side) and not maker.is_superuser:
        raise PermissionDenied(_("Only the %(side)s approves for that side.") % {"side": Side(side).label})
    if statement.status == ProfitStatement.Status.LOCKED:
        raise ValidationError(_("The statement is locked already."))
    field = f"{side}_request"
    current = getattr(statement, field)
    if getattr(statement, f"{side}_approved_at") or (current and current.status == ChangeRequest.Status.PENDING):
        raise ValidationError(_("This side has already approved or asked for approval."))
    request = approvals.submit(
        action=ACTION_APPROVE_STATEMENT,
        obj=statement,
        maker=maker,
        bank_id=_side_bank_id(statement, side),
        reason=reason,
        payload={"statement": statement.pk, "side": side},
        changes={"total_minor": [None, statement.total_minor]},
    )
    setattr(statement, field, request)
    statement.save(update_fields=[field])
    return statement


def apply_statement_approval(change_request, checker):
    """Inside approvals.approve's transaction: the side approves; both sides approved: locked."""
    side = change_request.payload.get("side")
    statement = ProfitStatement.objects.select_for_update().filter(pk=change_request.payload.get("statement")).first()
    if statement is None or getattr(statement, f"{side}_request_id") != change_request.pk:
        raise ValidationError(
            _("The statement of request #%(id)s is no longer waiting for approval.") % {"id": change_request.pk}
        )
    if checker.bank_id != _side_bank_id(statement, side) and not checker.is_superuser:
        raise PermissionDenied(_("Only the %(side)s approves for that side.") % {"side": Side(side).label})
    setattr(statement, f"{side}_approved_at", timezone.now())
    if statement.originating_approved_at and statement.servicing_approved_at:
        statement.status = ProfitStatement.Status.LOCKED
    statement.save(update_fields=[f"{side}_approved_at", "status"])


def dispute_statement(change_request, checker):
    """on_reject of a side's approval (a dispute, decided in the approvals inbox with its reason):
    the statement opens again for correction — both sides' approvals are cleared and the other
    side's pending request is cancelled, so it can be computed again and approved anew — and the
    dispute is written to both banks' audit logs."""
    side = change_request.payload.get("side")
    statement = ProfitStatement.objects.select_for_update().filter(pk=change_request.payload.get("statement")).first()
    if statement is None or getattr(statement, f"{side}_request_id") != change_request.pk:
        return
    if statement.status == ProfitStatement.Status.LOCKED:
        raise ValidationError(_("The statement is locked already."))
    other = Side.SERVICING if side == Side.ORIGINATING else Side.ORIGINATING
    other_request = getattr(statement, f"{other}_request")
    if other_request is not None and other_request.status == ChangeRequest.Status.PENDING:
        approvals.cancel(other_request.pk, checker, _("The other side disputed the statement."))
    statement.originating_approved_at = statement.servicing_approved_at = None
    statement.save(update_fields=["originating_approved_at", "servicing_approved_at"])
    for bank_id in {statement.bank_id, statement.counterpart_id}:
        audit.record(
            AuditLog.Action.OTHER,
            statement,
            actor=checker,
            bank_id=bank_id,
            detail={"step": "disputed", "side": side, "change_request": change_request.pk},
        )


def register_approvals():
    approvals.register(
        ACTION_ACTIVATE_RULE,
        apply=apply_rule_activation,
        on_reject=reject_rule_activation,
        checker_perm="crossborder.approve_profitsharerule",
        label=gettext_lazy("Activate a profit-sharing rule"),
    )
    approvals.register(
        ACTION_APPROVE_STATEMENT,
        apply=apply_statement_approval,
        on_reject=dispute_statement,
        checker_perm="crossborder.approve_profitstatement",
        label=gettext_lazy("Approve a profit statement"),
    )


def visible_lines(user, statement):
    """A statement's lines as the user may see them: the whole statement for the bank's staff of
    bank scope; a branch supervisor the lines of their subtree's branches."""
    lines = ProfitStatementLine.objects.filter(statement=statement)
    if user.is_superuser or user.has_perm("sysadmin.scope_bank"):
        return lines
    if user.has_perm("sysadmin.scope_subtree") and user.branch_id:
        return lines.filter(branch__in=Branch.objects.subtree(user.branch))
    return lines.none()
