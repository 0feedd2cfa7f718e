"""Largest-remainder allocation: the parts always sum to the amount, reversals mirror."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crossborder.profitsharing.allocation import allocate


@st.composite
def rules(draw):
    """Random shares: percentages (4 decimals) totalling exactly 100, plus optional fixed amounts."""
    count = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(
        draw(st.lists(st.integers(min_value=1, max_value=999_999), min_size=count - 1, max_size=count - 1, unique=True))
    )
    bounds = [0, *cuts, 1_000_000]
    percentages = [Decimal(bounds[i + 1] - bounds[i]) / Decimal(10_000) for i in range(count)]
    fixed = draw(st.lists(st.integers(min_value=0, max_value=50_000), max_size=3))
    shares = [(p, None) for p in percentages] + [(None, f) for f in fixed]
    return draw(st.permutations(shares))


@settings(max_examples=500, deadline=None)
@given(shares=rules(), amount=st.integers(min_value=-(10**12), max_value=10**12))
def test_parts_sum_exactly_and_reversal_mirrors(shares, amount):
    parts = allocate(amount, shares)
    assert sum(parts) == amount
    assert allocate(-amount, shares) == [-part for part in parts]
    # No part deviates from its exact share by a whole unit or more.
    fixed_taken = sum(part for part, (percentage, _f) in zip(parts, shares, strict=True) if percentage is None)
    rest = abs(amount) - abs(fixed_taken)
    for part, (percentage, _fixed) in zip(parts, shares, strict=True):
        if percentage is not None:
            assert abs(Decimal(abs(part)) - Decimal(rest) * percentage / 100) < 1


def test_ties_go_to_the_earlier_share():
    third = Decimal("33.3333")
    shares = [(third, None), (third, None), (Decimal("33.3334"), None)]
    assert allocate(100, shares) == [33, 33, 34]
    assert allocate(2, [(Decimal(50), None), (Decimal(50), None)]) == [1, 1]
    assert allocate(1, [(Decimal(50), None), (Decimal(50), None)]) == [1, 0]
    assert allocate(-1, [(Decimal(50), None), (Decimal(50), None)]) == [-1, 0]


def test_fixed_amounts_first_capped_at_what_is_left():
    shares = [(None, 300), (Decimal(60), None), (None, 500), (Decimal(40), None)]
    assert allocate(1000, shares) == [300, 120, 500, 80]
    assert allocate(600, shares) == [300, 0, 300, 0]
