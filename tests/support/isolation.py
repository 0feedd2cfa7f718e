"""Keep parallel test processes apart: loaded with `-p tests.support.isolation` (pyproject's
addopts), so it runs before pytest-django imports the settings.

Under pytest-xdist every process (gw0, gw1, ...) gets its own Redis database, Celery queue
and cache key prefix. The Redis database matters most: Celery's broadcasts (the ping that
the health check and tests.conftest.WorkerProcess send) reach every worker listening on the
same database, so the health check of one process would see the worker another process
started for its own test. The test database needs nothing here: pytest-django appends the
worker id to its name. Live servers listen on ports the system chooses.
"""

import os
from urllib.parse import urlsplit, urlunsplit

WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # set by xdist before the process reads its configuration
REDIS_LAST_DATABASE = 15  # Redis's default: 16 databases


def own_redis_database(url, index):
    """redis://host:port/0 -> redis://host:port/<1 + index>: database 0 stays the single process's."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    if database + 1 + index > REDIS_LAST_DATABASE:
        # Otherwise every test of that process errors with Redis's "DB index is out of range".
        raise RuntimeError(
            f"{url} leaves test process gw{index} no Redis database: it would use {database + 1 + index}, "
            f"and Redis has 0-{REDIS_LAST_DATABASE}. Name a lower database in REDIS_URL."
        )
    return urlunsplit(parts._replace(path=f"/{database + 1 + index}"))


if WORKER:
    index = int(WORKER.removeprefix("gw"))
    # ocrm.settings reads these; tests.conftest.WorkerProcess hands them on to the Celery workers.
    for variable in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        if os.environ.get(variable, "").startswith("redis"):
            os.environ[variable] = own_redis_database(os.environ[variable], index)
    for variable, default in (("CELERY_QUEUE", "ocrm"), ("CACHE_KEY_PREFIX", "ocrm")):
        os.environ[variable] = f"{os.environ.get(variable, default)}-{WORKER}"
