"""The calculators' formulas against an independent reference written here from the published
formulas (integer cents and fractions.Fraction, not the module's Decimal code): 1,000 seeded
loan cases to the cent, the schedules' sums and final balance, day counts (leap years included),
deposits and early withdrawal, 定投 and goals."""

import datetime
import random
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from marketing.calculators import formulas

# --- the independent reference ---------------------------------------------------------------------


def round_cents(value, half_even=False):
    """A Fraction of yuan to whole cents, half up (away from zero) or half to even."""
    cents = value * 100
    floor = cents.numerator // cents.denominator
    rest = cents - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and (not half_even or floor % 2 == 1)):
        floor += 1
    return floor


def reference_schedule(amount_cents, rate_text, months, method, half_even=False):
    """[(payment, principal, interest, balance)] in cents, from the textbook formulas:
    等额本息 A = P·i·(1+i)^n / ((1+i)^n − 1); 等额本金 principal P/n; interest = balance·i;
    the last instalment repays what is left."""
    i = Fraction(rate_text) / 100 / 12
    principal_total = Fraction(amount_cents, 100)
    if method == formulas.EQUAL_INSTALMENT:
        if i == 0:
            level = round_cents(principal_total / months, half_even)
        else:
            g = (1 + i) ** months
            level = round_cents(principal_total * i * g / (g - 1), half_even)
    else:
        part = round_cents(principal_total / months, half_even)
    balance, rows = amount_cents, []
    for k in range(1, months + 1):
        interest = round_cents(Fraction(balance, 100) * i, half_even)
        if k == months:
            paid = balance
        elif method == formulas.EQUAL_INSTALMENT:
            paid = min(max(level - interest, 0), balance)
        else:
            paid = min(part, balance)
        balance -= paid
        rows.append((paid + interest, paid, interest, balance))
    return rows


def cents(value):
    return int(value * 100)


def loan_cases(count=1000, seed=20261206):
    rng = random.Random(seed)
    for _ in range(count):
        amount = rng.randint(100_00, 5_000_000_00)
        rate = f"{rng.randint(0, 1500) / 100:.2f}"  # 0.00 % to 15.00 %
        months = rng.choice([1, 2, 3, 6, 12, 24, 36, 60, 120, 240, 360, rng.randint(1, 360)])
        method = rng.choice(formulas.LOAN_METHODS)
        half_even = rng.random() < 0.5
        yield amount, rate, months, method, half_even


@pytest.mark.parametrize("chunk", range(10))
def test_1000_generated_loans_match_the_reference_to_the_cent(chunk):
    cases = list(loan_cases())[chunk * 100 : (chunk + 1) * 100]
    for amount, rate, months, method, half_even in cases:
        rounding = ROUND_HALF_EVEN if half_even else ROUND_HALF_UP
        schedule = formulas.loan_schedule(Decimal(amount) / 100, rate, months, method, rounding=rounding)
        expected = reference_schedule(amount, rate, months, method, half_even)
        got = [(cents(r.payment), cents(r.principal), cents(r.interest), cents(r.balance)) for r in schedule.rows]
        assert got == expected, (amount, rate, months, method, half_even)
        assert sum(r.principal for r in schedule.rows) == Decimal(amount) / 100
        assert schedule.rows[-1].balance == Decimal("0.00")
        assert all(r.principal >= 0 and r.interest >= 0 for r in schedule.rows)


def test_a_known_mortgage_matches_the_published_figure():
    # 1,000,000 over 30 years at 4.90 %: the widely published 等额本息 payment is 5,307.27.
    schedule = formulas.loan_schedule("1000000", "4.90", 360)
    assert schedule.rows[0].payment == Decimal("5307.27")
    equal_principal = formulas.loan_schedule("1000000", "4.90", 360, formulas.EQUAL_PRINCIPAL)
    assert equal_principal.rows[0].payment == Decimal("6861.11")  # 2,777.78 + 4,083.33
    assert equal_principal.total_interest < schedule.total_interest


def test_the_last_instalment_absorbs_rounding():
    schedule = formulas.loan_schedule("100", "0", 3, formulas.EQUAL_PRINCIPAL)
    assert [r.principal for r in schedule.rows] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_floats_are_refused():
    with pytest.raises(TypeError):
        formulas.loan_schedule(100000, 4.9, 12)


def test_due_dates_keep_the_month_end():
    schedule = formulas.loan_schedule("1200", "6", 3, first_due=datetime.date(2024, 1, 31))
    assert [r.due for r in schedule.rows] == [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29), datetime.date(2024, 3, 31)]


# --- day counts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "convention,start,end,days,fraction",
    [
        (formulas.ACT_365F, datetime.date(2024, 1, 1), datetime.date(2025, 1, 1), 366, Fraction(366, 365)),  # leap year
        (formulas.ACT_365F, datetime.date(2023, 1, 1), datetime.date(2024, 1, 1), 365, Fraction(1)),
        (formulas.ACT_360, datetime.date(2024, 2, 1), datetime.date(2024, 3, 1), 29, Fraction(29, 360)),  # 29 Feb
        (formulas.ACT_360, datetime.date(2023, 2, 1), datetime.date(2023, 3, 1), 28, Fraction(28, 360)),
        (formulas.THIRTY_360, datetime.date(2024, 2, 1), datetime.date(2024, 3, 1), 30, Fraction(30, 360)),
        (formulas.THIRTY_360, datetime.date(2024, 1, 31), datetime.date(2024, 3, 31), 60, Fraction(60, 360)),
        (formulas.THIRTY_360, datetime.date(2024, 1, 15), datetime.date(2024, 3, 31), 76, Fraction(76, 360)),
        (formulas.THIRTY_360, datetime.date(2024, 2, 29), datetime.date(2025, 2, 28), 359, Fraction(359, 360)),
        (formulas.THIRTY_360, datetime.date(2023, 1, 1), datetime.date(2024, 1, 1), 360, Fraction(1)),
    ],
)
def test_day_counts(convention, start, end, days, fraction):
    assert formulas.day_count(convention, start, end) == days
    assert abs(Fraction(formulas.year_fraction(convention, start, end)) - fraction) < Fraction(1, 10**30)


def test_an_unknown_day_count_is_refused():
    with pytest.raises(ValueError):
        formulas.day_count("ACT/ACT", datetime.date(2024, 1, 1), datetime.date(2024, 2, 1))


# --- deposits --------------------------------------------------------------------------------------


def test_a_simple_deposit_over_a_leap_year_and_its_early_withdrawal():
    start = datetime.date(2024, 1, 1)
    result = formulas.time_deposit("10000", "2.75", start, 12, demand_rate_percent="0.30", withdraw_on=datetime.date(2024, 7, 1))
    assert result.maturity == datetime.date(2025, 1, 1) and result.days == 366
    assert result.interest == Decimal(round_cents(Fraction(10000) * Fraction("0.0275") * Fraction(366, 365))) / 100  # 275.75
    assert result.early_days == 182
    assert result.early_interest == Decimal("14.96")  # 10000 × 0.30 % × 182/365 = 14.9589…
    assert result.early_total == Decimal("10014.96")
    assert result.interest_lost == result.interest - result.early_interest


def test_a_compound_deposit_rolls_over_each_year():
    result = formulas.time_deposit("10000", "3", datetime.date(2023, 3, 1), 24, compound=True, convention=formulas.ACT_360)
    assert result.interest == Decimal("609.00")  # 10000 × 1.03² − 10000, no part year
    assert result.total == Decimal("10609.00")


def test_an_early_withdrawal_after_maturity_is_refused():
    with pytest.raises(ValueError):
        formulas.time_deposit(
            "1000", "2", datetime.date(2024, 1, 1), 3, demand_rate_percent="0.3", withdraw_on=datetime.date(2024, 5, 1)
        )


def test_the_rounding_rule_decides_a_half_cent():
    # 1000 × 0.5 % × 73/365 = 1.000 exactly; 10 × 0.45 % × 365/365 = 0.045 → 0.05 half up, 0.04 half even.
    start = datetime.date(2023, 1, 1)
    assert formulas.time_deposit("10", "0.45", start, 12).interest == Decimal("0.05")
    assert formulas.time_deposit("10", "0.45", start, 12, rounding=ROUND_HALF_EVEN).interest == Decimal("0.04")


# --- 定投 and goals ---------------------------------------------------------------------------------


def test_regular_investment_matches_the_annuity_due_reference():
    value, invested, gain, years = formulas.regular_investment("1000", "6", 36)
    i = Fraction(6, 100 * 12)
    expected = Fraction(1000) * ((1 + i) ** 36 - 1) / i * (1 + i)
    assert value == Decimal(round_cents(expected)) / 100
    assert invested == Decimal("36000.00") and gain == value - invested
    assert [y.year for y in years] == [1, 2, 3]
    zero = formulas.regular_investment("500", "0", 14)
    assert zero[0] == Decimal("7000.00") and [y.year for y in zero[3]] == [1, 2]


def test_the_monthly_saving_reaches_the_goal():
    months, rate = 120, Fraction(5, 100 * 12)
    saving = formulas.monthly_saving_needed("300000", months, "5", "20000")
    grown = Fraction(20000) * (1 + rate) ** months + Fraction(saving) * (((1 + rate) ** months - 1) / rate)
    assert abs(grown - 300000) < Fraction(1)  # within a cent's worth of growth
    assert formulas.monthly_saving_needed("1000", 10, "0", "0") == Decimal("100.00")
    assert formulas.monthly_saving_needed("1000", 10, "3", "5000") == Decimal("0.00")  # savings alone suffice


def test_education_and_retirement_goals():
    education = formulas.education_goal("100000", 10, "3", "4")
    assert education.target == Decimal(round_cents(Fraction(100000) * Fraction(103, 100) ** 10)) / 100
    assert education.months == 120
    assert education.monthly_saving == formulas.monthly_saving_needed(education.target, 120, "4")
    retirement = formulas.retirement_goal("5000", 20, 25, "2", "4", "100000")
    spending = Decimal(round_cents(Fraction(5000) * Fraction(102, 100) ** 20)) / 100
    assert retirement.target == spending * 12 * 25
    assert retirement.monthly_saving == formulas.monthly_saving_needed(retirement.target, 240, "4", "100000")
