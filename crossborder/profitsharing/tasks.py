"""Celery task of profit sharing: the monthly statements, per bank, on an hourly tick once the
bank's local time (head office) has passed profitsharing.run_local_hour on the first day of a
month (the business date is the local yesterday: the month's last day)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from crossborder.profitsharing import feed, services
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import BusinessDay, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask

STATEMENTS = PerBankJob(
    services.JOB,
    services.compute_scope,
    BusinessDay(days_back=1, not_before_hour="profitsharing.run_local_hour"),
    banks=active_banks,
)


@shared_task(bind=True, base=BatchTask, name="crossborder.tasks.compute_profit_statements")
def compute_profit_statements(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(STATEMENTS, business_date, bank_id, run_id)


def register_jobs():
    jobs.register(
        JobSpec(services.JOB, _("Profit statements"), compute_profit_statements.name, startable=True),
        {"statements": _("statements"), "lines": _("lines"), "events_without_rule": _("revenue events without a rule")},
        readable_errors=[services.StatementError],
    )


# The revenue feed (crossborder.profitsharing.feed): each bank's inbox folder, once a day after
# profitsharing.feed_local_hour (before the month's statements at profitsharing.run_local_hour).
REVENUE_FEED = PerBankJob(
    feed.JOB,
    feed.load_inbox_scope,
    BusinessDay(days_back=1, not_before_hour="profitsharing.feed_local_hour"),
    banks=active_banks,
)


@shared_task(bind=True, base=BatchTask, name="crossborder.tasks.load_revenue_feeds")
def load_revenue_feeds(self, business_date=None, bank_id=None, run_id=None):
    return self.run_per_bank(REVENUE_FEED, business_date, bank_id, run_id)


def register_feed_job():
    jobs.register(
        JobSpec(feed.JOB, _("Revenue feed"), load_revenue_feeds.name, startable=True),
        {
            "files": _("files"),
            "loaded": _("revenue events loaded"),
            "unchanged": _("rows already loaded"),
            "rejected_files": _("files rejected"),
        },
        readable_errors=[feed.FeedRejected],
    )
