"""The inbox folder: the same import, unattended (docs/imports.md describes the layout).

    <IMPORT_INBOX_DIR>/<BANK_CODE>/<kind>/*.csv|*.xlsx      files waiting
    <IMPORT_INBOX_DIR>/<BANK_CODE>/<kind>/processed/         applied (and a .report.txt)
    <IMPORT_INBOX_DIR>/<BANK_CODE>/<kind>/rejected/          not applied (and a .report.txt)

Each file is staged and applied inside job_run("org_import_inbox", bank, key = the file's
SHA-256): a file with the same content that was applied before is not applied again, a
file that was rejected may be dropped again once its cause is fixed, and a file whose
worker died half-way is resumed on the same run (late acknowledgement redelivers it)."""

import datetime
import hashlib
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from ocrm.batch.runs import job_run
from sysadmin.imports.models import ImportBatch
from sysadmin.imports.services import ApplyError, apply_batch, error_rows, stage_file
from sysadmin.org.models import Bank

logger = logging.getLogger("ocrm.imports")

JOB = "org_import_inbox"
PROCESSED, REJECTED = "processed", "rejected"
EXTENSIONS = (".csv", ".xlsx")
LOCK_SECONDS = 3600
REPORT_MAX_ERRORS = 10000
# A file younger than this may still be being copied in; it waits for the next run.
DEFAULT_SETTLE_SECONDS = 10


class InboxFileRejected(Exception):
    pass


def inbox_root():
    return Path(settings.IMPORT_INBOX_DIR)


def ensure_layout(root=None):
    """Create <root>/<BANK_CODE>/<kind>/{processed,rejected} for every active bank."""
    root = root or inbox_root()
    for code in Bank.objects.filter(is_active=True).values_list("code", flat=True):
        for kind in ImportBatch.Kind.values:
            for sub in (PROCESSED, REJECTED):
                (root / code / kind / sub).mkdir(parents=True, exist_ok=True)


def pending_files(root=None, now=None):
    """(bank, kind, path) of every file ready to import, oldest first per folder."""
    root = root or inbox_root()
    settle = getattr(settings, "IMPORT_INBOX_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS)
    now = (now or timezone.now()).timestamp()
    banks = {bank.code: bank for bank in Bank.objects.filter(is_active=True)}
    if root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in banks:
                logger.warning("inbox folder %s is not an active bank's code; its files are left alone", folder)
    for code in sorted(banks):
        for kind in ImportBatch.Kind.values:
            folder = root / code / kind
            if not folder.is_dir():
                continue
            candidates = []
            for path in folder.iterdir():
                # Hidden and lock files (.x.csv, ~$x.xlsx) are copies in progress or editor leftovers.
                if not path.is_file() or path.name.startswith((".", "~")) or path.suffix.lower() not in EXTENSIONS:
                    continue
                stat = path.stat()
                if now - stat.st_mtime < settle:
                    continue
                candidates.append((stat.st_mtime, path.name, path))
            for _mtime, _name, path in sorted(candidates):
                yield banks[code], kind, path


def process_inbox(task_id=""):
    """Import every waiting file. Only one scan runs at a time."""
    root = inbox_root()
    ensure_layout(root)
    lock = cache.lock("imports:inbox-scan", timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return {"skipped": "another inbox scan is running", "files": []}
    try:
        results = [process_file(bank, kind, path, task_id=task_id) for bank, kind, path in pending_files(root)]
    finally:
        try:
            lock.release()
        except Exception:  # expired meanwhile: nothing to release
            logger.warning("inbox scan lock had expired before release")
    return {"files": results}


def process_file(bank, kind, path, task_id=""):
    with open(path, "rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    state = {"batch": None, "outcome": PROCESSED, "note": ""}
    try:
        with job_run(JOB, bank_id=bank.pk, key_extra=sha256, task_id=task_id) as run:
            if run.already_done:
                state["batch"] = ImportBatch.objects.filter(job_run_id=run.id).order_by("-id").first()
                state["note"] = _("The same file (SHA-256 %(sha)s) was imported before; nothing was changed.") % {"sha": sha256}
            else:
                _import(bank, kind, path, run, state)
    except (InboxFileRejected, ApplyError) as exc:
        state["outcome"], state["note"] = REJECTED, str(exc)
    except Exception:
        # Database or storage trouble: leave the file where it is, the next scan retries it.
        logger.exception("inbox file %s could not be imported", path)
        return {"file": str(path), "outcome": "retry"}
    batch = state["batch"]
    if batch is not None:
        batch.refresh_from_db()
    destination = _move(path, state["outcome"])
    _write_report(destination, bank, kind, batch, state["outcome"], state["note"])
    return {"file": path.name, "outcome": state["outcome"], "batch": batch.pk if batch else None, "moved_to": str(destination)}


def _import(bank, kind, path, run, state):
    # A worker killed during apply leaves a staged batch on this run: apply that one.
    batch = (
        ImportBatch.objects.filter(
            job_run_id=run.id, valid_rows__gt=0, status__in=[ImportBatch.Status.VALIDATED, ImportBatch.Status.FAILED]
        )
        .order_by("-id")
        .first()
    )
    if batch is None:
        with open(path, "rb") as handle:
            batch = stage_file(
                bank, kind, File(handle, name=path.name), actor=None, source=ImportBatch.Source.INBOX, job_run=run.run
            )
    state["batch"] = batch
    run.count(rows=batch.total_rows, valid=batch.valid_rows, invalid=batch.invalid_rows)
    if batch.status == ImportBatch.Status.REJECTED:
        raise InboxFileRejected(batch.error)
    if not batch.valid_rows:
        raise InboxFileRejected(_("No row of the file is valid; nothing was written."))
    batch = apply_batch(batch, actor=None)
    state["batch"] = batch
    run.count(created=batch.created_count, updated=batch.updated_count, unchanged=batch.unchanged_count)


def _move(path, outcome):
    folder = path.parent / outcome
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    destination = folder / f"{stamp}-{path.name}"
    counter = 1
    while destination.exists():
        counter += 1
        destination = folder / f"{stamp}-{counter}-{path.name}"
    os.replace(path, destination)
    return destination


def _write_report(destination, bank, kind, batch, outcome, note):
    lines = [
        _("OCRM organisation import report"),
        f"{_('File')}: {destination.name}",
        f"{_('Bank')}: {bank.code}   {_('Kind')}: {kind}",
        f"{_('Outcome')}: {outcome}",
        f"{_('Time (UTC)')}: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S}",
    ]
    if note:
        lines.append(note)
    if batch is not None:
        lines += [
            f"{_('Batch')}: #{batch.pk} ({batch.get_status_display()})",
            f"{_('Rows')}: {batch.total_rows}   {_('valid')}: {batch.valid_rows}   {_('invalid')}: {batch.invalid_rows}",
        ]
        if batch.status == ImportBatch.Status.APPLIED:
            lines.append(
                f"{_('created')}: {batch.created_count}   {_('updated')}: {batch.updated_count}   "
                f"{_('unchanged')}: {batch.unchanged_count}"
            )
        if batch.error:
            lines.append(f"{_('File error')}: {batch.error}")
        errors = []
        for count, (row, column, value, reason) in enumerate(error_rows(batch)):
            if count >= REPORT_MAX_ERRORS:
                errors.append(_("... more errors: see the batch page."))
                break
            errors.append(
                _("row %(row)s, %(column)s = %(value)r: %(reason)s")
                % {"row": row, "column": column, "value": value, "reason": reason}
            )
        if errors:
            lines += ["", _("Rows not applied:"), *errors]
    report = destination.with_name(destination.name + ".report.txt")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report
