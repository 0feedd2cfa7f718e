"""GSM-7 / UCS-2 detection and segment counting on a corpus with Chinese text and GSM extension
characters (each extension character takes two septets)."""

import decimal

import pytest

from ocrm.outbox import encoding

CORPUS = [
    # text, encoding, units, segments, forcing character
    ("Hello", encoding.GSM7, 5, 1, ""),
    ("a" * 160, encoding.GSM7, 160, 1, ""),
    ("a" * 161, encoding.GSM7, 161, 2, ""),
    ("a" * 306, encoding.GSM7, 306, 2, ""),
    ("a" * 307, encoding.GSM7, 307, 3, ""),
    ("€" * 80, encoding.GSM7, 160, 1, ""),  # the euro sign counts double
    ("€" * 81, encoding.GSM7, 162, 2, ""),
    ("a" * 159 + "^", encoding.GSM7, 161, 2, ""),
    ("Price {10} EUR €5 ^_^", encoding.GSM7, 26, 1, ""),  # 21 characters, 5 of them double
    # 152 plain + "{" (2 septets) cannot share the first 153-septet segment: it moves to the second.
    ("a" * 152 + "{" + "b" * 10, encoding.GSM7, 164, 2, ""),
    ("您的验证码是 123456", encoding.UCS2, 13, 1, "您"),
    ("中" * 70, encoding.UCS2, 70, 1, "中"),
    ("中" * 71, encoding.UCS2, 71, 2, "中"),
    ("中" * 134, encoding.UCS2, 134, 2, "中"),
    ("中" * 135, encoding.UCS2, 135, 3, "中"),
    ("Your code € is 1234 — thanks", encoding.UCS2, 28, 1, "—"),
    ("Hi 😀", encoding.UCS2, 5, 1, "😀"),  # outside the BMP: two code units
    ("", encoding.GSM7, 0, 0, ""),
]


@pytest.mark.parametrize(("text", "expected_encoding", "units", "segments", "forcing"), CORPUS)
def test_corpus(text, expected_encoding, units, segments, forcing):
    analysis = encoding.analyse(text)
    assert (analysis.encoding, analysis.units, analysis.segments, analysis.forcing_char) == (
        expected_encoding,
        units,
        segments,
        forcing,
    )


def test_every_extension_character_counts_double():
    for char in "€^{}[]~|\\":
        assert encoding.analyse(char).units == 2, char
        assert encoding.analyse(char).encoding == encoding.GSM7


def test_cost_is_segments_times_price():
    assert encoding.analyse("中" * 71).cost("0.05") == decimal.Decimal("0.1000")
    assert encoding.analyse("x").cost(None) == decimal.Decimal("0")
