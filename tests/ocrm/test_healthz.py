"""GET /healthz: database, Redis and Celery worker status, 503 when one is down. Anonymous
callers learn the status only; monitoring with the token (OCRM_MONITORING_TOKEN) the details."""

import time

import pytest
from django.test import override_settings

from ocrm import health
from ocrm.celery import app

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
TOKEN = "monitoring-token-for-tests-0123456789"


@pytest.fixture
def monitoring_token(settings):
    settings.OCRM_MONITORING_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def quick_ping(settings):
    """The token tests run without a worker: each check still pings the broker, briefly."""
    settings.OCRM_HEALTH_PING_SECONDS = 0.1


def closed_port_caches(settings):
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["LOCATION"] = CLOSED_PORT_REDIS
    return caches


@pytest.mark.worker
def test_all_up_with_a_worker_running(client, celery_worker, monitoring_token):
    response = client.get("/healthz", **monitoring_token)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"]["ok"] and report["redis"]["ok"] and report["celery"]["ok"]
    assert any(name.startswith("test-") for name in report["celery"]["workers"])

    # The same state, asked by anyone: a plain status (what CI's smoke test and a load balancer read).
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok"}


@pytest.mark.worker
def test_503_names_redis_when_redis_is_unreachable(client, celery_worker, settings, monitoring_token):
    """Only the cache connection points at a closed port: database and worker stay up."""
    with override_settings(CACHES=closed_port_caches(settings)):
        response = client.get("/healthz", **monitoring_token)
        anonymous = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "degraded"
    assert report["redis"]["ok"] is False and "Connection" in report["redis"]["error"]
    assert report["database"]["ok"] is True and report["celery"]["ok"] is True
    # The attacker's view of the same failure: no error text, no address, no worker name.
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "degraded"}
    assert b"127.0.0.1" not in anonymous.content and b"test-" not in anonymous.content


@pytest.mark.django_db
def test_503_names_celery_when_no_worker_answers(client, monitoring_token):
    started = time.monotonic()
    response = client.get("/healthz", **monitoring_token)
    assert response.status_code == 503
    report = response.json()
    assert report["celery"] == {"ok": False, "workers": [], "ms": report["celery"]["ms"]}
    assert report["database"]["ok"] is True and report["redis"]["ok"] is True
    assert time.monotonic() - started < 5  # the ping waits one second, not more


@pytest.mark.django_db
def test_the_ping_wait_is_a_setting(client, monitoring_token, settings):
    """OCRM_HEALTH_PING_SECONDS: with no worker, the check waits two pings of that length, no more."""
    settings.OCRM_HEALTH_PING_SECONDS = 0.2
    report = client.get("/healthz", **monitoring_token).json()
    assert report["celery"]["ok"] is False
    assert 400 <= report["celery"]["ms"] < 1400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",  # all but the last character
        f"Basic {TOKEN}",
        TOKEN,  # no scheme
        "Bearer ",
    ],
)
def test_details_need_the_exact_token(client, monitoring_token, quick_ping, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/healthz", **headers)
    assert set(response.json()) == {"status"}


@pytest.mark.django_db
def test_without_a_configured_token_nobody_gets_details(client, settings, quick_ping):
    settings.OCRM_MONITORING_TOKEN = ""
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer ")
    assert set(response.json()) == {"status"}
    assert set(client.get("/healthz", HTTP_AUTHORIZATION="Bearer x").json()) == {"status"}


@pytest.mark.django_db
def test_a_token_in_the_query_string_is_not_accepted(client, monitoring_token, quick_ping):
    """The access log keeps query strings: the token travels in a header only."""
    assert set(client.get(f"/healthz?token={TOKEN}").json()) == {"status"}


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
