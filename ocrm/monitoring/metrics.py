"""Prometheus metrics, served at /metrics to monitoring that presents the token.

Counted as they happen (in the web process): requests by route, method and status, their
latency, database queries and their time. Read when Prometheus scrapes (SystemCollector): the
database, the Celery queue depth, the workers that answer, beat's last tick, and the job runs by
job and status from the JobRun table, which every web and worker process writes, so the figures
agree whichever process is scraped.

Under gunicorn each worker process counts its own requests: set PROMETHEUS_MULTIPROC_DIR to an
empty directory (the same for every process, emptied at start) and the scrape adds them up
(docs/operations.md)."""

import logging
import os
import time

from django.db import DatabaseError
from django.db.models import Count, Max
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from ocrm.batch.models import JobRun
from ocrm.monitoring import state

logger = logging.getLogger("ocrm.monitoring")

REGISTRY = CollectorRegistry(auto_describe=True)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter(
    "ocrm_http_requests", "HTTP requests answered, by route, method and status.", ["route", "method", "status"],
    registry=REGISTRY,
)  # fmt: skip
LATENCY = Histogram(
    "ocrm_http_request_duration_seconds", "Time to answer an HTTP request, by route.", ["route", "method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY,
)  # fmt: skip
DB_QUERIES = Counter("ocrm_db_queries", "Database queries run while answering requests.", registry=REGISTRY)
DB_QUERY_ERRORS = Counter("ocrm_db_query_errors", "Database queries that raised an error.", registry=REGISTRY)
DB_DURATION = Histogram(
    "ocrm_db_query_duration_seconds", "Time of one database query run while answering a request.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5), registry=REGISTRY,
)  # fmt: skip


def observe_request(method, route, status, seconds):
    method = method if method in METHODS else "other"  # a client must not invent label values
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def time_query(execute, sql, params, many, context):
    """A connection.execute_wrapper: counts and times each query of a request."""
    started = time.monotonic()
    try:
        return execute(sql, params, many, context)
    except Exception:
        DB_QUERY_ERRORS.inc()
        raise
    finally:
        DB_QUERIES.inc()
        DB_DURATION.observe(time.monotonic() - started)


class SystemCollector:
    """The figures read at scrape time from the services themselves."""

    def collect(self):
        up, connections = state.database_up()
        yield GaugeMetricFamily("ocrm_database_up", "1 when the database answers.", value=int(up))
        if connections is not None:
            yield GaugeMetricFamily("ocrm_database_connections", "Connections open to this database.", value=connections)
        depths = state.queue_depths()
        yield GaugeMetricFamily("ocrm_broker_up", "1 when the Celery broker answers.", value=int(depths is not None))
        if depths is not None:
            queue = GaugeMetricFamily("ocrm_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
            for name, depth in depths.items():
                if name != "unacked":
                    queue.add_metric([name], depth)
            yield queue
            yield GaugeMetricFamily(
                "ocrm_celery_unacked_messages", "Messages a worker has taken and not finished.", value=depths["unacked"]
            )
        yield GaugeMetricFamily("ocrm_celery_workers", "Celery workers that answer a ping.", value=len(state.workers()))
        tick = state.beat_last_tick()
        if tick is not None:
            yield GaugeMetricFamily(
                "ocrm_celery_beat_last_tick_timestamp_seconds", "When Celery beat last checked its schedule.", value=tick
            )
        if up:
            try:
                families = list(self.job_runs())
            except DatabaseError:  # one failing figure must not take the whole scrape with it
                logger.warning("job run metrics unreadable", exc_info=True)
                families = []
            yield from families

    def job_runs(self):
        runs = GaugeMetricFamily("ocrm_job_runs", "Job runs recorded, by job and status.", labels=["job", "status"])
        for job, status, n in JobRun.objects.values_list("job", "status").annotate(n=Count("id")).order_by():
            runs.add_metric([job, status], n)
        yield runs
        finished = GaugeMetricFamily(
            "ocrm_job_last_finished_timestamp_seconds", "When a job last finished, by job and outcome.",
            labels=["job", "status"],
        )  # fmt: skip
        rows = (
            JobRun.objects.filter(finished_at__isnull=False)
            .values_list("job", "status")
            .annotate(last=Max("finished_at"))
            .order_by()
        )
        for job, status, last in rows:
            finished.add_metric([job, status], last.timestamp())
        yield finished
        yield GaugeMetricFamily(
            "ocrm_job_runs_running", "Job runs running now.", value=JobRun.objects.filter(status=JobRun.Status.RUNNING).count()
        )


# Read at scrape time, once, whatever the process mode: kept apart from the per-process counters.
_SYSTEM = CollectorRegistry(auto_describe=False)
_SYSTEM.register(SystemCollector())


def exposition():
    """The text Prometheus reads: this process's counters (or every process's, in multiprocess
    mode) and the system figures."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry) + generate_latest(_SYSTEM)
