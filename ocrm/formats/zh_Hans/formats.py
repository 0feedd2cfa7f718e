"""Simplified Chinese numbers as Chinese banks print amounts: 1,234,567.89. Django's zh_Hans
leaves out the thousands separator (and groups by four), so `floatformat:"2g"` and intcomma
showed a Chinese page's amounts without separators."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
