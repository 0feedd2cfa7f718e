"""Celery imports `ocrm.batch.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks. Task names are pinned with name=: beat rows and queued messages name them."""

from sysadmin.accounts import tasks as accounts  # noqa: F401
from sysadmin.audit import tasks as audit  # noqa: F401
from sysadmin.imports import tasks as imports  # noqa: F401
