"""Splitting an amount in minor units across a rule's shares so the parts sum exactly to it.

Fixed amounts are taken first, in share order, each capped at what is left; the rest is split
by the percentages: each share gets the floor of its exact part, and the units left over go one
each to the shares with the largest fractional remainders (ties: the earlier share). A negative
amount (a reversal) is allocated as the mirror of the positive one, so it nets exactly.

compute_statement's SQL (services.STATEMENT_SQL) does the same; tests hold them to each other.
"""

from decimal import Decimal

HUNDRED = Decimal("100")


def allocate(amount, shares):
    """`shares`: a sequence of (percentage or None, fixed amount or None) in party order.
    Returns the list of integer parts, one per share, summing to `amount`."""
    sign = -1 if amount < 0 else 1
    left = abs(int(amount))
    parts = [0] * len(shares)
    for index, (percentage, fixed) in enumerate(shares):
        if percentage is None:
            parts[index] = min(int(fixed), left)
            left -= parts[index]
    rest = left
    remainders = []
    for index, (percentage, _fixed) in enumerate(shares):
        if percentage is not None:
            exact = Decimal(rest) * Decimal(percentage)
            floor = int(exact // HUNDRED)
            parts[index] = floor
            left -= floor
            remainders.append((exact - floor * HUNDRED, index))
    # Largest fractional remainder first; among equals, the earlier share.
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _remainder, index in remainders[:left]:
        parts[index] += 1
    return [sign * part for part in parts]
