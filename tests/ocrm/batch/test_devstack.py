"""`make run` (python -m ocrm.devstack run) stops cleanly on Ctrl-C (issue 12.13): the terminal's
SIGINT reaches the whole foreground process group; every service stops gracefully (no worker
"sent SIGKILL"), nothing is left running, and the command exits 0."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

BASE_DIR = Path(__file__).resolve().parents[3]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


def descendants(pid):
    """Every process below `pid` (from /proc), whatever session it moved to."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def migrated_database(django_db_setup, django_db_blocker):
    """The URL of a new database copied from this process's test database (already migrated):
    `run` then finds nothing to migrate, where a new database costs a whole migration (~50 s of
    CPU). Django's connections are closed first: PostgreSQL copies only a database nobody uses."""
    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    source, name = connection.settings_dict["NAME"], f"devstack_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        connections.close_all()
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.worker
def test_ctrl_c_stops_every_service_gracefully_and_exits_0(tmp_path, migrated_database):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": migrated_database,
        "PORT": str(port),
        "OCRM_VAR_DIR": str(tmp_path),
        "OCRM_DEMO": "0",  # the shutdown is under test, not the demo bank
        "CELERY_QUEUE": f"devstack-{uuid.uuid4().hex[:8]}",  # nothing of other tests reaches its worker
    }
    assert env.get("DATABASE_URL") and env.get("REDIS_URL"), "run with the DATABASE_URL/REDIS_URL of the tests"
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ocrm.devstack", "run"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the terminal of this test
        )
        try:
            deadline = time.monotonic() + 240
            while answers(f"http://127.0.0.1:{port}/healthz") is None:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "no /healthz within 240 s:\n" + log.read_text()
                time.sleep(1)
            # The worker is up too (it logs "ready"), so its shutdown is exercised.
            while b" ready." not in log.read_bytes():
                assert time.monotonic() < deadline, "the worker did not start:\n" + log.read_text()
                time.sleep(0.5)
            services = descendants(proc.pid)
            assert len(services) >= 3  # web, worker (and its pool), beat

            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
            code = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    output = log.read_text()
    assert code == 0, output
    assert "SIGKILL" not in output and "Traceback" not in output, output
    assert "Warm shutdown" in output  # the worker stopped gracefully
    assert not [pid for pid in services if alive(pid)], output
