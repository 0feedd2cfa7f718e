"""Celery tasks of the feeds area: thin wrappers around customers.ecif.feeds.services."""

from celery import shared_task
from django.utils.translation import gettext_lazy

from customers.ecif.feeds import services
from customers.ecif.feeds.models import FeedLoad
from ocrm.batch import jobs
from ocrm.batch.jobs import JobSpec
from ocrm.batch.tasks import BatchTask


@shared_task(bind=True, base=BatchTask, name="customers.tasks_feeds.load_feed")
def load_feed(self, load_id):
    """Load one received feed file (services.run_load inside job_run). Only a load waiting for it:
    a message naming a finished, rejected or replaced load (a replay) changes nothing."""
    status = FeedLoad.objects.filter(pk=load_id).values_list("status", flat=True).first()
    if status not in (FeedLoad.Status.QUEUED, FeedLoad.Status.RUNNING):
        return {"load": load_id, "status": status, "skipped": "not waiting to be loaded"}
    summary = services.run_load(load_id, task_id=self.request.id or "")
    if summary.get("running_elsewhere"):
        # A duplicate delivery while a live worker holds the run: come back in case that worker dies.
        raise self.retry_held()
    return summary


@shared_task(bind=True, name="customers.tasks_feeds.scan_feed_inbox")
def scan_feed_inbox(self):
    """Beat, every 5 minutes: queue a load for every settled file in settings.OCRM_FEED_INBOX."""
    return {"files": services.scan_inbox()}


def register_jobs():
    # Per file: loads run when a file arrives, so the jobs page only names them.
    jobs.register(
        JobSpec(services.JOB, gettext_lazy("Customer feed load"), load_feed.name),
        {
            "read": gettext_lazy("rows read"),
            "loaded": gettext_lazy("rows loaded"),
            "rejected": gettext_lazy("rows rejected"),
            "matched": gettext_lazy("customers matched"),
            "merged": gettext_lazy("customers merged"),
            "review": gettext_lazy("records for review"),
        },
    )
