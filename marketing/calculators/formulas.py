"""Investment calculators (投资试算器): the bank's published formulas in Decimal arithmetic.

Pure Python, no database and no floats. Every money figure is rounded to the cent with the
bank's rounding rule (parameter calculators.rounding, passed in as `rounding`), once per figure a
customer sees; intermediate values keep Decimal's full precision. docs/calculators.md lists
the formulas."""

import calendar
import dataclasses
import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
TWELVE = Decimal("12")

ROUNDING_MODES = {"HALF_UP": ROUND_HALF_UP, "HALF_EVEN": ROUND_HALF_EVEN}
DEFAULT_ROUNDING = "HALF_UP"


def rounding_mode(name):
    """The decimal rounding constant of a rule's name (HALF_UP or HALF_EVEN)."""
    try:
        return ROUNDING_MODES[name]
    except KeyError:
        raise ValueError(f"Unknown rounding rule {name!r}") from None


def money(value, rounding=ROUND_HALF_UP):
    return number(value).quantize(CENT, rounding=rounding)


def _precise():
    """A context precise enough for (1 + i)^n over 50 years of months."""
    return localcontext(prec=40)


def number(value):
    """A Decimal of an int, a str or a Decimal; floats are refused (their binary error would reach the cents)."""
    if isinstance(value, float):
        raise TypeError("Pass a Decimal, an int or a str, not a float")
    return Decimal(value)


# --- day counts ------------------------------------------------------------------------------------

ACT_365F = "ACT/365F"
ACT_360 = "ACT/360"
THIRTY_360 = "30/360"
DAY_COUNTS = (ACT_365F, ACT_360, THIRTY_360)


def day_count(convention, start, end):
    """Days between two dates under a convention (ACT counts every calendar day, 29 February
    included; 30/360 is the bond basis: a 31st counts as the 30th, the end's 31st only when the
    start is on the 30th or 31st)."""
    if convention in (ACT_365F, ACT_360):
        return (end - start).days
    if convention == THIRTY_360:
        d1 = min(start.day, 30)
        d2 = end.day
        if d2 == 31 and d1 == 30:
            d2 = 30
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
    raise ValueError(f"Unknown day count {convention!r}")


def year_fraction(convention, start, end):
    """The fraction of a year between two dates: ACT/365F divides actual days by 365 (also in a
    leap year), ACT/360 by 360, 30/360 its 30-day months by 360."""
    basis = 365 if convention == ACT_365F else 360
    with _precise():
        return Decimal(day_count(convention, start, end)) / Decimal(basis)


def add_months(day, months):
    """The same day `months` later, the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- time deposits ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DepositResult:
    maturity: datetime.date
    days: int
    interest: Decimal
    total: Decimal
    early_date: datetime.date | None = None
    early_days: int | None = None
    early_interest: Decimal | None = None
    early_total: Decimal | None = None
    interest_lost: Decimal | None = None


def time_deposit(
    principal,
    annual_rate_percent,
    start,
    term_months,
    *,
    compound=False,
    convention=ACT_365F,
    demand_rate_percent=None,
    withdraw_on=None,
    rounding=ROUND_HALF_UP,
):
    """A time deposit held to maturity and, when `withdraw_on` is given, withdrawn early.

    Simple: interest = principal × rate × year fraction(start, maturity).
    Compound: the deposit rolls over every year of the term at the same rate (principal and
    interest reinvested), the last part-year simple: principal × (1 + r)^years × (1 + r × rest) − principal.
    Early withdrawal: the whole term is lost; interest at the demand rate for the days held,
    simple, under the same day count."""
    principal = number(principal)
    rate = number(annual_rate_percent) / HUNDRED
    maturity = add_months(start, term_months)
    with _precise():
        if compound:
            whole_years = term_months // 12
            rollover = add_months(start, whole_years * 12)
            grown = principal * (ONE + rate) ** whole_years * (ONE + rate * year_fraction(convention, rollover, maturity))
            interest = money(grown - principal, rounding)
        else:
            interest = money(principal * rate * year_fraction(convention, start, maturity), rounding)
    result = {"maturity": maturity, "days": day_count(convention, start, maturity), "interest": interest}
    result["total"] = principal + interest
    if withdraw_on is not None:
        if not start <= withdraw_on < maturity:
            raise ValueError("The early withdrawal date must be on or after the start and before maturity.")
        demand = number(demand_rate_percent or 0) / HUNDRED
        with _precise():
            early = money(principal * demand * year_fraction(convention, start, withdraw_on), rounding)
        result.update(
            early_date=withdraw_on,
            early_days=day_count(convention, start, withdraw_on),
            early_interest=early,
            early_total=principal + early,
            interest_lost=interest - early,
        )
    return DepositResult(**result)


# --- loans -----------------------------------------------------------------------------------------

EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
LOAN_METHODS = (EQUAL_INSTALMENT, EQUAL_PRINCIPAL)


@dataclasses.dataclass(frozen=True)
class Instalment:
    number: int
    due: datetime.date | None
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance: Decimal


@dataclasses.dataclass(frozen=True)
class Schedule:
    method: str
    amount: Decimal
    months: int
    annual_rate_percent: Decimal
    rows: tuple

    @property
    def total_interest(self):
        return sum((row.interest for row in self.rows), ZERO)

    @property
    def total_payment(self):
        return sum((row.payment for row in self.rows), ZERO)

    @property
    def total_principal(self):
        return sum((row.principal for row in self.rows), ZERO)


def level_payment(amount, monthly_rate, months, rounding=ROUND_HALF_UP):
    """等额本息's monthly payment: P × i × (1 + i)^n / ((1 + i)^n − 1), P / n when i = 0."""
    with _precise():
        if monthly_rate == 0:
            return money(amount / months, rounding)
        growth = (ONE + monthly_rate) ** months
        return money(amount * monthly_rate * growth / (growth - ONE), rounding)


def loan_schedule(amount, annual_rate_percent, months, method=EQUAL_INSTALMENT, *, first_due=None, rounding=ROUND_HALF_UP):
    """The full repayment schedule. Each month's interest is the balance × the monthly rate
    (annual / 12), rounded to the cent. 等额本息: the level payment, its principal = payment −
    interest. 等额本金: principal = amount / months rounded. The LAST instalment repays the
    remaining balance exactly, so the principal column sums to the amount to the cent and the
    final balance is 0.00."""
    if method not in LOAN_METHODS:
        raise ValueError(f"Unknown repayment method {method!r}")
    amount = money(amount, rounding)
    annual = number(annual_rate_percent)
    with _precise():
        monthly_rate = annual / HUNDRED / TWELVE
    payment = level_payment(amount, monthly_rate, months, rounding) if method == EQUAL_INSTALMENT else None
    equal_part = money(amount / months, rounding) if method == EQUAL_PRINCIPAL else None
    balance, rows = amount, []
    for nth in range(1, months + 1):
        interest = money(balance * monthly_rate, rounding)
        if nth == months:
            principal = balance
        elif method == EQUAL_INSTALMENT:
            principal = min(max(payment - interest, ZERO), balance)
        else:
            principal = min(equal_part, balance)
        balance -= principal
        due = add_months(first_due, nth - 1) if first_due else None
        rows.append(Instalment(nth, due, principal + interest, principal, interest, balance))
    return Schedule(method, amount, months, annual, tuple(rows))


# --- fund regular investment (定投) ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RegularInvestmentYear:
    year: int
    invested: Decimal
    value: Decimal
    gain: Decimal


def regular_investment(monthly_amount, annual_return_percent, months, rounding=ROUND_HALF_UP):
    """定投: `monthly_amount` invested at the START of each month, growing at the assumed annual
    return compounded monthly (i = r / 12): value = A × ((1 + i)^n − 1) / i × (1 + i); A × n when
    i = 0. Returns (final value, invested, gain, a row per year)."""
    amount = number(monthly_amount)
    with _precise():
        monthly_rate = number(annual_return_percent) / HUNDRED / TWELVE

        def value_after(n):
            if monthly_rate == 0:
                return amount * n
            return amount * ((ONE + monthly_rate) ** n - ONE) / monthly_rate * (ONE + monthly_rate)

        years = []
        for month in [*range(12, months + 1, 12), *([months] if months % 12 else [])]:
            value = money(value_after(month), rounding)
            invested = money(amount * month, rounding)
            years.append(RegularInvestmentYear((month + 11) // 12, invested, value, value - invested))
    final = years[-1]
    return final.value, final.invested, final.gain, tuple(years)


# --- goals ----------------------------------------------------------------------------------------


def monthly_saving_needed(target, months, annual_return_percent, current_savings=ZERO, rounding=ROUND_HALF_UP):
    """The level saving at the END of each month that, with the current savings also growing at
    the assumed return (monthly compounding), reaches `target` after `months`:
    M = (target − S × (1 + i)^n) × i / ((1 + i)^n − 1); (target − S) / n when i = 0; 0.00 when
    the savings alone suffice. Rounded UP to the cent would overshoot by design; the bank's rule applies."""
    target, savings = number(target), number(current_savings)
    with _precise():
        monthly_rate = number(annual_return_percent) / HUNDRED / TWELVE
        if monthly_rate == 0:
            needed = (target - savings) / months
        else:
            growth = (ONE + monthly_rate) ** months
            needed = (target - savings * growth) * monthly_rate / (growth - ONE)
    return money(max(needed, ZERO), rounding)


def future_cost(cost_today, years, inflation_percent, rounding=ROUND_HALF_UP):
    """Today's cost grown by inflation: cost × (1 + inflation)^years."""
    with _precise():
        return money(number(cost_today) * (ONE + number(inflation_percent) / HUNDRED) ** years, rounding)


@dataclasses.dataclass(frozen=True)
class GoalResult:
    target: Decimal
    months: int
    monthly_saving: Decimal
    total_saved: Decimal


def education_goal(
    cost_today, years_until, inflation_percent, annual_return_percent, current_savings=ZERO, rounding=ROUND_HALF_UP
):
    """Education: today's cost grown by inflation until it is due, then the monthly saving needed."""
    target = future_cost(cost_today, years_until, inflation_percent, rounding)
    months = years_until * 12
    saving = monthly_saving_needed(target, months, annual_return_percent, current_savings, rounding)
    return GoalResult(target, months, saving, saving * months)


def retirement_goal(
    monthly_spending_today,
    years_until,
    years_in_retirement,
    inflation_percent,
    annual_return_percent,
    current_savings=ZERO,
    rounding=ROUND_HALF_UP,
):
    """Retirement: the monthly spending grown by inflation to the retirement date, for every month
    of retirement (not invested further: a prudent illustration), then the monthly saving needed."""
    spending = future_cost(monthly_spending_today, years_until, inflation_percent, rounding)
    target = spending * 12 * years_in_retirement
    months = years_until * 12
    saving = monthly_saving_needed(target, months, annual_return_percent, current_savings, rounding)
    return GoalResult(target, months, saving, saving * months)
