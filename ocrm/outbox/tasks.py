"""The outbox's Celery tasks (thin wrappers around ocrm.outbox.services, pinned names).

* ``dispatch`` — queued after the transaction that queued messages commits (services.kick_after_commit);
  sends batch after batch at each gateway's rate; late acknowledgement, so a killed worker's
  delivery runs again (the rows it held return with its rolled-back transaction).
* ``release_and_expire`` — beat, every minute: releases the messages whose quiet hours ended (in
  the recipient's morning), tries again what the gateway did not answer, expires messages
  without a final report after outbox.expire_after_hours."""

from celery import shared_task

from ocrm.outbox import services


@shared_task(bind=True, name="ocrm.outbox.tasks.dispatch", acks_late=True, reject_on_worker_lost=True)
def dispatch(self, gateway_id=None):
    counts, more = services.dispatch_pending(gateway_id)
    if more:
        self.apply_async(kwargs={"gateway_id": gateway_id})
    return counts


@shared_task(name="ocrm.outbox.tasks.release_and_expire", acks_late=True, reject_on_worker_lost=True)
def release_and_expire():
    expired = services.expire_stale()
    counts, more = services.dispatch_pending()
    if more:
        dispatch.delay()
    return {"expired": expired, **counts}
