"""Structured logs: one JSON object a line, each carrying the request id of the web request or
Celery task it belongs to, so that one search finds everything a request caused, in the web
processes and the workers alike. The request id lives in a context variable set by
ocrm.monitoring.middleware (web) and ocrm.monitoring.tasks (workers)."""

import contextvars
import datetime
import json
import logging
import traceback

_request_id = contextvars.ContextVar("ocrm_request_id", default=None)

# The attributes every LogRecord has; whatever else a call passes in `extra=` is the event's data.
# Django's own "request" extra is left out: its text carries the query string, where personal data
# may travel.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id", "request"}


def current_request_id():
    return _request_id.get()


def bind_request_id(value):
    """Set the request id of the current context; returns the token to reset it with."""
    return _request_id.set(value)


def unbind_request_id(token):
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (the text format shows it as well)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            # Django logs a failed response ("django.request") after the middleware has finished:
            # the request it passes along still knows its id.
            request = getattr(record, "request", None)
            record.request_id = _request_id.get() or getattr(request, "request_id", None) or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        event = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _request_id.get(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                event[key] = value
        if record.exc_info:
            event["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            event["exception"] = record.exc_text
        # default=str: a value json cannot encode (a date, a model) is written as its text.
        return json.dumps(event, ensure_ascii=False, default=str)
