"""The "stale opportunity" reminder kind: an open opportunity nobody moved for the bank's
pipeline.stale_days. One set-based SELECT the nightly reminder job unions with the other kinds;
the event is the day it became stale, so it reminds once per quiet spell (and again after the
next spell, since a move resets moved_at)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.pipeline.models import Opportunity
from workbench.reminders import kinds

KIND = "stale_opportunity"
CATCH_UP_DAYS = 7  # a run missed for a few days still reminds

PARAMETERS = {
    "pipeline.stale_days": ("int", "14", gettext_lazy("Pipeline: days without a move after which an open opportunity is stale.")),
}


def select(window):
    days = window.param("pipeline.stale_days")
    if not days or days <= 0:
        return None
    sql = f"""
        SELECT 'stale_opportunity'::text, NULL::bigint, o.customer_id, o.id,
               ((o.moved_at AT TIME ZONE 'UTC')::date + %(pl_stale)s::int), 0::int, NULL::timestamptz,
               jsonb_build_object('title', left(o.title, 100), 'days', %(pl_stale)s::int)
        FROM {Opportunity._meta.db_table} o
        WHERE o.bank_id = %(bank)s AND o.status = 'open'
          AND (o.moved_at AT TIME ZONE 'UTC')::date + %(pl_stale)s::int
              BETWEEN %(day)s::date - {CATCH_UP_DAYS} AND %(day)s::date"""
    return sql, {"pl_stale": days}


def describe(event_date, details):
    return _("Opportunity “%(title)s” has not moved for %(days)s days") % {
        "title": details.get("title", ""),
        "days": details.get("days", ""),
    }


def register():
    kinds.register(kinds.Kind(KIND, gettext_lazy("Stale opportunity"), select, describe, order=60))
