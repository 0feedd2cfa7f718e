"""Celery task of webhook delivery (a thin wrapper; the beat row runs it every minute and publish()
queues it after each commit). A duplicate or lost run is harmless: rows are locked per attempt."""

from celery import shared_task

from workbench.channelapi import delivery


@shared_task(name="workbench.tasks.deliver_webhooks")
def deliver_webhooks():
    return {"attempted": delivery.deliver_due()}
