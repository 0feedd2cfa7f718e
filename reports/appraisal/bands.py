"""The scoring rule of an indicator (docs/appraisal.md, "Bands"): pure arithmetic, no database.

With weight W, cap C (a multiple of W, at least 1) and the bands threshold T0, target T, stretch S,
for a value V (higher is better when T >= T0; when T < T0 lower is better and every comparison
turns round):

* V short of T0                    -> 0 points                         (band "below")
* T0 <= V < T                      -> W * (V - T0) / (T - T0)           (band "threshold")
* T <= V < S                       -> W + W * (C - 1) * (V - T) / (S - T)  (band "target")
* V >= S (when S is beyond T)      -> W * C                             (band "stretch")
* S equal to T: reaching T gives W, never more.

Points are rounded half-up to two decimals, once, at the end."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")

BELOW, THRESHOLD, TARGET, STRETCH = "below", "threshold", "target", "stretch"


def direction(threshold, target):
    """+1 when higher is better, -1 when lower is better (the target below the threshold)."""
    return 1 if Decimal(target) >= Decimal(threshold) else -1


def bands_in_order(threshold, target, stretch):
    """Whether the stretch lies at or beyond the target, in the direction threshold -> target."""
    sign = direction(threshold, target)
    return sign * (Decimal(stretch) - Decimal(target)) >= 0


def points_for(value, threshold, target, stretch, weight, cap):
    """(band, points) of `value` under the rule above."""
    value, threshold, target, stretch = (Decimal(x) for x in (value, threshold, target, stretch))
    weight, cap = Decimal(weight), Decimal(cap)
    sign = direction(threshold, target)
    v, t0, t, s = sign * value, sign * threshold, sign * target, sign * stretch
    if v < t0:
        return BELOW, ZERO.quantize(CENT)
    if v < t:
        points = weight * (v - t0) / (t - t0)
        return THRESHOLD, points.quantize(CENT, rounding=ROUND_HALF_UP)
    if s <= t:
        return TARGET, weight.quantize(CENT, rounding=ROUND_HALF_UP)
    if v < s:
        points = weight + weight * (cap - 1) * (v - t) / (s - t)
        return TARGET, points.quantize(CENT, rounding=ROUND_HALF_UP)
    return STRETCH, (weight * cap).quantize(CENT, rounding=ROUND_HALF_UP)
