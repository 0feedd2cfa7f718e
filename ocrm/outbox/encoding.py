"""SMS encodings: which alphabet a text needs, how many segments it takes and what it costs.

GSM 03.38 (GSM-7) carries 160 characters in one SMS, 153 per segment when the text is split
(the rest of each segment holds the concatenation header). The characters of its extension
table (``€ ^ { } [ ] ~ | \\`` and the form feed) take two places each (an escape plus the
character). Any character outside both tables forces UCS-2: 70 characters in one SMS, 67 per
segment, each character outside the Basic Multilingual Plane (an emoji) counting two.
Chinese text is always UCS-2."""

import decimal
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\x0c^{}\\[~]|€")

SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class Analysis:
    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or 16-bit code units (UCS-2)
    segments: int
    forcing_char: str  # the first character that forces UCS-2 ("" for GSM-7)
    per_segment: int  # capacity of one segment of this text

    def cost(self, price_per_segment):
        """The cost estimate: segments × the gateway's price per segment."""
        return (decimal.Decimal(price_per_segment or 0) * self.segments).quantize(decimal.Decimal("0.0001"))


def forcing_char(text):
    """The first character of `text` that GSM-7 cannot carry ("" when there is none)."""
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            return char
    return ""


def gsm7_length(text):
    """Septets of a GSM-7 text: extension characters count two."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def ucs2_length(text):
    """UTF-16 code units: characters outside the BMP count two."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def _packed_segments(text, encoding):
    """Segments of a long text, packed as a phone does: an escape pair (GSM-7) or a surrogate
    pair (UCS-2) is never split across two segments."""
    capacity, used, count = MULTI[encoding], 0, 1
    for char in text:
        if encoding == GSM7:
            width = 2 if char in GSM7_EXTENSION else 1
        else:
            width = 2 if ord(char) > 0xFFFF else 1
        if used + width > capacity:
            count, used = count + 1, 0
        used += width
    return count


def analyse(text):
    """Encoding, length, segments and the forcing character of an SMS text."""
    text = text or ""
    forcing = forcing_char(text)
    encoding = UCS2 if forcing else GSM7
    units = ucs2_length(text) if forcing else gsm7_length(text)
    if units == 0:
        segments = 0
    elif units <= SINGLE[encoding]:
        segments = 1
    else:
        segments = _packed_segments(text, encoding)
    return Analysis(
        encoding=encoding,
        units=units,
        segments=segments,
        forcing_char=forcing,
        per_segment=SINGLE[encoding] if segments <= 1 else MULTI[encoding],
    )


def segments(text):
    return analyse(text).segments
