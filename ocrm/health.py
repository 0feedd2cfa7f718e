"""GET /healthz: database, Redis and Celery worker status (503 when one is down).

Anyone (a load balancer, CI's smoke test) gets the plain status; the details (which check
failed and why, the workers' names, timings) go only to monitoring that presents the token
(ocrm.monitoring.token): error texts carry addresses and names an outsider must not learn."""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django_redis import get_redis_connection

from ocrm.celery import app
from ocrm.monitoring import token


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_redis():
    get_redis_connection("default").ping()
    return {"ok": True}


def _check_celery():

    # One connection attempt, not the publisher's retry loop: with the broker down the
    # check must fail in milliseconds, not after seconds of retries (load balancers wait).
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)
        # The first worker's answer is enough. A busy worker can miss one broadcast, so a
        # worker is declared missing only after two silent pings.
        replies = []
        for _attempt in range(2):
            replies = app.control.ping(timeout=settings.OCRM_HEALTH_PING_SECONDS, limit=1, connection=conn) or []
            if replies:
                break
    workers = sorted(name for reply in replies for name in reply)
    return {"ok": bool(workers), "workers": workers}


CHECKS = {"database": _check_database, "redis": _check_redis, "celery": _check_celery}


@never_cache
def healthz(request):
    report, healthy = {}, True
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            result = check()
        except Exception as exc:  # a health check reports every failure, whatever it is
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        result["ms"] = round((time.monotonic() - started) * 1000, 1)
        healthy = healthy and result["ok"]
        report[name] = result
    status = "ok" if healthy else "degraded"
    body = {**report, "status": status} if token.presented(request) else {"status": status}
    return JsonResponse(body, status=200 if healthy else 503)
