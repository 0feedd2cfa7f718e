"""The request id: taken from X-Request-ID or made, returned in the response, written on every
JSON log line of the request, and carried into the Celery task the request starts, whose log
lines in the real worker name the same id."""

import json
import logging

import pytest

from ocrm.batch.models import JobRun
from ocrm.monitoring.logs import JsonFormatter, RequestIdFilter, bind_request_id, unbind_request_id
from sysadmin.accounts.jobs import PASSWORD_EXPIRY_NOTICES
from tests.support.waiting import wait_for


@pytest.mark.django_db
def test_a_request_id_is_made_and_returned(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert response["X-Request-ID"] == "lb-7f3a9c21-0001"


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ['x\n{"level": "ERROR"}', "a" * 200, "short", "id with spaces 123"])
def test_a_request_id_that_could_forge_log_lines_is_replaced(client, forged):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged and len(response["X-Request-ID"]) == 32


def test_a_json_line_per_event_with_the_request_id():
    record = logging.LogRecord("ocrm.test", logging.INFO, __file__, 1, "customer %s opened", ("C1",), None)
    record.path = "/customers/C1/"
    token = bind_request_id("req-abcdef012345")
    try:
        RequestIdFilter().filter(record)
    finally:
        unbind_request_id(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert event["message"] == "customer C1 opened" and event["request_id"] == "req-abcdef012345"
    assert event["level"] == "INFO" and event["logger"] == "ocrm.test" and event["path"] == "/customers/C1/"


def test_an_exception_stays_on_its_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("ocrm.test", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: bad\\nvalue" in line


@pytest.mark.django_db
def test_the_request_log_line_leaves_out_the_query_string(client, caplog):
    with caplog.at_level(logging.INFO, logger="ocrm.request"):
        client.get("/accounts/login/?q=310115197703170378", HTTP_X_REQUEST_ID="req-query-000001")
    (record,) = [r for r in caplog.records if r.name == "ocrm.request"]
    line = JsonFormatter().format(record)
    assert "310115197703170378" not in line
    event = json.loads(line)
    assert event["path"] == "/accounts/login/" and event["status"] == 200 and event["request_id"] == "req-query-000001"


@pytest.mark.worker
def test_the_request_id_travels_into_the_task_and_its_worker_log(client, org, celery_worker_factory):
    worker = celery_worker_factory(OCRM_LOG_FORMAT="json", LOG_LEVEL="INFO")
    log_start = worker.log_path.stat().st_size
    client.force_login(org.admin)
    response = client.post(
        "/sysadmin/jobs/start/",
        {"job": PASSWORD_EXPIRY_NOTICES, "business_date": "2026-01-05"},
        HTTP_X_REQUEST_ID="req-jobstart-4711",
    )
    assert response.status_code == 302 and response["X-Request-ID"] == "req-jobstart-4711"
    run = JobRun.objects.get(job=PASSWORD_EXPIRY_NOTICES)
    wait_for(lambda: JobRun.objects.get(pk=run.pk).status == JobRun.Status.SUCCEEDED, timeout=60)

    def task_events():
        text = worker.log_path.read_bytes()[log_start:].decode("utf-8", "replace")
        events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        return [e for e in events if e.get("logger") == "ocrm.tasks" and e.get("task_id") == run.task_id]

    wait_for(lambda: len(task_events()) == 2, timeout=20)
    started, finished = task_events()
    assert started["request_id"] == finished["request_id"] == "req-jobstart-4711"
    assert finished["state"] == "SUCCESS" and finished["duration_ms"] >= 0
