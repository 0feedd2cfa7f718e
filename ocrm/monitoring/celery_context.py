"""Carries the request id from the web request into the Celery tasks it starts (a message
header, `ocrm_request_id`), so the worker's log lines of that task name the same request id.
A task started by beat or by another task without one gets the task's own id.

Connected from OcrmConfig.ready(); signals rather than a Task base class, so that every task
carries it, whatever its base."""

import logging
import time

from celery import signals

from ocrm.monitoring.logs import bind_request_id, current_request_id, unbind_request_id

logger = logging.getLogger("ocrm.tasks")

HEADER = "ocrm_request_id"
_running = {}  # task id -> (context token to reset, start time); one task at a time per pool process


@signals.before_task_publish.connect(dispatch_uid="ocrm.monitoring.request_id_out")
def _add_request_id(headers=None, **kwargs):
    request_id = current_request_id()
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


@signals.task_prerun.connect(dispatch_uid="ocrm.monitoring.request_id_in")
def _task_started(task_id=None, task=None, **kwargs):
    request_id = getattr(task.request, HEADER, None) if task is not None else None
    _running[task_id] = (bind_request_id(request_id or task_id), time.monotonic())
    logger.info("task %s started", task.name, extra={"task": task.name, "task_id": task_id})


@signals.task_postrun.connect(dispatch_uid="ocrm.monitoring.request_id_done")
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    token, started = _running.pop(task_id, (None, None))
    if token is None:
        return
    logger.info(
        "task %s finished: %s",
        task.name,
        state,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )
    unbind_request_id(token)
