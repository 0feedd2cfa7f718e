"""The investment calculators: generated loan schedules against an independent reference, and the
time of one schedule against a baseline measured in the same run.

    python -m bench --suite calculators --size medium      (or: python -m bench.calculators --size small)

(a) N generated loans (small 1,000, medium 10,000, large 100,000; amounts 100.00 to 5,000,000.00,
    rates 0 % to 15 %, 1 to 360 months, both methods, both rounding rules) computed by
    marketing.calculators.formulas.loan_schedule and by an independent reference in integer cents
    and exact fractions (the published formulas): every row must agree to the cent, the principal
    column sum to the loan and the final balance be 0.00.
(b) the time of one 360-month 等额本息 schedule (median of `repeat` runs) against the baseline: the
    same loop in binary floats without rounding (what a naive calculator does), same process, same run.

No database: the formulas are pure Python. Targets: 0 mismatches; a 360-month schedule <= 10 ms;
at most 40x the float baseline.
"""

import argparse
import random
import statistics
import time
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from bench.targets import Targets
from marketing.calculators import formulas

CASES = {"small": 1_000, "medium": 10_000, "large": 100_000}


def _round_cents(value, half_even):
    cents = value * 100
    floor = cents.numerator // cents.denominator
    rest = cents - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and (not half_even or floor % 2 == 1)):
        floor += 1
    return floor


def reference(amount_cents, rate_text, months, method, half_even):
    i = Fraction(rate_text) / 1200
    principal = Fraction(amount_cents, 100)
    if method == formulas.EQUAL_INSTALMENT:
        if i == 0:
            level = _round_cents(principal / months, half_even)
        else:
            g = (1 + i) ** months
            level = _round_cents(principal * i * g / (g - 1), half_even)
    else:
        part = _round_cents(principal / months, half_even)
    balance, rows = amount_cents, []
    for k in range(1, months + 1):
        interest = _round_cents(Fraction(balance, 100) * i, half_even)
        if k == months:
            paid = balance
        elif method == formulas.EQUAL_INSTALMENT:
            paid = min(max(level - interest, 0), balance)
        else:
            paid = min(part, balance)
        balance -= paid
        rows.append((paid + interest, paid, interest, balance))
    return rows


def float_schedule(amount, annual_rate, months):
    """The baseline: 等额本息 in floats, no rounding."""
    i = annual_rate / 1200
    payment = amount * i * (1 + i) ** months / ((1 + i) ** months - 1)
    balance, rows = amount, []
    for _ in range(months):
        interest = balance * i
        balance -= payment - interest
        rows.append((payment, payment - interest, interest, balance))
    return rows


def check_cases(count, seed=20261206):
    rng = random.Random(seed)
    mismatches = 0
    for _ in range(count):
        amount = rng.randint(100_00, 5_000_000_00)
        rate = f"{rng.randint(0, 1500) / 100:.2f}"
        months = rng.choice([1, 12, 36, 60, 120, 240, 360, rng.randint(1, 360)])
        method = rng.choice(formulas.LOAN_METHODS)
        half_even = rng.random() < 0.5
        schedule = formulas.loan_schedule(
            Decimal(amount) / 100, rate, months, method, rounding=ROUND_HALF_EVEN if half_even else ROUND_HALF_UP
        )
        got = [(int(r.payment * 100), int(r.principal * 100), int(r.interest * 100), int(r.balance * 100)) for r in schedule.rows]
        ok = got == reference(amount, rate, months, method, half_even)
        ok = ok and schedule.total_principal * 100 == amount and schedule.rows[-1].balance == 0
        mismatches += not ok
    return mismatches


def timed(function, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(size="medium", repeat=30):
    count = CASES.get(size, CASES["medium"])
    targets = Targets("calculators")
    start = time.perf_counter()
    mismatches = check_cases(count)
    checked_in = time.perf_counter() - start
    print(f"{count} generated loans checked against the reference in {checked_in:.1f} s: {mismatches} mismatches")
    decimal_ms = timed(lambda: formulas.loan_schedule("1000000", "4.90", 360), repeat)
    float_ms = timed(lambda: float_schedule(1_000_000.0, 4.9, 360), repeat)
    print(f"one 360-month schedule: {decimal_ms:.2f} ms (Decimal, rounded) vs {float_ms:.3f} ms (float baseline)")
    targets.add("loan_mismatches", mismatches, "", "<=0")
    targets.add("schedule_360_ms", decimal_ms, "ms", "<=10")
    targets.add("schedule_vs_float", decimal_ms / float_ms, "x", "<=40")
    targets.print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.calculators")
    parser.add_argument("--size", choices=list(CASES), default="medium")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    run(size=args.size, repeat=args.repeat)
