"""The rate board (牌价): posted exchange rates of a bank, read and posted.

A posted rate is one `customers.master.models.FxRate` row: a currency against the bank's base
currency, its middle rate (the one the AUM computations read), the bank's buying and selling
rates for transfers and for cash, the time it takes effect (UTC), its source (a rates feed or a
manual posting) and who posted it. Rates reach the table in two ways only:

* a manual posting: `request_posting()` (permission customers.post_fxrate) submits a change
  request ("fx.post_rate"); nothing is written until a different person with
  customers.approve_fxrate approves it in the approvals inbox (`apply_posting`);
* a rates file through the feeds pre-processing layer (feed `fx_rates`,
  customers/ecif/feeds/loaders.py `load_fx_rates`, docs/feeds.md).

The board shows, per currency, the latest posting in force (effective_at <= now); the converter
works on those rates with Decimal arithmetic (docs/fx.md says which side of the board each
direction uses, and how the result is rounded)."""

import dataclasses
import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.ecif.feeds.formats import CURRENCIES
from customers.fx import events
from customers.master.models import FxRate
from ocrm import parameters
from ocrm.approvals import services as approvals
from ocrm.audit import services as audit
from sysadmin.org.models import Bank

ACTION_POST = "fx.post_rate"
POST_PERM = "customers.post_fxrate"
CHECKER_PERM = "customers.approve_fxrate"
VIEW_PERM = "customers.view_fxrate"

# The board's quoted figures, in the order a board shows them (the middle rate last).
QUOTE_FIELDS = ("buy_transfer", "sell_transfer", "buy_cash", "sell_cash", "rate")
RATE_PLACES = 8
MAX_RATE = Decimal("1e9")

# Minor units of the currencies that do not have two (ISO 4217); every other has two.
MINOR_UNITS = {
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "PYG": 0, "UGX": 0, "XAF": 0, "XOF": 0, "XPF": 0, "KMF": 0,
    "RWF": 0, "VUV": 0, "DJF": 0, "GNF": 0, "BIF": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "IQD": 3, "LYD": 3, "TND": 3,
}  # fmt: skip


def register_handlers():
    """Called from CustomersConfig.ready()."""
    approvals.register(
        ACTION_POST,
        apply=apply_posting,
        checker_perm=CHECKER_PERM,
        label=gettext_lazy("Post an exchange rate"),
        field_labels={
            "currency": FxRate._meta.get_field("currency").verbose_name,
            "effective_at": FxRate._meta.get_field("effective_at").verbose_name,
            **{name: FxRate._meta.get_field(name).verbose_name for name in QUOTE_FIELDS},
        },
    )


# --- reading the board ----------------------------------------------------------------------------


def board_rates(bank_id, now=None):
    """The latest posting in force of each currency of the bank (not the base currency), by
    currency: one query."""
    bank_base = Bank.objects.filter(pk=bank_id).values_list("base_currency", flat=True)
    now = now or timezone.now()
    return list(
        FxRate.objects.filter(bank_id=bank_id, effective_at__lte=now)
        .exclude(currency__in=bank_base)
        .select_related("posted_by", "approved_by")
        .order_by("currency", "-effective_at")
        .distinct("currency")
    )


@dataclasses.dataclass
class Board:
    bank: Bank
    rates: list
    as_of: datetime.datetime | None  # the newest effective time among the rates shown
    stale: bool
    stale_hours: int
    refresh_seconds: int

    @property
    def by_currency(self):
        return {rate.currency: rate for rate in self.rates}


def board(bank, now=None):
    """What the board page shows: the rates, their as-of time and whether they are stale (the
    newest is older than the bank's fx.stale_after_hours)."""
    now = now or timezone.now()
    rates = board_rates(bank.pk, now)
    as_of = max((rate.effective_at for rate in rates), default=None)
    stale_hours = parameters.get("fx.stale_after_hours", bank)
    stale = as_of is None or now - as_of > datetime.timedelta(hours=stale_hours)
    return Board(bank, rates, as_of, stale, stale_hours, parameters.get("fx.board_refresh_seconds", bank))


def history(bank_id, currency, days=90, today=None):
    """[(business date, the day's middle rate, buying, selling)] of one currency over the last
    `days` business dates: the latest effective posting of each date, one query."""
    today = today or timezone.localdate()
    rows = (
        FxRate.objects.filter(bank_id=bank_id, currency=currency, as_of__gt=today - datetime.timedelta(days=days))
        .order_by("as_of", "-effective_at")
        .distinct("as_of")
        .values_list("as_of", "rate", "buy_transfer", "sell_transfer")
    )
    return list(rows)


def board_currencies(bank_id):
    """The currencies the bank has ever posted (not its base currency), sorted."""
    return list(
        FxRate.objects.filter(bank_id=bank_id)
        .exclude(currency__in=Bank.objects.filter(pk=bank_id).values("base_currency"))
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )


# --- manual posting (maker-checker) -----------------------------------------------------------------


def _decimal(value, field):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({field: _("Not a number (use a dot as the decimal separator).")}) from None
    if not number.is_finite() or number <= 0 or number >= MAX_RATE:
        raise ValidationError({field: _("A rate is a positive number below one billion.")})
    if number.as_tuple().exponent < -RATE_PLACES:
        raise ValidationError({field: _("At most %(places)d decimals.") % {"places": RATE_PLACES}})
    return number


def check_quote(bank, currency, quote):
    """The posted figures as Decimals ({field: Decimal or None}), or ValidationError naming the
    field: a known currency other than the base currency, a middle rate, every buying rate at or
    below it and every selling rate at or above it."""
    currency = (currency or "").strip().upper()
    if currency not in CURRENCIES:
        raise ValidationError({"currency": _("Not an ISO 4217 currency code.")})
    if currency == bank.base_currency:
        raise ValidationError({"currency": _("The bank's base currency has no rate against itself.")})
    values = {field: _decimal(quote.get(field), field) for field in QUOTE_FIELDS}
    middle = values["rate"]
    if middle is None:
        raise ValidationError({"rate": _("The middle rate is required.")})
    errors = {}
    for field in ("buy_transfer", "buy_cash"):
        if values[field] is not None and values[field] > middle:
            errors[field] = _("A buying rate may not be above the middle rate.")
    for field in ("sell_transfer", "sell_cash"):
        if values[field] is not None and values[field] < middle:
            errors[field] = _("A selling rate may not be below the middle rate.")
    if errors:
        raise ValidationError(errors)
    return currency, values


def _shown(value):
    return None if value is None else str(value)


@transaction.atomic
def request_posting(bank, maker, currency, quote, effective_at=None, reason=""):
    """Ask for a manual posting of `currency`: a pending change request for a checker. Nothing
    is written to the board before it is approved. `effective_at` (aware, optional): when it
    takes effect; empty or already passed at approval, it takes effect when approved."""
    if not maker.has_perm(POST_PERM) or maker.bank_id != bank.pk:
        raise PermissionDenied(_("You may not post exchange rates of this bank."))
    currency, values = check_quote(bank, currency, quote)
    if effective_at is not None and timezone.is_naive(effective_at):
        raise ValidationError({"effective_at": _("Give the time with its time zone.")})
    current = board(bank).by_currency.get(currency)
    changes = {"currency": [None, currency]}
    for field in QUOTE_FIELDS:
        changes[field] = [_shown(getattr(current, field, None)), _shown(values[field])]
    changes["effective_at"] = [None, effective_at.isoformat() if effective_at else None]
    payload = {
        "currency": currency,
        "quote": {field: _shown(value) for field, value in values.items()},
        "effective_at": effective_at.isoformat() if effective_at else None,
    }
    change_request = approvals.submit(
        action=ACTION_POST,
        obj=bank,
        changes=changes,
        maker=maker,
        bank_id=bank.pk,
        payload=payload,
        reason=reason,
    )
    change_request.object_repr = f"{currency}/{bank.base_currency} {values['rate']}"
    change_request.save(update_fields=["object_repr"])
    events.posting_requested(bank, change_request, maker)
    return change_request


def apply_posting(change_request, checker):
    """The approved posting, written (called by ocrm.approvals.approve inside its transaction)."""
    bank = Bank.objects.get(pk=change_request.bank_id)
    payload = change_request.payload
    currency, values = check_quote(bank, payload["currency"], payload["quote"])
    now = timezone.now()
    effective_at = datetime.datetime.fromisoformat(payload["effective_at"]) if payload.get("effective_at") else now
    rate = FxRate(
        bank=bank,
        currency=currency,
        effective_at=max(effective_at, now),
        source=FxRate.Source.MANUAL,
        posted_by=change_request.maker,
        approved_by=checker,
        reference=f"CR-{change_request.pk}",
        **values,
    )
    try:
        with transaction.atomic(), audit.written_by_event(FxRate):
            rate.save()
    except IntegrityError:
        raise ValidationError(
            {"effective_at": _("A rate of %(currency)s already takes effect at that time.") % {"currency": currency}}
        ) from None
    events.rate_posted(rate, checker, change_request)
    return rate


# --- the converter ------------------------------------------------------------------------------------


class Channel:
    TRANSFER = "transfer"
    CASH = "cash"


@dataclasses.dataclass
class Leg:
    currency: str
    field: str  # the board's column used
    rate: Decimal
    side: str  # "buy": the bank buys the currency from the customer; "sell": the bank sells it

    @property
    def shown_rate(self):
        """The rate exactly as the arithmetic used it (the board rounds its figures for reading)."""
        return format(self.rate.normalize(), "f")


@dataclasses.dataclass
class Conversion:
    amount: Decimal
    from_currency: str
    to_currency: str
    channel: str
    legs: list
    result: Decimal
    unrounded: Decimal
    as_of: datetime.datetime | None


def minor_places(currency):
    return MINOR_UNITS.get(currency, 2)


def _leg(board_, currency, side, channel):
    rate = board_.by_currency.get(currency)
    field = f"{side}_{channel}"
    if rate is None:
        raise ValidationError(
            {"from_currency" if side == "buy" else "to_currency": _("No rate posted for %(c)s.") % {"c": currency}}
        )
    value = getattr(rate, field)
    if value is None:
        raise ValidationError(
            {
                "channel": _("No %(column)s is posted for %(c)s.")
                % {"column": FxRate._meta.get_field(field).verbose_name, "c": currency}
            }
        )
    return Leg(currency, field, value, side), rate.effective_at


def convert(bank, amount, from_currency, to_currency, channel=Channel.TRANSFER, board_=None):
    """What the customer receives in `to_currency` for `amount` of `from_currency` at the board's
    rates. Foreign currency to base: the bank BUYS it (buying rate, multiply). Base to foreign:
    the bank SELLS it (selling rate, divide). Foreign to foreign: bought into the base currency,
    then sold. Cash uses the cash rates, transfers the transfer rates. The result is rounded once,
    at the end, to the target currency's minor unit, half to even (banker's rounding)."""
    board_ = board_ or board(bank)
    base = bank.base_currency
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    if from_currency == to_currency:
        raise ValidationError({"to_currency": _("Choose two different currencies.")})
    if channel not in (Channel.TRANSFER, Channel.CASH):
        raise ValidationError({"channel": _("Choose transfer or cash.")})
    legs, times = [], []
    value = Decimal(amount)
    if from_currency != base:
        leg, at = _leg(board_, from_currency, "buy", channel)
        legs.append(leg)
        times.append(at)
        value = value * leg.rate
    if to_currency != base:
        leg, at = _leg(board_, to_currency, "sell", channel)
        legs.append(leg)
        times.append(at)
        value = value / leg.rate
    quantum = Decimal(1).scaleb(-minor_places(to_currency))
    return Conversion(
        amount=Decimal(amount),
        from_currency=from_currency,
        to_currency=to_currency,
        channel=channel,
        legs=legs,
        result=value.quantize(quantum, rounding=ROUND_HALF_EVEN),
        unrounded=value,
        as_of=max(times) if times else None,
    )
