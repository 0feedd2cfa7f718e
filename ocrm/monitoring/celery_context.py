"""Carries the request id from the web request into the Celery tasks it starts (a message
header, `ocrm_request_id`), so the worker's log lines of that task name the same request id.
A task started by beat or by another task without one gets the task's own id.

Connected from OcrmConfig.ready(); signals rather than a Task base class, so that every task
carries it, whatever its base."""

from celery import signals

from ocrm.monitoring.logs import bind_request_id, current_request_id, unbind_request_id

HEADER = "ocrm_request_id"
_tokens = {}  # task id -> the context token to reset after the task (one task at a time per process)


@signals.before_task_publish.connect(dispatch_uid="ocrm.monitoring.request_id_out")
def _add_request_id(headers=None, **kwargs):
    request_id = current_request_id()
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


@signals.task_prerun.connect(dispatch_uid="ocrm.monitoring.request_id_in")
def _bind_request_id(task_id=None, task=None, **kwargs):
    request_id = getattr(task.request, HEADER, None) if task is not None else None
    _tokens[task_id] = bind_request_id(request_id or task_id)


@signals.task_postrun.connect(dispatch_uid="ocrm.monitoring.request_id_done")
def _unbind_request_id(task_id=None, **kwargs):
    token = _tokens.pop(task_id, None)
    if token is not None:
        unbind_request_id(token)
