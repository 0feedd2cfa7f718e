"""The first middleware of every request: its request id, its metrics and its log line."""

import logging
import re
import time
import uuid

from django.db import connection

from ocrm.monitoring import metrics
from ocrm.monitoring.logs import bind_request_id, unbind_request_id

logger = logging.getLogger("ocrm.request")

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept when it looks like one; anything else (too long, odd characters that
# could forge log lines) is replaced by our own.
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class RequestIdMiddleware:
    """Takes the request id from X-Request-ID (set by the reverse proxy) or makes one, keeps it
    for the logs and the Celery tasks the request starts, and returns it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if _ACCEPTED_ID.match(given) else uuid.uuid4().hex
        token = bind_request_id(request.request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            # The path only: a query string may carry personal data (an ID number searched).
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": getattr(getattr(request, "user", None), "pk", None),
                },
            )
            return response
        finally:
            unbind_request_id(token)


class MetricsMiddleware:
    """Counts requests, their latency and their database queries for Prometheus, labelled by the
    route's name (a bounded set), never by the path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        with connection.execute_wrapper(metrics.time_query):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.view_name or match.route) if match else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, time.monotonic() - started)
        return response
