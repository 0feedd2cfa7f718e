"""/metrics: Prometheus text behind the monitoring token, with the requests of this process, the
database, the real Redis queue's depth, the real workers that answer, beat's last tick and the
job runs by job and status."""

import datetime
import re
import time

import pytest
from django.utils import timezone

from ocrm.batch.models import JobRun
from ocrm.celery import app
from ocrm.monitoring import state

TOKEN = "metrics-token-for-tests-0123456789abc"


@pytest.fixture
def auth(settings):
    settings.OCRM_MONITORING_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def sample(text, name, **labels):
    """The value of one sample of the exposition text, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))  # exposition order
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else None


def scrape(client, auth):
    response = client.get("/metrics", **auth)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}"])
def test_metrics_need_the_token(client, auth, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 403 and b"ocrm_" not in response.content


@pytest.mark.django_db
def test_without_a_configured_token_metrics_are_closed(client, settings):
    settings.OCRM_MONITORING_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


@pytest.mark.django_db
def test_a_logged_in_superuser_without_the_token_is_refused_too(client, make_staff):
    client.force_login(make_staff("root", is_superuser=True))
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_requests_are_counted_by_route_with_their_latency_and_queries(client, auth, org):
    client.force_login(org.manager)
    before = sample(scrape(client, auth), "ocrm_http_requests_total", route="home", method="GET", status="200") or 0
    for _ in range(3):
        client.get("/")
    client.get("/customers/C-NOPE/")  # a 404 is counted under its route, not its path
    text = scrape(client, auth)
    assert sample(text, "ocrm_http_requests_total", route="home", method="GET", status="200") == before + 3
    assert sample(text, "ocrm_http_requests_total", route="customers:detail", method="GET", status="404") >= 1
    assert "C-NOPE" not in text
    assert sample(text, "ocrm_http_request_duration_seconds_count", route="home", method="GET") >= 3
    assert sample(text, "ocrm_db_queries_total") > 0
    assert sample(text, "ocrm_db_query_duration_seconds_count") > 0
    assert sample(text, "ocrm_database_up") == 1


@pytest.mark.django_db
def test_an_invented_method_does_not_make_a_label(client, auth):
    client.generic("BREW", "/accounts/login/")
    text = scrape(client, auth)
    assert "BREW" not in text and 'method="other"' in text


@pytest.mark.django_db
def test_job_runs_by_job_and_status(client, auth):
    finished = timezone.now() - datetime.timedelta(minutes=5)
    for status in ["succeeded", "succeeded", "failed"]:
        JobRun.objects.create(job="nightly_test", status=status, finished_at=finished)
    JobRun.objects.create(job="nightly_test", status="running")
    text = scrape(client, auth)
    assert sample(text, "ocrm_job_runs", job="nightly_test", status="succeeded") == 2
    assert sample(text, "ocrm_job_runs", job="nightly_test", status="failed") == 1
    assert sample(text, "ocrm_job_runs_running") == 1
    last = sample(text, "ocrm_job_last_finished_timestamp_seconds", job="nightly_test", status="failed")
    assert abs(last - finished.timestamp()) < 1


@pytest.mark.django_db(transaction=True)
def test_queue_depth_is_read_from_the_real_broker(client, auth):
    """No worker runs: messages sent wait in Redis, and the scrape counts them."""
    app.control.purge()
    queue = app.conf.task_default_queue
    try:
        for _ in range(3):
            app.send_task("ocrm.tasks.purge_export_files")
        text = scrape(client, auth)
        assert sample(text, "ocrm_celery_queue_depth", queue=queue) == 3
        assert sample(text, "ocrm_broker_up") == 1
        assert sample(text, "ocrm_celery_workers") == 0
    finally:
        app.control.purge()
    assert sample(scrape(client, auth), "ocrm_celery_queue_depth", queue=queue) == 0


@pytest.mark.worker
def test_a_running_worker_is_counted(client, auth, celery_worker):
    assert sample(scrape(client, auth), "ocrm_celery_workers") >= 1


@pytest.mark.django_db
def test_beat_last_tick(client, auth):
    assert sample(scrape(client, auth), "ocrm_celery_beat_last_tick_timestamp_seconds") is None
    now = time.time()
    state.record_beat_tick(now)
    assert sample(scrape(client, auth), "ocrm_celery_beat_last_tick_timestamp_seconds") == pytest.approx(now)


@pytest.mark.django_db
def test_a_broker_that_is_down_shows_as_down(client, auth):
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        text = scrape(client, auth)
    finally:
        app.conf.broker_url = original
    assert sample(text, "ocrm_broker_up") == 0 and sample(text, "ocrm_celery_workers") == 0
    assert sample(text, "ocrm_database_up") == 1
