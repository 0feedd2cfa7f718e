"""Opportunity work: stages per bank (seeded with defaults on first use), create, move (one
locked row, refused when the board the person saw is out of date), win/lose, the board and the
weighted forecast in the bank's base currency. Won credits the owner (marketing.credits)."""

import collections
import dataclasses
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.fx.services import board_rates
from marketing.credits.services import credit
from marketing.pipeline import stages as stages_module
from marketing.pipeline.models import Opportunity, OpportunityMove, PipelineStage
from ocrm.errors import NotVisible
from workbench import desk

DEFAULT_STAGES = stages_module.DEFAULT_STAGES


def stages(bank_id):
    """The bank's active stages in board order; the defaults are written the first time."""
    found = list(PipelineStage.objects.filter(bank_id=bank_id, is_active=True).order_by("position", "pk"))
    if found:
        return found
    with transaction.atomic():
        for position, (code, probability, outcome) in enumerate(DEFAULT_STAGES):
            PipelineStage.objects.get_or_create(
                bank_id=bank_id,
                code=code,
                defaults={
                    "name": stages_module.DEFAULT_NAMES[code][0],
                    "position": position,
                    "probability": probability,
                    "outcome": outcome,
                },
            )
    return list(PipelineStage.objects.filter(bank_id=bank_id, is_active=True).order_by("position", "pk"))


def _check_owner(customer, owner):
    if owner.bank_id != customer.bank_id:
        raise ValidationError({"owner": _("The manager must belong to the customer's bank.")})


def create_opportunity(
    *,
    customer,
    owner,
    title,
    amount,
    currency,
    expected_close,
    actor=None,
    product=None,
    stage=None,
    next_step="",
    source=Opportunity.Source.MANUAL,
    source_ref="",
):
    _check_owner(customer, owner)
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    currency = (currency or "").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Use a three-letter ISO 4217 code.")})
    open_stages = [s for s in stages(customer.bank_id) if s.outcome == PipelineStage.Outcome.OPEN]
    if stage is None:
        stage = open_stages[0]
    elif stage.bank_id != customer.bank_id or stage.outcome != PipelineStage.Outcome.OPEN:
        raise ValidationError({"stage": _("Choose an open stage of this bank.")})
    now = timezone.now()
    with transaction.atomic():
        opportunity = Opportunity.objects.create(
            bank_id=customer.bank_id,
            customer=customer,
            owner=owner,
            title=title,
            product=product,
            amount=amount,
            currency=currency,
            stage=stage,
            probability=stage.probability,
            expected_close=expected_close,
            next_step=next_step,
            source=source,
            source_ref=source_ref[:60],
            moved_at=now,
        )
        OpportunityMove.objects.create(
            opportunity=opportunity, from_stage=None, to_stage=stage, probability=stage.probability, moved_by=actor, moved_at=now
        )
    return opportunity


def open_from_campaign_response(*, customer, manager, campaign_key, title, amount, currency, expected_close, product=None):
    """For the campaigns area: an opportunity from a response ("interested"); once per response key."""
    existing = Opportunity.objects.filter(bank_id=customer.bank_id, source=Opportunity.Source.CAMPAIGN, source_ref=campaign_key)
    found = existing.first()
    if found is not None:
        return found
    return create_opportunity(
        customer=customer,
        owner=manager,
        title=title,
        amount=amount,
        currency=currency,
        expected_close=expected_close,
        product=product,
        source=Opportunity.Source.CAMPAIGN,
        source_ref=campaign_key,
    )


def move(opportunity_id, to_stage_id, actor, *, seen_version, visible, reason=""):
    """Move to another stage: stage, probability, status and the history change together under a
    row lock. `seen_version` is what the person's board showed; another move since then is refused.
    `visible` is the queryset the actor may see (404 outside it). Won credits the owner once."""
    with transaction.atomic():
        opportunity = (
            visible.select_for_update(of=("self",)).filter(pk=opportunity_id).select_related("customer", "owner").first()
        )
        if opportunity is None:
            raise NotVisible
        stage = PipelineStage.objects.filter(pk=to_stage_id, bank_id=opportunity.bank_id, is_active=True).first()
        if stage is None:
            raise ValidationError({"stage": _("This stage does not exist.")})
        if seen_version is not None and int(seen_version) != opportunity.version:
            raise ValidationError(
                {"stage": _("Someone moved this opportunity after your board was loaded. Reload the board and try again.")}
            )
        if opportunity.status != Opportunity.Status.OPEN:
            raise ValidationError({"stage": _("This opportunity is closed.")})
        if stage.pk == opportunity.stage_id:
            return opportunity
        if stage.outcome == PipelineStage.Outcome.LOST and not reason.strip():
            reason = _("Lost on the board")
        now = timezone.now()
        OpportunityMove.objects.create(
            opportunity=opportunity,
            from_stage_id=opportunity.stage_id,
            to_stage=stage,
            probability=stage.probability,
            moved_by=actor,
            moved_at=now,
        )
        opportunity.stage = stage
        opportunity.probability = stage.probability
        opportunity.moved_at = now
        opportunity.version = F("version") + 1
        fields = ["stage", "probability", "moved_at", "version"]
        if stage.outcome != PipelineStage.Outcome.OPEN:
            opportunity.status = stage.outcome
            opportunity.closed_at = now
            opportunity.lost_reason = reason[:200] if stage.outcome == PipelineStage.Outcome.LOST else ""
            fields += ["status", "closed_at", "lost_reason"]
        opportunity.save(update_fields=fields)
        opportunity.refresh_from_db(fields=["version"])
        if stage.outcome == PipelineStage.Outcome.WON:
            credit(
                customer=opportunity.customer,
                manager=opportunity.owner,
                source_key=f"opportunity:{opportunity.pk}",
                credited_at=now,
                product=opportunity.product,
                amount=opportunity.amount,
                currency=opportunity.currency,
                actor=actor,
            )
    return opportunity


@dataclasses.dataclass
class Column:
    stage: PipelineStage
    cards: list
    count: int = 0
    total: Decimal = Decimal(0)

    @property
    def hidden(self):
        return self.count - len(self.cards)


# Cards drawn per column: a 5,000-card board stays one screen of HTML; the rest are counted and
# reached through the list (filtered by stage).
CARDS_PER_COLUMN = 50


def board(visible, bank_id, owner_ids=None, per_column=CARDS_PER_COLUMN):
    """The board's columns: the stages with their open opportunities (the first `per_column`
    by close date, and every card counted and summed); won and lost are drop targets. Two
    queries plus the stages, whatever the number of cards."""
    columns = [Column(stage, []) for stage in stages(bank_id)]
    by_stage = {column.stage.pk: column for column in columns}
    qs = visible.open().filter(bank_id=bank_id)
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=owner_ids)
    for row in qs.values("stage_id").annotate(n=Count("id"), total=Sum("amount")).order_by():
        if row["stage_id"] in by_stage:
            by_stage[row["stage_id"]].count = row["n"]
            by_stage[row["stage_id"]].total = row["total"]
    ranked = qs.annotate(
        rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=[F("expected_close").asc(), F("pk").asc()])
    ).filter(rank__lte=per_column)
    fields = ("title", "stage_id", "amount", "currency", "probability", "expected_close", "next_step", "version")
    cards = ranked.select_related("customer", "owner").only(*fields, "customer__number", "owner__username")
    for opportunity in cards.order_by("expected_close", "pk"):
        column = by_stage.get(opportunity.stage_id)
        if column is not None:
            column.cards.append(opportunity)
    return columns


def base_rates(bank):
    """{currency: middle rate to the base currency} in force now; the base currency is 1."""
    rates = {rate.currency: rate.rate for rate in board_rates(bank.pk)}
    rates[bank.base_currency] = Decimal(1)
    return rates


def forecast(visible, bank, group_by="owner__username", months=12, today=None):
    """Weighted amount (amount × probability) of the open opportunities by close month and by
    `group_by` (owner__username or owner__branch__name_local), in the bank's base currency at today's
    middle rates. Currencies without a rate are reported, not silently dropped."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    rows = (
        visible.open()
        .filter(bank_id=bank.pk)
        .annotate(month=TruncMonth("expected_close"))
        .values("month", "currency", group_by)
        .annotate(weighted=Sum(F("amount") * F("probability") / 100))
        .order_by()
    )
    rates = base_rates(bank)
    table = collections.defaultdict(lambda: collections.defaultdict(Decimal))
    missing = set()
    month_keys = set()
    for row in rows:
        rate = rates.get(row["currency"])
        if rate is None:
            missing.add(row["currency"])
            continue
        month = row["month"]
        if hasattr(month, "date"):
            month = month.date()
        month = max(month, first)  # overdue closes count in this month
        month_keys.add(month)
        table[row[group_by] or "—"][month] += (row["weighted"] * rate).quantize(Decimal("0.01"))
    month_list = sorted(month_keys)[:months]
    return {
        "currency": bank.base_currency,
        "months": month_list,
        "rows": [(name, [table[name].get(m, Decimal(0)) for m in month_list]) for name in sorted(table)],
        "missing_rates": sorted(missing),
    }


def stale(bank_id, days, now=None):
    now = now or timezone.now()
    return Opportunity.objects.open().filter(bank_id=bank_id, moved_at__lt=now - datetime.timedelta(days=days))


def moves_and_wins(person, start, end):
    """The work report's line: the opportunities the person moved, and won, between two instants (one query)."""
    moves = list(
        OpportunityMove.objects.filter(moved_by=person, moved_at__gte=start, moved_at__lt=end, from_stage__isnull=False)
        .select_related("opportunity", "to_stage")
        .order_by("moved_at", "pk")
    )
    won = [move for move in moves if move.to_stage.outcome == PipelineStage.Outcome.WON]
    return [
        desk.ActivityLine(
            kind="opportunities",
            label=_("Opportunities moved"),
            count=len(moves),
            details=[f"{move.opportunity.title} → {move.to_stage.label}" for move in moves],
        ),
        desk.ActivityLine(
            kind="opportunities_won",
            label=_("Opportunities won"),
            count=len(won),
            details=[move.opportunity.title for move in won],
        ),
    ]
