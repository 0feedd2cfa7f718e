"""Finding 11.8: under `make run` a job in flight was lost when the worker died, because the
embedded Redis kept nothing (its save rule never took effect, no append-only file) and nothing
swept runs left "running". Here the real embedded Redis of the devstack is the broker: a feed
load is under way, the main worker process is killed (SIGKILL, then what is left of its pool, as
a crashed machine loses everything), the broker is killed too and started again from its files,
a new worker starts: the load completes, every row exactly once, in the same run."""

import os
import signal
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.ecif.feeds import services
from customers.ecif.feeds.models import FeedLoad, SourceRecord
from ocrm import devstack
from ocrm.batch.models import JobRun
from ocrm.celery import app
from tests.conftest import WorkerProcess
from tests.customers.ecif.feeds.support import CUSTOMER_HEADER, DAY1, csv_bytes, customer_row, resident_id
from tests.support.waiting import wait_for

ROWS = 600


def broker_env(url, media):
    return {
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "MEDIA_ROOT": media,
    }


def on_broker(monkeypatch, start, **env):
    """Start a worker on the embedded broker. The harness asks a new worker for a pong through the
    tests' broker, where this one does not listen: its "ready" line in the worker log answers instead."""

    def ready_in_log(destination, **kwargs):
        log = WorkerProcess().log_path
        if log.exists() and f"{destination[0]} ready." in log.read_text():
            return [{destination[0]: {"ok": "pong"}}]
        time.sleep(0.5)  # as long as a ping waits for its answer
        return []

    monkeypatch.setattr(app.control, "ping", ready_in_log)
    try:
        return start(**env)
    finally:
        monkeypatch.undo()


@pytest.mark.worker
def test_a_load_survives_the_main_worker_and_the_embedded_broker_dying(
    org, celery_worker_factory, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    var_dir = tmp_path / "var"
    url, _running = devstack.start_embedded_redis(var_dir)
    try:
        rows = [customer_row(f"K{i}", name=f"客户{i}", id_number=resident_id(f"11010519800101{i:03d}")) for i in range(ROWS)]
        uploaded = SimpleUploadedFile("customers.csv", csv_bytes(CUSTOMER_HEADER, rows))
        load = services.receive_upload(org.admin, source_system="CORE", feed="customers", business_date=DAY1, uploaded=uploaded)
        # The upload queued its message on the tests' broker: hand it to the embedded one instead.
        app.control.purge()
        with app.connection_for_write(url) as connection:
            app.send_task(services.LOAD_TASK, args=(load.pk,), connection=connection)

        slow = on_broker(
            monkeypatch,
            celery_worker_factory,
            OCRM_BATCH_CHUNK_SIZE="50",
            OCRM_BATCH_CHUNK_DELAY="0.3",
            **broker_env(url, settings.MEDIA_ROOT),
        )

        def under_way():
            load.refresh_from_db()
            run = JobRun.objects.filter(pk=load.job_run_id).first()
            return run if run is not None and run.progress_done > 0 else None

        wait_for(under_way, "the load to be under way", interval=0.02)
        os.kill(slow.proc.pid, signal.SIGKILL)  # the main worker process, which holds the broker connection
        slow.kill()  # and what is left of its pool
        at_kill = JobRun.objects.get(pk=load.job_run_id)
        assert at_kill.status == JobRun.Status.RUNNING and at_kill.attempts == 1

        # The broker dies too (appendfsync everysec: its last second at most is not on disk yet).
        time.sleep(1.5)
        redis_pid = int((var_dir / "redis" / "redis.pid").read_text())
        os.kill(redis_pid, signal.SIGKILL)
        wait_for(lambda: not os.path.exists(f"/proc/{redis_pid}") or None, "the broker to die")
        url, running = devstack.start_embedded_redis(var_dir)
        assert not running

        on_broker(monkeypatch, celery_worker_factory, **broker_env(url, settings.MEDIA_ROOT))

        def finished():
            load.refresh_from_db()
            return load if load.status not in (FeedLoad.Status.QUEUED, FeedLoad.Status.RUNNING) else None

        wait_for(finished, "the load to finish after the restart", timeout=120)
        run = wait_for(lambda: JobRun.objects.filter(pk=at_kill.pk, status=JobRun.Status.SUCCEEDED).first(), "the run")
        assert (load.status, load.rows_loaded, load.rows_rejected) == (FeedLoad.Status.LOADED, ROWS, 0)
        assert run.attempts == 2 and JobRun.objects.filter(job=run.job).count() == 1  # the same run, resumed once
        assert SourceRecord.objects.filter(source_system="CORE").count() == ROWS  # every row exactly once
    finally:
        devstack.stop_embedded_redis(var_dir)
