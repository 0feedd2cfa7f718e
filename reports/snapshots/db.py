"""Where report queries read: the `reports` database alias when settings has one (a PostgreSQL
replica, env REPORTS_DATABASE_URL), else the primary. The router (reports.snapshots.router,
in DATABASE_ROUTERS) sends every read of a snapshot model there by itself; raw SQL of a report
uses `connections[reading()]`. Writes always go to the primary (the nightly build)."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPORTS = "reports"


def configured():
    """Whether a `reports` database alias is configured."""
    return REPORTS in settings.DATABASES


def reading():
    """The alias report queries read from."""
    return REPORTS if configured() else DEFAULT_DB_ALIAS


def connection():
    """The connection report queries read through (raw SQL)."""
    return connections[reading()]
