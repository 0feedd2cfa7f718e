"""The operator page: the platform's state (the real workers, a real beat's last tick, the real
queue's depth) for everyone with the jobs permission, and the last run of each job of the
viewer's own bank only."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone

from ocrm.batch.models import JobRun
from ocrm.celery import app
from ocrm.monitoring import state
from tests.conftest import BASE_DIR, _database_url_for
from tests.support.waiting import wait_for

URL = "/sysadmin/monitor/"


def page_text(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_who_may_open_it(client, org):
    assert client.get(URL).status_code == 302  # to the log-in page
    client.force_login(org.manager)
    assert client.get(URL).status_code == 403
    for user in [org.admin, org.auditor, org.supervisor]:
        client.force_login(user)
        assert client.get(URL).status_code == 200, user.username


@pytest.mark.django_db
def test_a_bank_sees_its_own_job_figures_only(client, org):
    now = timezone.now()
    JobRun.objects.create(job="lifecycle", bank_id=org.bank_a.pk, status="succeeded", started_at=now, finished_at=now)
    JobRun.objects.create(job="lifecycle", bank_id=org.bank_b.pk, status="failed", started_at=now, finished_at=now)
    JobRun.objects.create(job="lifecycle", bank_id=org.bank_b.pk, status="failed", started_at=now, finished_at=now)
    JobRun.objects.create(job="b_only_job", bank_id=org.bank_b.pk, status="failed")
    JobRun.objects.create(job="all_banks_job", bank_id=None, status="failed")  # counts of every bank

    text_a = page_text(client, org.admin)
    assert 'data-job="lifecycle"' in text_a and 'data-status="succeeded"' in text_a
    assert 'data-status="failed"' not in text_a and "b_only_job" not in text_a and "all_banks_job" not in text_a
    assert 'id="monitor-failed-jobs"' not in text_a

    text_b = page_text(client, org.b_admin)
    assert 'data-status="succeeded"' not in text_b and "b_only_job" in text_b and "all_banks_job" not in text_b
    assert "2 jobs failed last time" in text_b
    row = text_b[text_b.index('data-job="lifecycle"') :]
    assert '<td class="failures">2</td>' in row[: row.index("</tr>")]


@pytest.mark.django_db(transaction=True)
def test_queue_depth_and_no_worker(client, org):
    app.control.purge()
    try:
        for _ in range(2):
            app.send_task("ocrm.tasks.purge_export_files")
        text = page_text(client, org.admin)
    finally:
        app.control.purge()
    assert f'data-queue="{app.conf.task_default_queue}">2<' in text
    assert 'id="monitor-workers"' in text and "None answers" in text


@pytest.mark.worker
def test_a_running_worker_is_shown(client, org, celery_worker):
    text = page_text(client, org.admin)
    assert celery_worker.name in text


class BeatProcess:
    """A real `celery beat` with the project's scheduler (settings.CELERY_BEAT_SCHEDULER)."""

    def __init__(self, tmp_path):
        env = {**os.environ, "DATABASE_URL": _database_url_for(connection.settings_dict)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ocrm", "beat", "-l", "info",
             "-s", str(tmp_path / "beat-schedule"), "--pidfile="],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_beat_alive_then_silent(client, org, tmp_path):
    text = page_text(client, org.admin)
    assert 'id="monitor-beat"' in text and "Silent" in text and "Never ticked" in text

    beat = BeatProcess(tmp_path)
    try:
        wait_for(lambda: state.beat_last_tick() is not None, "beat's first tick", timeout=60)
        text = page_text(client, org.admin)
        assert "Alive" in text and "Last tick" in text
    finally:
        beat.stop()
        app.control.purge()  # whatever beat sent (the seeded schedules) is not run by anyone

    # A beat that died stops ticking: a minute later the page says so.
    state.record_beat_tick(time.time() - state.BEAT_STALE_AFTER - 1)
    assert "Silent" in page_text(client, org.admin)


@pytest.mark.django_db
def test_in_chinese(client, org):
    client.force_login(org.admin)
    client.cookies["django_language"] = "zh-hans"
    text = client.get(URL).content.decode()
    for label in ["系统监控", "后台工作进程", "定时调度器", "任务队列", "各作业的最近一次运行", "下方作业仅为本行的作业"]:
        assert label in text, label
    for english in ["Celery workers", "Scheduler (beat)", "Last run of each job", "messages waiting"]:
        assert english not in text, english


@pytest.mark.django_db
def test_a_platform_operator_sees_every_banks_runs(client, org, make_staff):
    JobRun.objects.create(job="lifecycle", bank_id=org.bank_b.pk, status="failed")
    text = page_text(client, make_staff("platform.root", is_superuser=True))
    assert 'data-status="failed"' in text and "the jobs below are every bank's" in text
