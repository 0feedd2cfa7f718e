"""Celery task of service requests (a thin wrapper): the expiry, every 10 minutes from beat (the row
of migration 0017). Each request expires at the end of its branch's local day (expires_at, set when
it was sent), so a frequent UTC tick serves every zone; a duplicate or lost run is harmless (the
rows are locked and skipped by a concurrent run, and a second run finds nothing due)."""

from celery import shared_task

from workbench.servicerequests import reminders as step_reminders
from workbench.servicerequests import services


@shared_task(name="workbench.tasks.expire_service_requests")
def expire_service_requests():
    return {"expired": services.expire_due()}


@shared_task(name="workbench.tasks.service_request_step_reminders")
def service_request_step_reminders():
    """Every 10 minutes from beat (migration 0030): the holders of a step's role hear when its time limit runs out."""
    return {"notified": step_reminders.notify_due()}
