"""Celery tasks of cross-border requests: the escalation tick (every 15 minutes; idempotent through
the notifications' dedupe keys, so a lost or duplicate tick is harmless)."""

from celery import shared_task

from crossborder.requests import escalation


@shared_task(name="crossborder.tasks.escalate_requests")
def escalate_requests():
    return escalation.scan()
