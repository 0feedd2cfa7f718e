"""The band rule of an indicator (reports.appraisal.bands), with hand-computed numbers."""

from decimal import Decimal

import pytest

from reports.appraisal import bands


@pytest.mark.parametrize(
    ("value", "band", "points"),
    [
        ("50", "below", "0.00"),  # short of the threshold
        ("100", "threshold", "0.00"),  # at the threshold: the line starts at 0
        ("150", "threshold", "10.00"),  # 20 * 50/100
        ("199", "threshold", "19.80"),  # 20 * 99/100
        ("200", "target", "20.00"),  # the weight at the target
        ("250", "target", "25.00"),  # 20 + 20 * 0.5 * 50/100
        ("300", "stretch", "30.00"),  # 20 * 1.5: the cap
        ("1000", "stretch", "30.00"),  # never beyond the cap
    ],
)
def test_higher_is_better(value, band, points):
    assert bands.points_for(value, "100", "200", "300", "20", "1.5") == (band, Decimal(points))


@pytest.mark.parametrize(
    ("value", "band", "points"),
    [
        ("12", "below", "0.00"),
        ("10", "threshold", "0.00"),
        ("7", "threshold", "6.00"),  # 10 * 3/5
        ("5", "target", "10.00"),
        ("2", "target", "11.20"),  # 10 + 10 * 0.2 * 3/5
        ("0", "stretch", "12.00"),  # 10 * 1.2
    ],
)
def test_lower_is_better(value, band, points):
    """Customers lost: threshold 10, target 5, stretch 0."""
    assert bands.points_for(value, "10", "5", "0", "10", "1.2") == (band, Decimal(points))


def test_rounding_half_up_once():
    assert bands.points_for("1", "0", "3", "3", "10", "1.5") == ("threshold", Decimal("3.33"))
    assert bands.points_for("2", "0", "3", "3", "10", "1.5") == ("threshold", Decimal("6.67"))
    assert bands.points_for("0.5", "0", "8", "8", "0.01", "1.5") == ("threshold", Decimal("0.00"))


def test_stretch_equal_to_target_gives_the_weight_and_no_more():
    assert bands.points_for("500", "0", "100", "100", "25", "1.5") == ("target", Decimal("25.00"))


def test_threshold_equal_to_target_is_a_step():
    assert bands.points_for("99", "100", "100", "200", "10", "2") == ("below", Decimal("0.00"))
    assert bands.points_for("100", "100", "100", "200", "10", "2") == ("target", Decimal("10.00"))
    assert bands.points_for("150", "100", "100", "200", "10", "2") == ("target", Decimal("15.00"))


def test_bands_in_order():
    assert bands.bands_in_order("0", "10", "20")
    assert bands.bands_in_order("10", "5", "0")
    assert not bands.bands_in_order("0", "10", "5")
    assert not bands.bands_in_order("10", "5", "8")
