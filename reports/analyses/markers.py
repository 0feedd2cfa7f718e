"""The marker of the precomputed analyses (reports.analyses.precompute): AnalysisDay of a bank's
business date; a page reads the precomputed rows when it exists, computes from CustomerDay otherwise."""

import contextlib
import contextvars

from reports.analyses.models import AnalysisDay

_MARKERS = contextvars.ContextVar("analysis_markers", default=None)


@contextlib.contextmanager
def markers_cached():
    """Within, marker() looks each (bank, date) up once (a page asks for it several times)."""
    token = _MARKERS.set({})
    try:
        yield
    finally:
        _MARKERS.reset(token)


def marker(bank_id, day):
    """The AnalysisDay of (bank, day), or None when the date's analyses were not precomputed."""
    if bank_id is None or day is None:
        return None
    cache = _MARKERS.get()
    if cache is not None and (bank_id, day) in cache:
        return cache[(bank_id, day)]
    found = AnalysisDay.objects.filter(bank_id=bank_id, business_date=day).first()
    if cache is not None:
        cache[(bank_id, day)] = found
    return found
