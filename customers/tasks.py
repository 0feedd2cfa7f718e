"""Celery imports `customers.tasks` (autodiscovery); importing each area's tasks module here
registers its tasks. Task names are pinned with name=: beat rows and queued messages name them."""

from customers.ecif.feeds import tasks as feeds  # noqa: F401
from customers.ecif.matching import tasks as matching  # noqa: F401
from customers.lifecycle import tasks as lifecycle  # noqa: F401
from customers.maintenance import tasks as maintenance  # noqa: F401
from customers.ownership.assignment import tasks as assignment  # noqa: F401
from customers.ownership.sharing import tasks as sharing  # noqa: F401
