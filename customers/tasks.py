"""Celery discovers customers.tasks; each area keeps its tasks in its own module."""

from .tasks_assignment import *  # noqa: F403
from .tasks_batch import *  # noqa: F403
from .tasks_feeds import *  # noqa: F403
from .tasks_lifecycle import *  # noqa: F403
from .tasks_matching import *  # noqa: F403
from .tasks_sharing import *  # noqa: F403
