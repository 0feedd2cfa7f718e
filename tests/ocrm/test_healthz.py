"""GET /healthz: database, Redis and Celery worker status as JSON, 503 when one is down."""

import time

import pytest
from django.test import override_settings

from ocrm import health
from ocrm.celery import app

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def closed_port_caches(settings):
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["LOCATION"] = CLOSED_PORT_REDIS
    return caches


@pytest.mark.worker
def test_all_up_with_a_worker_running(client, celery_worker):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"]["ok"] and report["redis"]["ok"] and report["celery"]["ok"]
    assert any(name.startswith("test-") for name in report["celery"]["workers"])


@pytest.mark.worker
def test_503_names_redis_when_redis_is_unreachable(client, celery_worker, settings):
    """Only the cache connection points at a closed port: database and worker stay up."""
    with override_settings(CACHES=closed_port_caches(settings)):
        response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "degraded"
    assert report["redis"]["ok"] is False and "Connection" in report["redis"]["error"]
    assert report["database"]["ok"] is True and report["celery"]["ok"] is True


@pytest.mark.django_db
def test_503_names_celery_when_no_worker_answers(client):
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["celery"] == {"ok": False, "workers": [], "ms": report["celery"]["ms"]}
    assert report["database"]["ok"] is True and report["redis"]["ok"] is True
    assert time.monotonic() - started < 5  # the ping waits one second, not more


@pytest.mark.django_db
def test_an_unreachable_broker_fails_fast(settings):
    """With the broker down the Celery check fails at once instead of retrying for seconds."""
    original = app.conf.broker_url
    app.conf.broker_url = CLOSED_PORT_REDIS
    try:
        started = time.monotonic()
        with pytest.raises(Exception) as failure:
            health._check_celery()
        assert time.monotonic() - started < 3
        assert "Connection refused" in str(failure.value) or "connecting" in str(failure.value)
    finally:
        app.conf.broker_url = original
