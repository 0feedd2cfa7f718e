"""The rate board's services: manual posting with maker-checker (nothing changes before the
approval, a maker never approves their own), the stale warning by parameter, the converter's
arithmetic to the cent."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from customers.fx import services
from customers.master.models import FxRate
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.parameters import services as parameters
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

QUOTE = {
    "rate": Decimal("7.1000"),
    "buy_transfer": Decimal("7.0890"),
    "sell_transfer": Decimal("7.1110"),
    "buy_cash": Decimal("7.0430"),
    "sell_cash": Decimal("7.1110"),
}


@pytest.fixture
def checker(org):
    return make_staff("a.pm2", branch=org.a_ho, roles=["product_manager"])


def post(bank, rate, minutes_ago=0, currency="USD"):
    return FxRate.objects.create(
        bank=bank, currency=currency, rate=Decimal(rate), effective_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )


# --- maker-checker ------------------------------------------------------------------------------


def test_a_posting_changes_nothing_until_a_checker_approves_it(org, checker):
    request = services.request_posting(org.bank_a, org.product_manager, "usd", QUOTE, reason="Morning fixing")
    assert request.status == ChangeRequest.Status.PENDING and request.action == services.ACTION_POST
    assert not FxRate.objects.exists()
    assert services.board(org.bank_a).rates == []
    assert request.changes["rate"] == [None, "7.1000"]
    assert AuditLog.objects.filter(detail__event="fx_posting_requested", detail__change_request=request.pk).exists()
    # The request waits in the checker's inbox, not in the maker's own.
    assert approvals.pending_for_checker(checker).filter(pk=request.pk).exists()
    assert not approvals.pending_for_checker(org.product_manager).filter(pk=request.pk).exists()

    approvals.approve(request.pk, checker)
    rate = FxRate.objects.get()
    assert (rate.currency, rate.rate, rate.buy_cash, rate.sell_transfer) == (
        "USD",
        QUOTE["rate"],
        QUOTE["buy_cash"],
        QUOTE["sell_transfer"],
    )
    assert rate.source == FxRate.Source.MANUAL and rate.posted_by == org.product_manager and rate.approved_by == checker
    assert rate.reference == f"CR-{request.pk}"
    assert abs(rate.effective_at - timezone.now()) < datetime.timedelta(minutes=1)
    assert [r.pk for r in services.board(org.bank_a).rates] == [rate.pk]
    assert AuditLog.objects.filter(detail__event="fx_rate_posted", object_id=str(rate.pk)).count() == 1


def test_a_maker_cannot_approve_their_own_posting(org):
    request = services.request_posting(org.bank_a, org.product_manager, "USD", QUOTE)
    with pytest.raises(PermissionDenied, match="cannot decide your own request"):
        approvals.approve(request.pk, org.product_manager)
    assert not FxRate.objects.exists()
    assert ChangeRequest.objects.get(pk=request.pk).status == ChangeRequest.Status.PENDING


def test_another_banks_administrator_never_sees_the_request(org):
    request = services.request_posting(org.bank_a, org.product_manager, "USD", QUOTE)
    assert not approvals.pending_for_checker(org.b_admin).filter(pk=request.pk).exists()
    with pytest.raises(NotVisible):
        approvals.approve(request.pk, org.b_admin)
    assert not FxRate.objects.exists()


def test_a_rejected_posting_writes_nothing(org, checker):
    request = services.request_posting(org.bank_a, org.product_manager, "USD", QUOTE)
    approvals.reject(request.pk, checker, "Wrong fixing")
    assert not FxRate.objects.exists()


def test_only_the_posting_role_of_the_same_bank_may_ask(org):
    with pytest.raises(PermissionDenied):
        services.request_posting(org.bank_a, org.manager, "USD", QUOTE)
    with pytest.raises(PermissionDenied):
        services.request_posting(org.bank_b, org.product_manager, "USD", QUOTE)
    assert not ChangeRequest.objects.exists()


def test_someone_without_the_checker_permission_may_not_approve(org):
    request = services.request_posting(org.bank_a, org.product_manager, "USD", QUOTE)
    with pytest.raises(PermissionDenied):
        approvals.approve(request.pk, org.marketing_manager)  # sees the bank's requests, may not decide this one
    assert not FxRate.objects.exists()


@pytest.mark.parametrize(
    ("currency", "quote", "field"),
    [
        ("XYZ", QUOTE, "currency"),
        ("CNY", QUOTE, "currency"),  # bank A's base currency
        ("USD", {**QUOTE, "rate": None}, "rate"),
        ("USD", {**QUOTE, "buy_transfer": Decimal("7.2")}, "buy_transfer"),
        ("USD", {**QUOTE, "buy_cash": Decimal("7.2")}, "buy_cash"),
        ("USD", {**QUOTE, "sell_transfer": Decimal("7.0")}, "sell_transfer"),
        ("USD", {**QUOTE, "sell_cash": Decimal("7.0")}, "sell_cash"),
        ("USD", {**QUOTE, "rate": Decimal("0")}, "rate"),
        ("USD", {**QUOTE, "rate": Decimal("7.123456789")}, "rate"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(org, currency, quote, field):
    with pytest.raises(ValidationError) as caught:
        services.request_posting(org.bank_a, org.product_manager, currency, quote)
    assert field in caught.value.error_dict
    assert not ChangeRequest.objects.exists()


def test_a_future_effective_time_waits_and_a_passed_one_takes_effect_at_approval(org, checker):
    later = timezone.now() + datetime.timedelta(hours=2)
    request = services.request_posting(org.bank_a, org.product_manager, "USD", QUOTE, effective_at=later)
    approvals.approve(request.pk, checker)
    assert FxRate.objects.get().effective_at == later
    assert services.board(org.bank_a).rates == []  # not in force yet
    assert len(services.board(org.bank_a, now=later).rates) == 1

    past = timezone.now() - datetime.timedelta(hours=2)
    request = services.request_posting(org.bank_a, org.product_manager, "HKD", {"rate": Decimal("0.91")}, effective_at=past)
    approvals.approve(request.pk, checker)
    assert FxRate.objects.get(currency="HKD").effective_at > past + datetime.timedelta(hours=1)


# --- the board and its stale warning -------------------------------------------------------------


def test_the_board_shows_the_latest_posting_of_each_currency_of_the_bank_only(org):
    post(org.bank_a, "7.0", minutes_ago=120)
    newest = post(org.bank_a, "7.1", minutes_ago=10)
    FxRate.objects.create(bank=org.bank_a, currency="CNY", rate=1, effective_at=timezone.now())  # the base currency
    FxRate.objects.create(bank=org.bank_b, currency="EUR", rate=Decimal("8.4"), effective_at=timezone.now())
    board = services.board(org.bank_a)
    assert [r.pk for r in board.rates] == [newest.pk]
    assert board.as_of == newest.effective_at and not board.stale


def test_the_stale_warning_follows_the_parameter(org):
    post(org.bank_a, "7.1", minutes_ago=5 * 60)
    assert not services.board(org.bank_a).stale  # default: 24 hours
    parameters.set_value("fx.stale_after_hours", "4", bank=org.bank_a, actor=org.admin)
    board = services.board(org.bank_a)
    assert board.stale and board.stale_hours == 4
    assert not services.board(org.bank_b).rates and services.board(org.bank_b).stale  # nothing posted: stale too


# --- the converter -----------------------------------------------------------------------------


@pytest.fixture
def rates(org):
    now = timezone.now() - datetime.timedelta(minutes=1)
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("7.1000"), buy_transfer=Decimal("7.0893"),
        sell_transfer=Decimal("7.1107"), buy_cash=Decimal("7.0432"), sell_cash=Decimal("7.1107"), effective_at=now,
    )  # fmt: skip
    FxRate.objects.create(
        bank=org.bank_a, currency="JPY", rate=Decimal("0.0475"), buy_transfer=Decimal("0.0473"),
        sell_transfer=Decimal("0.0477"), effective_at=now,
    )  # fmt: skip
    return services.board(org.bank_a)


def test_foreign_to_base_at_the_buying_rate(org, rates):
    result = services.convert(org.bank_a, Decimal("1234.56"), "USD", "CNY", "transfer", board_=rates)
    assert result.result == Decimal("8752.17")  # 1234.56 × 7.0893 = 8752.1662...
    assert [(leg.field, leg.side) for leg in result.legs] == [("buy_transfer", "buy")]
    cash = services.convert(org.bank_a, Decimal("1234.56"), "USD", "CNY", "cash", board_=rates)
    assert cash.result == Decimal("8695.25")  # 1234.56 × 7.0432 = 8695.2529...


def test_base_to_foreign_at_the_selling_rate(org, rates):
    result = services.convert(org.bank_a, Decimal("10000.00"), "CNY", "USD", "transfer", board_=rates)
    assert result.result == Decimal("1406.33")  # 10000 / 7.1107 = 1406.3313...
    assert [(leg.field, leg.side) for leg in result.legs] == [("sell_transfer", "sell")]


def test_cross_currency_and_a_currency_without_cents(org, rates):
    result = services.convert(org.bank_a, Decimal("100.00"), "USD", "JPY", "transfer", board_=rates)
    assert result.result == Decimal("14862")  # 100 × 7.0893 / 0.0477 = 14862.26...
    assert [leg.field for leg in result.legs] == ["buy_transfer", "sell_transfer"]


def test_half_to_even_rounding(org):
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("1.005"), buy_transfer=Decimal("1.005"), effective_at=timezone.now()
    )
    board = services.board(org.bank_a)
    assert services.convert(org.bank_a, Decimal("1.00"), "USD", "CNY", board_=board).result == Decimal("1.00")  # 1.005 → 1.00
    assert services.convert(org.bank_a, Decimal("3.00"), "USD", "CNY", board_=board).result == Decimal("3.02")  # 3.015 → 3.02


@pytest.mark.parametrize(
    ("amount", "source", "target", "channel", "field"),
    [
        (Decimal("0"), "USD", "CNY", "transfer", "amount"),
        (Decimal("10"), "USD", "USD", "transfer", "to_currency"),
        (Decimal("10"), "EUR", "CNY", "transfer", "from_currency"),  # nothing posted
        (Decimal("10"), "JPY", "CNY", "cash", "channel"),  # no cash rate posted for JPY
        (Decimal("10"), "USD", "CNY", "cheque", "channel"),
    ],
)
def test_the_converter_names_what_is_missing(org, rates, amount, source, target, channel, field):
    with pytest.raises(ValidationError) as caught:
        services.convert(org.bank_a, amount, source, target, channel, board_=rates)
    assert field in caught.value.error_dict
