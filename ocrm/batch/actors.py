"""What a task that acts for a person re-checks before it acts.

A Celery message is free-form: whoever can queue one (a periodic task, a forged message) names
any actor and any object. So a task that takes an actor id and an object id (apply this batch for
this person) trusts neither: the person's Apply created a queued JobRun for exactly that job and
object, triggered by that person (the ticket); the task acts only when

* the run named is that ticket: same job, same run key (the object), same bank, same person, and
  no other delivery has started it (a redelivery keeps its task id);
* the person is active, belongs to the object's bank and still holds the permission.

Otherwise it refuses: nothing is applied, and the refusal is audited in the object's bank (the
bank whose data the message tried to change), naming the task and the person it claimed to act
for. A genuine ticket whose person lost the right since is failed with the reason.

    actor = actors.checked_actor(self, job=APPLY_JOB, run_id=run_id, key=..., bank_id=batch.bank_id,
                                 actor_id=actor_id, permission=PERMISSION, obj=batch)
"""

import logging

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun

logger = logging.getLogger("ocrm.batch.actors")


class Refused(Exception):
    """The task's message does not match a ticket of a person allowed to act; nothing was done."""


def checked_actor(task, *, job, run_id, key, bank_id, actor_id, permission, obj):
    """The person the task may act for (see the module docstring), or Refused."""
    run = JobRun.objects.filter(pk=run_id, job=job, key=key, bank_id=bank_id).first() if run_id else None
    delivery = getattr(task.request, "id", None) or ""
    if run is None:
        _refuse(task, obj, bank_id, actor_id, _("No run of this job was queued for this object."))
    if run.triggered_by_id is None or run.triggered_by_id != actor_id:
        _refuse(task, obj, bank_id, actor_id, _("The run was queued by another person."))
    if run.task_id and delivery and run.task_id != delivery:
        _refuse(task, obj, bank_id, actor_id, _("The run was started by another message."))
    actor = get_user_model().objects.filter(pk=actor_id).first()
    reason = None
    if actor is None or not actor.is_active:
        reason = _("The person who queued the run is no longer active.")
    elif actor.bank_id != bank_id and not actor.is_superuser:
        reason = _("The person who queued the run does not belong to the bank of the object.")
    elif not actor.has_perm(permission):
        reason = _("The person who queued the run no longer holds the permission for it.")
    if reason is not None:
        if run.status == JobRun.Status.QUEUED:  # the genuine ticket of someone who lost the right since
            JobRun.objects.filter(pk=run.pk).update(
                status=JobRun.Status.FAILED, finished_at=timezone.now(), error_report=str(reason)
            )
        _refuse(task, obj, bank_id, actor_id, reason)
    return actor


def _refuse(task, obj, bank_id, actor_id, reason):
    logger.warning("task %s refused for %s #%s (actor id %s): %s", task.name, obj._meta.label_lower, obj.pk, actor_id, reason)
    audit.record(
        AuditLog.Action.JOB,
        obj,
        actor=None,
        actor_name=str(_("unverified task message")),
        bank_id=bank_id,
        detail={"event": "refused", "task": task.name, "claimed_actor_id": actor_id, "reason": str(reason)},
    )
    raise Refused(reason)
