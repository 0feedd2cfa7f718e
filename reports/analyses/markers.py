"""The marker of the precomputed analyses (reports.analyses.precompute): AnalysisDay of a bank's
business date; a page reads the precomputed rows when it exists, computes from CustomerDay otherwise."""

import contextlib
import contextvars

from django.db import connection

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


def latest_snapshot(bank_id, day):
    """The latest business date on or before `day` with a customer snapshot of the bank (None:
    none), as churn.snapshot_on_or_before; in the same statement that date's marker, which
    marker() then answers without a query of its own (within markers_cached())."""
    if bank_id is None or day is None:
        return None
    columns = [field.column for field in AnalysisDay._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT d.day, {", ".join(f"a.{column}" for column in columns)}
                FROM (SELECT max(business_date) AS day FROM reports_customerday
                      WHERE bank_id = %s AND business_date <= %s) d
                LEFT JOIN {AnalysisDay._meta.db_table} a ON a.bank_id = %s AND a.business_date = d.day""",
            [bank_id, day, bank_id],
        )
        latest, *values = cursor.fetchone()
    if latest is None:
        return None
    cache = _MARKERS.get()
    if cache is not None:
        found = AnalysisDay.from_db("default", columns, values) if values[0] is not None else None
        cache[(bank_id, latest)] = found
    return latest
