"""Keep parallel test processes apart: loaded with `-p tests.support.isolation` (pyproject's
addopts), so it runs before pytest-django imports the settings.

Under pytest-xdist every worker process (gw0, gw1, ...) gets its own Celery queue and Redis
key prefix: the real Celery workers a test starts consume only their own process's queue,
and one process clearing its cache keys (sessions, cached parameters) never logs out
another's users. The test database needs nothing here: pytest-django appends the worker id
to its name. Live servers listen on ports the system chooses, so they cannot collide either.
"""

import os

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # set by xdist before the worker reads its configuration

if WORKER:
    # ocrm.settings reads these; tests.conftest.WorkerProcess hands them on to the Celery workers.
    for variable, default in (("CELERY_QUEUE", "ocrm"), ("CACHE_KEY_PREFIX", "ocrm")):
        os.environ[variable] = f"{os.environ.get(variable, default)}-{WORKER}"
