"""Celery imports `ocrm.lists.tasks` (autodiscovery); importing each kernel package's tasks module
here registers its tasks. Task names are pinned with name=: beat rows and queued messages name them."""

from ocrm.batch import tasks as batch  # noqa: F401
from ocrm.datalife import tasks as datalife  # noqa: F401
from ocrm.lists import tasks as lists  # noqa: F401
from ocrm.outbox import tasks as outbox  # noqa: F401
