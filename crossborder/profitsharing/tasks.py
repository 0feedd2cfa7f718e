"""Celery task of profit sharing: the monthly statements, per bank, on an hourly tick once the
bank's local time (head office) has passed profitsharing.run_local_hour on the first day of a
month (the business date is the local yesterday: the month's last day)."""

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from crossborder.profitsharing import feed, services
from crossborder.profitsharing.models import RevenueFeedUpload
from ocrm.batch import actors, jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.per_bank import BusinessDay, PerBankJob, active_banks
from ocrm.batch.tasks import BatchTask
from ocrm.imports.staging import RunProgress

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


@shared_task(bind=True, base=BatchTask, name=feed.UPLOAD_TASK)
def load_uploaded_revenue_feed(self, upload_id, actor_id, run_id):
    """Load a revenue feed file uploaded on its page (feed.upload), for the person who uploaded
    it: the message is checked against the run their upload queued (ocrm.batch.actors)."""
    item = RevenueFeedUpload.objects.select_related("bank").filter(pk=upload_id).first()
    if item is None:
        return {"refused": "no such upload"}
    key = feed.upload_run_key(item)
    try:
        actor = actors.checked_actor(
            self,
            job=feed.UPLOAD_JOB,
            run_id=run_id,
            key=key,
            bank_id=item.bank_id,
            actor_id=actor_id,
            permission=feed.UPLOAD_PERMISSION,
            obj=item,
        )
    except actors.Refused as exc:
        return {"refused": str(exc)}
    with self.job_run(
        feed.UPLOAD_JOB, bank_id=item.bank_id, key_extra=f"upload:{item.pk}", run_id=run_id, triggered_by=actor
    ) as run:
        if run.already_done:
            return run.summary()
        progress = RunProgress(run.id)
        try:
            item = feed.load_upload(item, actor, progress=progress)
        finally:
            progress.close()
        run.count(rows=item.rows, loaded=item.loaded, unchanged=item.unchanged, feed_errors=len(item.errors) + item.more_errors)
        return {"upload": item.pk, "status": item.status}


def register_upload_job():
    # Run when someone uploads a large file on the revenue feed page, so the jobs page only names it.
    jobs.register(
        JobSpec(feed.UPLOAD_JOB, _("Revenue feed (uploaded file)"), load_uploaded_revenue_feed.name),
        {"feed_errors": _("errors in the file")},  # rows, loaded, unchanged: labelled above
    )
