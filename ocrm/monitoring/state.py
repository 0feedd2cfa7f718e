"""What the operator page and the metrics read about the running system: the workers that
answer, beat's last tick, the depth of the Celery queue, and the last run of each job.

Each probe fails soft (None / an empty answer) so that one service being down shows as down on
the page instead of taking the page with it."""

import logging
import time

import redis
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max

from ocrm.batch.jobs import JOBS, job_label
from ocrm.batch.models import JobRun
from ocrm.celery import app

logger = logging.getLogger("ocrm.monitoring")

BEAT_TICK_KEY = "monitoring:beat:last_tick"
# Beat's database scheduler wakes at least every 5 s; a minute of silence means it is gone.
BEAT_STALE_AFTER = 60
# kombu's Redis transport keeps each priority of a queue in its own list: the queue's name, then
# the name with "\x06\x16" and the priority appended (the default steps 0, 3, 6, 9).
_PRIORITY_SUFFIXES = ["", "\x06\x163", "\x06\x166", "\x06\x169"]


def record_beat_tick(now=None):
    cache.set(BEAT_TICK_KEY, now or time.time(), timeout=None)


def beat_last_tick():
    """The time (epoch seconds) of beat's last tick, or None when beat never ticked."""
    try:
        return cache.get(BEAT_TICK_KEY)
    except Exception:  # the cache (Redis) down: the page says "unknown"
        logger.warning("beat tick unreadable", exc_info=True)
        return None


def beat_alive(last_tick, now=None):
    return last_tick is not None and (now or time.time()) - last_tick < BEAT_STALE_AFTER


def _broker():
    return redis.Redis.from_url(app.conf.broker_url, socket_connect_timeout=1, socket_timeout=2)


def queue_depths():
    """{queue: messages waiting} for the queues this deployment sends to, plus "unacked": the
    messages a worker has taken and not finished. None when the broker cannot be read."""
    queues = sorted({app.conf.task_default_queue, *(q.name for q in app.conf.task_queues or ())})
    try:
        client = _broker()
        with client.pipeline() as pipe:
            for queue in queues:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            pipe.hlen("unacked")
            answers = pipe.execute()
    except redis.RedisError:
        logger.warning("queue depth unreadable", exc_info=True)
        return None
    steps = len(_PRIORITY_SUFFIXES)
    depths = {queue: sum(answers[i * steps : (i + 1) * steps]) for i, queue in enumerate(queues)}
    depths["unacked"] = answers[-1]
    return depths


def workers():
    """The names of the workers that answer a ping (empty when none does or the broker is down)."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)
            replies = app.control.ping(timeout=1.0, connection=conn) or []
    except Exception:  # the broker down: no worker can be reached either
        logger.warning("workers unreachable", exc_info=True)
        return []
    return sorted(name for reply in replies for name in reply)


def database_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return True, cursor.fetchone()[0]
    except Exception:
        logger.warning("database unreachable", exc_info=True)
        return False, None


def last_runs(runs):
    """One row per job (the registered ones, and any other that has runs) from the JobRun
    queryset given (already scoped to the viewer): its last run and its failures."""
    latest_ids = runs.values("job").annotate(last=Max("id")).values_list("last", flat=True)
    latest = {run.job: run for run in JobRun.objects.filter(id__in=list(latest_ids))}
    failures = dict(runs.filter(status=JobRun.Status.FAILED).values_list("job").annotate(n=Count("id")).values_list("job", "n"))
    names = sorted(set(JOBS) | set(latest), key=lambda name: str(job_label(name)))
    return [
        {"job": name, "label": job_label(name), "last": latest.get(name), "failures": failures.get(name, 0)} for name in names
    ]
