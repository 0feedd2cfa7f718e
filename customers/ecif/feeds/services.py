"""Feed loads as business actions: receive a file (upload page or inbox folder), load it in a
job (customers.ecif.feeds.tasks), and say what happened.

Idempotency, per (bank, source system, feed, business date):
* the same content again (same SHA-256 as the delivery that was last loaded) changes nothing:
  the new FeedLoad ends "unchanged" without touching production;
* other content is a corrected re-delivery: it is loaded, and what it replaces is spelt out per
  feed in formats.SPECS (replace_help); the earlier load is marked superseded;
* a load killed half-way is rerun on the same JobRun (late acknowledgement) from the file:
  production is written in one transaction, so every row ends up there exactly once."""

import hashlib
import logging
import os
import time
import zipfile
from pathlib import Path

from celery import signature
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from customers.ecif.feeds import loaders
from customers.ecif.feeds.formats import FEED_NAME, SOURCE_SYSTEM, get_spec
from customers.ecif.feeds.models import FeedLoad
from customers.ecif.matching.services import resolve_source_records
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch import runs as batch
from ocrm.batch.runs import job_run
from ocrm.imports import readers
from ocrm.imports.readers import FileRejected
from ocrm.imports.staging import error_report
from sysadmin.org.models import Bank

logger = logging.getLogger("ocrm.feeds")


JOB = "customer_feed_load"


LOAD_TASK = "customers.tasks_feeds.load_feed"


PERMISSION = "customers.load_feeds"


PROCESSED, REJECTED, LOADING = "processed", "rejected", "loading"


EXTENSIONS = (".csv", ".xlsx")


SETTLE_SECONDS = 10  # a younger inbox file may still be being copied in


def check_actor(actor):
    if not actor.has_perm(PERMISSION) or actor.bank_id is None:
        raise PermissionDenied


def _sha256(handle):
    handle.seek(0)
    digest = hashlib.file_digest(handle, "sha256").hexdigest()
    handle.seek(0)
    return digest


def receive_upload(actor, *, source_system, feed, business_date, uploaded):
    """Store an operator's file as a queued FeedLoad and queue its job once committed. A file
    larger than an upload may be (import.max_upload_bytes) is not stored: its load is rejected
    at once (larger feeds arrive through the inbox folder)."""
    check_actor(actor)
    source_system = source_system.strip().upper()
    if not SOURCE_SYSTEM.match(source_system):
        raise ValidationError({"source_system": _("Use 1-30 capital letters, digits or hyphens.")})
    size = uploaded.size
    limit = readers.upload_limit(actor.bank_id)
    with transaction.atomic():
        load = FeedLoad(
            bank_id=actor.bank_id,
            source_system=source_system,
            feed=feed,
            business_date=business_date,
            original_name=os.path.basename(uploaded.name)[:255],
            file_size=size,
            sha256=_sha256(uploaded),
            origin=FeedLoad.Origin.UPLOAD,
            uploaded_by=actor,
        )
        if size > limit:
            load.status, load.finished_at = FeedLoad.Status.REJECTED, timezone.now()
            advice = _("Send larger feeds through the inbox folder.")
            load.error = f"{readers.too_large_message(size, limit)} {advice}"
        else:
            load.file.save(
                f"{source_system}_{feed}_{business_date:%Y%m%d}{Path(uploaded.name).suffix.lower()[:6]}", uploaded, save=False
            )
        load.save()
        audit.record(
            AuditLog.Action.IMPORT,
            load,
            actor=actor,
            object_repr=str(load),
            detail={
                "feed": feed,
                "source_system": source_system,
                "business_date": str(business_date),
                "sha256": load.sha256,
                "size": size,
                "event": "received" if load.status == FeedLoad.Status.QUEUED else "rejected",
            },
        )
        if load.status == FeedLoad.Status.QUEUED:
            queue(load)
    return load


def queue(load):
    """Send the load's job once the caller's transaction commits (by the task's pinned name:
    the tasks module imports this one)."""
    transaction.on_commit(lambda: signature(LOAD_TASK, args=(load.pk,)).delay())


def file_path(load):
    return load.file.path if load.file else load.inbox_path


def _other_loaded(load):
    """The other loaded deliveries of the load's (bank, source system, feed, business date)."""
    return FeedLoad.objects.filter(
        bank_id=load.bank_id,
        source_system=load.source_system,
        feed=load.feed,
        business_date=load.business_date,
        status=FeedLoad.Status.LOADED,
    ).exclude(pk=load.pk)


def _last_loaded(load):
    return _other_loaded(load).order_by("-finished_at", "-id").first()


def run_load(load_id, task_id=""):
    """The job body: load one FeedLoad inside job_run. Returns the run's summary."""
    load = FeedLoad.objects.select_related("bank").get(pk=load_id)
    with job_run(
        JOB,
        bank_id=load.bank_id,
        business_date=load.business_date,
        key_extra=f"load-{load.pk}",
        task_id=task_id,
        triggered_by=load.uploaded_by,
    ) as run:
        if run.already_done:
            return {**run.summary(), "running_elsewhere": run.running_elsewhere}
        FeedLoad.objects.filter(pk=load.pk).update(job_run_id=run.id, status=FeedLoad.Status.RUNNING, error="")
        try:
            _load(load, run)
        except Exception as exc:
            FeedLoad.objects.filter(pk=load.pk).update(
                status=FeedLoad.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
            )
            raise
        finally:
            loaders.drop_stage(load)
        return run.summary()


def _load(load, run):
    spec = get_spec(load.feed)
    previous = _last_loaded(load)
    if previous is not None and previous.sha256 == load.sha256:
        _finish(
            load,
            FeedLoad.Status.UNCHANGED,
            error=_("The same file (SHA-256 %(sha)s) was loaded before as load #%(pk)d; nothing was changed.")
            % {"sha": load.sha256[:12], "pk": previous.pk},
        )
        run.count(read=0, loaded=0, rejected=0, matched=0, merged=0)
        return
    ctx = loaders.Context(load, load.bank)
    # Progress counts rows, what a person understands (the file's rows, estimated before reading):
    # reading the file is the first stretch of the bar, checking and writing the second, matching
    # (customer feeds) the third. Reading measures its progress in bytes within its stretch.
    size = os.path.getsize(file_path(load))
    phases = 3 if load.feed == FeedLoad.Feed.CUSTOMERS else 2
    rows = max(1, estimated_rows(file_path(load)))
    bounds = [rows * phase // phases for phase in range(phases + 1)]
    run.set_total(rows)
    reading = run.part(bounds[0], bounds[1] - bounds[0])
    reading.set_total(size)
    try:
        feed_file, read = loaders.stage(load, spec, file_path(load), ctx, reading)
    except FileRejected as exc:
        _finish(load, FeedLoad.Status.REJECTED, error=str(exc))
        run.add_error(str(exc))
        run.count(read=0, loaded=0, rejected=0)
        return
    run.set_progress(bounds[1])
    with transaction.atomic(), connection.cursor() as cursor:
        # One load of a delivery (bank, source, feed, date) writes at a time.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"feed|{load.bank_id}|{load.source_system}|{load.feed}|{load.business_date}"],
        )
        batch.give_memory(cursor)
        cursor.execute("DELETE FROM customers_feederror WHERE load_id = %s", [load.pk])
        loaders.record_cell_errors(cursor, load)
        kept, changed = loaders.LOADERS[load.feed](cursor, load, ctx, run)
        cursor.execute("SELECT count(DISTINCT row_number) FROM customers_feederror WHERE load_id = %s", [load.pk])
        rejected = cursor.fetchone()[0]
        _other_loaded(load).update(status=FeedLoad.Status.SUPERSEDED)
        FeedLoad.objects.filter(pk=load.pk).update(
            file_format=feed_file.format, encoding=feed_file.encoding, rows_read=read, rows_loaded=kept, rows_rejected=rejected
        )
        run.count(read=read, loaded=kept, rejected=rejected, changed=changed)
        # Tests slow a load down (OCRM_BATCH_CHUNK_DELAY) to kill its worker before this transaction commits.
        if delay := float(os.environ.get("OCRM_BATCH_CHUNK_DELAY") or 0):
            time.sleep(10 * delay)
        # COPY and raw SQL bypass the audit safety net: one explicit entry says what the load wrote.
        audit.record(
            AuditLog.Action.IMPORT,
            load,
            actor=load.uploaded_by,
            object_repr=str(load),
            bank_id=load.bank_id,
            detail={"event": "loaded", "read": read, "loaded": kept, "rejected": rejected, "changed": changed, "job_run": run.id},
        )
    matched = merged = 0
    note = ""
    run.set_progress(bounds[2])
    if load.feed == FeedLoad.Feed.CUSTOMERS:
        try:
            matched, merged = _resolve(load, run.part(bounds[2], bounds[3] - bounds[2]))
        except Exception as exc:
            # The rows are loaded and committed; their records stay unresolved until matching runs again.
            logger.exception("matching after feed load %s failed", load.pk)
            note = _(
                "The rows were loaded, but matching failed (%(error)s); the records stay unresolved until matching runs again."
            ) % {"error": exc}
            run.add_error(note)
    load.refresh_from_db()
    # The estimate made exact: the bar ends at the rows read ("4 / 4" for a file of four rows).
    run.set_total(max(read, 1))
    run.set_progress(max(read, 1))
    _finish(load, FeedLoad.Status.LOADED, error=note, matched=matched, merged=merged)


def estimated_rows(path):
    """The data rows of a feed file before it is read: its lines less the header (a CSV; a value
    with line breaks inside makes it a little high), or the first sheet's size as the workbook
    states it (an XLSX)."""
    with open(path, "rb") as handle:
        is_workbook = handle.read(2) == b"PK"
        handle.seek(0)
        if is_workbook:
            try:
                workbook = load_workbook(handle, read_only=True)
                rows = workbook.worksheets[0].max_row or 1
                workbook.close()
                return rows - 1
            except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile, InvalidFileException):
                return 0  # the reader says what is wrong with the file
        lines, last = 0, b""
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        return lines - (last == b"\n")


def _resolve(load, run):
    """Link the records this load left unresolved to golden customers (customers.ecif.matching.services)."""
    counts = resolve_source_records(load.bank_id, run=run)
    run.count(
        matched=counts.get("matched", 0),
        merged=counts.get("merged", 0),
        created=counts.get("created", 0),
        review=counts.get("review", 0),
    )
    return counts.get("matched", 0), counts.get("merged", 0)


def _finish(load, status, error="", **fields):
    FeedLoad.objects.filter(pk=load.pk).update(status=status, error=error, finished_at=timezone.now(), **fields)
    if load.origin == FeedLoad.Origin.INBOX and load.inbox_path:
        _move_inbox_file(load, status, error)


def inbox_root():
    return Path(settings.OCRM_FEED_INBOX)


def scan_inbox(now=None):
    """Turn every settled file of <inbox>/<BANK_CODE>/ into a queued FeedLoad. A file whose
    name is not <SOURCE>_<feed>_<YYYYMMDD>.csv|xlsx goes straight to rejected/ with a report."""
    root = inbox_root()
    now = (now or timezone.now()).timestamp()
    settle = getattr(settings, "OCRM_FEED_INBOX_SETTLE_SECONDS", SETTLE_SECONDS)
    results = []
    for bank in Bank.objects.filter(is_active=True).order_by("code"):
        folder = root / bank.code
        for sub in (LOADING, PROCESSED, REJECTED):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name.startswith((".", "~")) or path.suffix.lower() not in EXTENSIONS:
                continue
            if now - path.stat().st_mtime < settle:
                continue
            results.append(_receive_inbox_file(bank, path))
    return results


def _receive_inbox_file(bank, path):
    match = FEED_NAME.match(path.name)
    problem = None
    if match is None:
        problem = _("The file name must be <SOURCE>_<feed>_<YYYYMMDD>.csv or .xlsx (for example CORE_customers_20261123.csv).")
    else:
        feed = match["feed"].lower()
        try:
            business_date = timezone.datetime.strptime(match["date"], "%Y%m%d").date()
        except ValueError:
            problem = _("The date in the file name is not a real date (YYYYMMDD).")
        if feed not in FeedLoad.Feed.values:
            problem = _("Unknown feed %(feed)s; the feeds are %(feeds)s.") % {
                "feed": feed,
                "feeds": ", ".join(FeedLoad.Feed.values),
            }
    if problem:
        destination = _unique(path.parent / REJECTED / path.name)
        os.replace(path, destination)
        _write_report(destination, [problem])
        return {"file": path.name, "outcome": REJECTED, "reason": problem}
    destination = _unique(path.parent / LOADING / path.name)
    os.replace(path, destination)
    with open(destination, "rb") as handle:
        sha256 = _sha256(handle)
    with transaction.atomic():
        load = FeedLoad.objects.create(
            bank=bank,
            source_system=match["source"].upper(),
            feed=feed,
            business_date=business_date,
            original_name=path.name,
            inbox_path=str(destination),
            file_size=destination.stat().st_size,
            sha256=sha256,
            origin=FeedLoad.Origin.INBOX,
        )
        audit.record(
            AuditLog.Action.IMPORT,
            load,
            object_repr=str(load),
            bank_id=bank.pk,
            detail={"event": "received", "inbox": str(destination), "sha256": sha256},
        )
        queue(load)
    return {"file": path.name, "outcome": "queued", "load": load.pk}


def _unique(destination):
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    candidate = destination.with_name(f"{stamp}-{destination.name}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = destination.with_name(f"{stamp}-{counter}-{destination.name}")
    return candidate


def _move_inbox_file(load, status, error):
    source = Path(load.inbox_path)
    if not source.exists() or source.parent.name != LOADING:
        return
    outcome = PROCESSED if status in (FeedLoad.Status.LOADED, FeedLoad.Status.UNCHANGED) else REJECTED
    destination = source.parent.parent / outcome / source.name
    os.replace(source, destination)
    FeedLoad.objects.filter(pk=load.pk).update(inbox_path=str(destination))
    load.refresh_from_db()
    lines = [
        f"{_('Status')}: {load.get_status_display()}",
        f"{_('Read')}: {load.rows_read}   {_('loaded')}: {load.rows_loaded}   {_('rejected')}: {load.rows_rejected}",
    ]
    if error:
        lines.append(error)
    lines += [
        _("row %(row)s, %(field)s = %(value)r: %(reason)s")
        % {"row": e.row_number, "field": e.field, "value": e.value, "reason": e.reason}
        for e in load.errors.order_by("row_number", "id")[:10000]
    ]
    _write_report(destination, lines)


def _write_report(destination, lines):
    header = [
        _("OCRM feed load report"),
        f"{_('File')}: {destination.name}",
        f"{_('Time (UTC)')}: {timezone.now():%Y-%m-%d %H:%M:%S}",
    ]
    destination.with_name(destination.name + ".report.txt").write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def error_report_rows(load):
    """The downloadable error report: row, field, value, reason."""
    file_error = load.error if load.status in (FeedLoad.Status.REJECTED, FeedLoad.Status.FAILED) else ""
    errors = load.errors.order_by("row_number", "id").values_list("row_number", "field", "value", "reason")
    return error_report(load.original_name, file_error, errors.iterator(chunk_size=5000), column_title=_("Field"))
