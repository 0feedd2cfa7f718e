"""Shared fixtures: organisation factories, a real Celery worker, headless Chromium."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.db.models.signals import pre_save
from django.test import TransactionTestCase, override_settings
from django.utils import translation
from playwright.sync_api import sync_playwright

from ocrm.celery import app
from sysadmin.org.models import Staff
from tests.factories import build_org
from tests.factories import make_staff as _make
from tests.support import mfa as second_factor

# Playwright's sync API runs an event loop in this thread; the ORM calls that tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The fixture behind tests.support.views.ModelPagesTests, for every test module.
pytest_plugins = ["tests.support.views"]

# client.force_login leaves staff whose role needs a second factor verified, as a full log-in would.
second_factor.install()

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "Test-Pass-2026!"


# --- organisation ------------------------------------------------------------------


@pytest.fixture
def org(db):
    """A small two-bank organisation: bank A with head office -> region -> two branches
    (one with a sub-branch) and bank B with one branch."""
    return build_org()


@pytest.fixture
def make_staff(db):

    return _make


def pytest_configure(config):
    """The production hasher costs ~0.5 s a hash by design; tests hash hundreds, also in
    module- and class-scoped fixtures, so the fast one is set for the whole session (a test of
    the hasher itself overrides it with the settings fixture)."""
    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English unless they choose Chinese (a cookie, Accept-Language or
    translation.override); the product's own default stays Simplified Chinese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def english_staff(db):
    """Staff created during the test (and those already there) read English: notifications and
    pages are written in each recipient's own language, whose product default is Chinese."""

    def english(sender, instance, **kwargs):
        if instance._state.adding:
            instance.language = "en"

    pre_save.connect(english, sender=Staff, dispatch_uid="tests.english_staff")
    Staff.objects.update(language="en")
    yield
    pre_save.disconnect(sender=Staff, dispatch_uid="tests.english_staff")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Parameters are cached in Redis: every test starts from a clean cache. (Not
    cache.clear(): that would flush the Redis database the Celery broker uses too.)"""
    cache.delete_pattern("*")
    yield


# --- emptying the database after a transactional test -------------------------------------


class FastFlush:
    """What `flush` + post_migrate leave after a transactional test (browser, worker), made
    cheaply. flush TRUNCATEs every table (new files for each table and index) and post_migrate
    rebuilds content types, permissions and roles (and audits them): 2-4 s a test on this
    machine. The first teardown flushes for real and keeps a copy of every row post_migrate
    wrote; later ones DELETE the rows of every other table and put back the copy of a table
    whose contents a test changed (an md5 of the few hundred rows tells)."""

    snapshots = {}  # database alias -> {table: (md5 of its rows, its rows as JSON)}

    @classmethod
    def teardown(cls, test_case):

        for alias in test_case._databases_names(include_mirrors=False):
            connection = connections[alias]
            quote = connection.ops.quote_name
            tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                snapshot = cls.snapshots.get(alias)
                if snapshot is None:
                    _flush_and_post_migrate(test_case)
                    cls.snapshots[alias] = cls.take(cursor, quote, cls.non_empty(cursor, quote, tables))
                    continue
                now = cls.take(cursor, quote, snapshot)
                changed = [table for table in snapshot if now[table][0] != snapshot[table][0]]
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # delete in any order; checked at commit
                for table in cls.non_empty(cursor, quote, tables):
                    if table not in snapshot or table in changed:
                        cursor.execute(f"DELETE FROM {quote(table)}")
                for table in changed:
                    cursor.execute(
                        f"INSERT INTO {quote(table)} SELECT * FROM json_populate_recordset(NULL::{quote(table)}, %s)",
                        [snapshot[table][1]],
                    )

    @staticmethod
    def non_empty(cursor, quote, tables):
        cursor.execute(" UNION ALL ".join(f"(SELECT %s FROM {quote(table)} LIMIT 1)" for table in tables), tables)
        return sorted(table for (table,) in cursor.fetchall())

    @staticmethod
    def take(cursor, quote, tables):
        """{table: (md5 of its rows, its rows as JSON)}."""
        if not tables:
            return {}
        md5 = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        rows = "coalesce(json_agg(t), '[]')::text"
        cursor.execute(" UNION ALL ".join(f"SELECT %s, {md5}, {rows} FROM {quote(table)} t" for table in tables), list(tables))
        return {table: (md5, rows) for table, md5, rows in cursor.fetchall()}


_flush_and_post_migrate = None  # Django's TransactionTestCase._fixture_teardown, kept for the cases above


def _fast_fixture_teardown(self):
    if self.available_apps is not None or self.serialized_rollback:
        return _flush_and_post_migrate(self)  # subsets and serialized data: Django's own way
    FastFlush.teardown(self)


def pytest_sessionstart(session):
    global _flush_and_post_migrate
    _flush_and_post_migrate = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = _fast_fixture_teardown


# --- the permission sweep's totals ------------------------------------------------------

_sweep_totals = {}


def pytest_runtest_logreport(report):
    """Add up what each route's test of the permission sweep (tests/test_permission_sweep.py)
    tried; under xdist the reports of every worker arrive here in the controller."""
    for name, value in report.user_properties if report.when == "call" else ():
        if name == "permission_sweep":
            totals = _sweep_totals.setdefault(value["area"], {"routes": value["routes"], "run": 0, "post": 0, "pages read": 0})
            totals["run"] += 1
            totals["post"] += value["post"]
            totals["pages read"] += value["pages read"]


def pytest_sessionfinish(session):
    """Once every route of an area has run: at least as many refused POSTs tried and pages read
    for leaks as the area has routes, or the run fails (the sweep must not go blind)."""
    if hasattr(session.config, "workerinput"):
        return  # a worker sees its share only; the controller checks
    failures = [
        f"permission sweep ({area}): {totals['post']} refused POSTs tried and {totals['pages read']} pages read"
        f" for {totals['routes']} routes; expected at least one of each per route"
        for area, totals in sorted(_sweep_totals.items())
        if totals["run"] == totals["routes"] and min(totals["post"], totals["pages read"]) < totals["routes"]
    ]
    if failures:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for failure in failures:
            reporter.write_line(f"FAILED {failure}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Celery worker -------------------------------------------------------------------


def _database_url_for(settings_dict):
    host = settings_dict.get("HOST") or ""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgresql://{auth}/{settings_dict['NAME']}?host={host}"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{settings_dict['NAME']}"


class WorkerProcess:
    """A real `celery worker` subprocess bound to the test database and this run's queue."""

    def __init__(self, extra_env=None):
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url_for(connection.settings_dict),
            "OCRM_LANGUAGE_CODE": "en",  # like the tests' own default (see _english_by_default)
            **(extra_env or {}),
        }
        self.proc = None
        self.name = f"test-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
        self.log_path = BASE_DIR / "var" / f"test-worker-{os.getpid()}.log"

    def start(self, timeout=60):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ocrm",
                "worker",
                "-l",
                "info",
                "-c",
                "1",
                "-P",
                "prefork",
                "-n",
                self.name,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited early; see {self.log_path}")
            # Only this worker is asked, so its answer ends the wait at once (not after the timeout).
            if app.control.ping(destination=[self.name], limit=1, timeout=0.5):
                return self
        raise RuntimeError(f"Celery worker did not answer within {timeout}s; see {self.log_path}")

    def kill(self):
        """SIGKILL the whole worker process group, as a crashed machine would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def discard(self):
        """After the test: nothing it waits for runs any more, so no graceful shutdown (2 s)."""
        self.kill()
        if getattr(self, "_log", None):
            self._log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture
def celery_worker_factory(transactional_db):
    """Start real workers (they see committed data only, hence transactional_db)."""
    app.control.purge()
    workers = []

    def start(**extra_env):
        worker = WorkerProcess(extra_env).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.discard()
    app.control.purge()


@pytest.fixture
def celery_worker(celery_worker_factory):
    return celery_worker_factory()


# --- browser -----------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def _playwright():

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def login(page, username, password=PASSWORD):
    """Through the log-in form, and the second step with a code from the user's app where their role needs one."""
    second_factor.prepare_browser_login(username)
    if page.url != "about:blank" and "/accounts/login/" not in page.url:
        # A previous user's page may still have htmx sections in flight, and their answers would
        # set that user's session cookie again (any answer that saves the session, e.g. the idle clock's), even
        # after this log-in: let them land, leave the page, then drop that cookie. (On the log-in
        # page itself the session is an anonymous one that holds the language chosen there.)
        page.wait_for_load_state("networkidle")
        page.goto("about:blank")
        page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    page.goto("/accounts/login/")
    if "/accounts/login/" not in page.url:
        # The test cleared its cookies while the previous page still had requests in flight (htmx
        # sections); their answers set the session cookie again (any answer that saves the
        # session). Let them land, drop that session cookie and come back to the form.
        page.wait_for_load_state("networkidle")
        page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
        page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    second_factor.complete_in_browser(page, username)
