"""Background XLSX exports ("my exports"): a list export above export.sync_max_rows rows is
queued as an ExportFile, and a Celery worker (ocrm.tasks.run_export) writes it.

The worker rebuilds the export exactly as the owner's request would have: it finds the
list view again by its URL name, replays the owner's query string as a GET request whose
user is the owner, and calls the view's own export() (ScopedListView.export hands the
filtered, visible_to(owner) queryset back here). So the same scope, filter, sort, table,
masking and permission checks apply, and a subclass's export() hook (e.g. the customer
list's export table) runs in the worker too. An export with personal data in clear is one
too, written only after a checker approved it (request_clear_export below).

Rows are written with openpyxl in write-only mode from a chunked server-side iterator;
after every chunk the progress is stored and a cancellation by the owner is noticed."""

import datetime
import zoneinfo

from celery import signature
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm import links, parameters
from ocrm.approvals import services as approvals
from ocrm.lists import events
from ocrm.lists.exports import CHUNK, XlsxWriter, file_properties, render_chunk
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from ocrm.notifications.services import notify

# The "my exports" page (its URL name is fixed in the navigation, customers/navigation.py).
EXPORT_LIST_URL = "export_list"


JOB_NAME = "export"


RUN_TASK = "ocrm.tasks.run_export"


PURGE_JOB_NAME = "export_purge"


class ExportCancelled(Exception):
    """The owner cancelled the export while it ran."""


class ExportRefused(Exception):
    """The owner may no longer export this list (permission, cap); the message says why."""


def _new_export(view, request, total, **fields):
    match = request.resolver_match
    url_name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    # The view's own query when it has one (the customer search replaces its token by the search).
    query = view.export_query() if hasattr(view, "export_query") else request.GET.copy()
    query.pop("export", None)
    return ExportFile.objects.create(
        owner=request.user,
        bank_id=request.user.bank_id,
        title=str(view.title or view.model._meta.verbose_name_plural)[:200],
        url_name=url_name,
        url_kwargs=dict(match.kwargs),
        query=query.urlencode(),
        object_type=view.model._meta.label_lower,
        filename=view.export_filename or view.model._meta.model_name,
        progress_total=total,
        **fields,
    )


def _enqueue(export):
    # By the task's pinned name once the row is committed: the tasks module imports this one.
    transaction.on_commit(lambda: signature(RUN_TASK, args=(export.pk,)).delay())


def queue_export(view, request, total):
    """Create the ExportFile of a list export too big for the request and enqueue the
    worker once the row is committed. Returns the ExportFile."""
    with transaction.atomic():
        export = _new_export(view, request, total, pii=False)  # clear only through request_clear_export
        _enqueue(export)
    return export


# --- exports with personal data in clear ------------------------------------------------------------
# Seeing one customer's numbers (customers.unmask_pii, on the 360 page) is not taking a whole
# book of them away. A list that offers it (`clear_pii_export = True` on its view) exports
# personal data in clear only through this: a person holding CLEAR_PII_PERM (no default role
# does) asks, a different person holding APPROVE_CLEAR_PERM approves in the approvals inbox,
# and only then does a worker write the file, whose properties name both.

CLEAR_EXPORT_ACTION = "export.clear_pii"
CLEAR_PII_PERM = "ocrm.export_clear_pii"
APPROVE_CLEAR_PERM = "ocrm.approve_clear_export"


def request_clear_export(view, request, reason):
    """Ask for an export of `view`'s filtered list with personal data in clear. Returns the
    ExportFile, awaiting a checker's approval (ChangeRequest CLEAR_EXPORT_ACTION)."""
    user = request.user
    if not getattr(view, "clear_pii_export", False) or not view.may_export() or not user.has_perm(CLEAR_PII_PERM):
        raise PermissionDenied(_("You may not export this list with personal data in clear."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the personal data is needed in clear.")})
    total = view.filtered_queryset().count()
    cap = parameters.get("export.max_rows", user.bank_id)
    if total > cap:
        raise ValidationError(
            _("This export would hold %(n)d rows; the limit is %(cap)d. Narrow the filter.") % {"n": total, "cap": cap}
        )
    branch = getattr(user, "branch", None)
    with transaction.atomic():
        export = _new_export(view, request, total, pii=True, status=ExportFile.Status.AWAITING)
        approvals.submit(
            action=CLEAR_EXPORT_ACTION,
            obj=export,
            changes={},
            maker=user,
            bank_id=user.bank_id,
            branch_path=branch.path if branch is not None else "",
            payload={"rows": total, "list": export.title, "filter": export.query},
            reason=reason,
        )
    return export


def _awaiting(change_request):
    export = ExportFile.objects.select_for_update().filter(pk=change_request.object_id).first()
    if export is None or export.status != ExportFile.Status.AWAITING:
        raise ValidationError(_("This export no longer waits for approval."))
    return export


def apply_clear_export(change_request, checker):
    """The checker approved: the export is queued, its approval recorded for the file's properties."""
    export = _awaiting(change_request)
    export.status, export.approved_by, export.approved_at = ExportFile.Status.QUEUED, checker, timezone.now()
    export.save(update_fields=["status", "approved_by", "approved_at"])
    _enqueue(export)


def reject_clear_export(change_request, checker):
    export = _awaiting(change_request)
    export.status, export.finished_at = ExportFile.Status.REJECTED, timezone.now()
    export.error = _("Rejected by %(checker)s.") % {"checker": checker.username}
    export.save(update_fields=["status", "finished_at", "error"])


def register_handlers():
    approvals.register(
        CLEAR_EXPORT_ACTION,
        apply=apply_clear_export,
        checker_perm=APPROVE_CLEAR_PERM,
        label=gettext_lazy("Export with personal data in clear"),
        on_reject=reject_clear_export,
    )


def may_run_clear(export):
    """A clear export runs only approved, by someone else, for an owner who still holds the permission."""
    return bool(export.approved_by_id and export.approved_by_id != export.owner_id and export.owner.has_perm(CLEAR_PII_PERM))


def cancel_export(user, export):
    """Cancel a queued or running export of the user's; the worker stops at its next chunk.
    Returns True when it was still active."""
    changed = (
        ExportFile.objects.filter(pk=export.pk, owner=user)
        .active()
        .update(
            status=ExportFile.Status.CANCELLED,
            finished_at=timezone.now(),
        )
    )
    if changed:
        events.export_cancelled(export, user)
    return bool(changed)


def run_export(export_id, *, run=None, chunk_size=CHUNK, after_chunk=None):
    """Write one queued export as its owner. Returns the ExportFile (done, failed or
    cancelled). `after_chunk(export)` is called after each stored chunk of progress."""
    export = ExportFile.objects.select_related("owner", "owner__branch", "approved_by").get(pk=export_id)
    # RUNNING too: a redelivery after a killed worker starts again (job_run's lock makes
    # sure no other worker is still writing it).
    claimed = (
        ExportFile.objects.filter(pk=export.pk)
        .active()
        .update(
            status=ExportFile.Status.RUNNING,
            started_at=timezone.now(),
            job_run_id=getattr(run, "id", None),
        )
    )
    if not claimed:
        # Cancelled before it started, or a redelivered message of a finished export.
        export.refresh_from_db()
        return export
    export.refresh_from_db()
    owner = export.owner
    try:
        with (
            timezone.override(zoneinfo.ZoneInfo(owner.effective_timezone)),
            translation.override(owner.language or translation.get_language()),
        ):
            view, request = _rebuild_view(export)
            view.background_export = _Writer(export, chunk_size=chunk_size, after_chunk=after_chunk, run=run)
            view.export(request)
    except ExportCancelled:
        export.refresh_from_db()
        return export
    except (ExportRefused, PermissionDenied) as exc:
        _fail(export, str(exc) or _("You may not export this list."))
        return export
    except Exception as exc:
        _fail(export, _("The export failed: %(error)s") % {"error": exc})
        raise
    export.refresh_from_db()
    return export


def _rebuild_view(export):
    path = reverse(export.url_name, kwargs=export.url_kwargs or None)
    match = resolve(path)
    view_class = getattr(match.func, "view_class", None)
    if view_class is None or not hasattr(view_class, "export"):
        raise ExportRefused(_("The list %(name)s cannot be exported.") % {"name": export.url_name})
    # The owner's request as it was (with export=xlsx: an empty GET would leave the filter unbound).
    request = RequestFactory().get(f"{path}?{export.query}{'&' if export.query else ''}export=xlsx")
    request.user = export.owner
    if export.pii:
        if not may_run_clear(export):
            raise ExportRefused(_("This export of personal data in clear is not approved, or its owner may no longer make it."))
        request.clear_pii_export = export  # the list's table shows personal data in clear (and only then)
    request.resolver_match = match
    request.LANGUAGE_CODE = translation.get_language()
    view = view_class(**match.func.view_initkwargs)
    view.setup(request, *match.args, **match.kwargs)
    # The list page's own permission, as the request's dispatch() would have checked it.
    if hasattr(view, "has_permission") and not view.has_permission():
        raise ExportRefused(_("You no longer hold the permission to see this list."))
    return view, request


def _fail(export, message):
    ExportFile.objects.filter(pk=export.pk).exclude(status=ExportFile.Status.CANCELLED).update(
        status=ExportFile.Status.FAILED,
        error=str(message)[:5000],
        finished_at=timezone.now(),
    )
    export.refresh_from_db()
    _notify(export)


class _Writer:
    """Handed to ScopedListView.export() in the worker: writes the filtered queryset."""

    def __init__(self, export, *, chunk_size, after_chunk, run):
        self.export = export
        self.chunk_size = chunk_size
        self.after_chunk = after_chunk
        self.run = run

    def write(self, view, queryset):
        export = self.export
        cap = parameters.get("export.max_rows", export.bank_id)
        total = queryset.count()
        if total > cap:
            raise ExportRefused(
                _("This export would hold %(n)d rows; the limit is %(cap)d. Narrow the filter.") % {"n": total, "cap": cap}
            )
        ExportFile.objects.filter(pk=export.pk).update(progress_total=total, progress_done=0)
        if self.run is not None:
            self.run.set_total(total)
        writer = XlsxWriter(
            file_properties(
                user=export.owner,
                title=export.title,
                clear_pii=export.pii,
                approved_by=export.approved_by,
                approved_at=export.approved_at,
                note=_("My exports #%(id)d.") % {"id": export.pk},
            )
        )
        sheet = writer.add_sheet(export.filename)
        header_sent = False
        try:
            for objects in self._chunks(queryset):
                self._stop_if_cancelled()
                rows = render_chunk(view.table_class, objects, view.request, view.export_exclude, header_sent)
                if not header_sent:
                    sheet.header(next(rows))
                    header_sent = True
                for row in rows:
                    sheet.append(row)
                self._progress(sheet.rows)
        except BaseException:
            writer.discard()
            raise
        if not header_sent:  # an empty result still gets its header row
            sheet.header(next(render_chunk(view.table_class, [], view.request, view.export_exclude, False)))
        self._store(writer, sheet.rows)

    def _chunks(self, queryset):
        chunk = []
        for obj in queryset.iterator(chunk_size=self.chunk_size):
            chunk.append(obj)
            if len(chunk) >= self.chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _progress(self, written):
        export = self.export
        ExportFile.objects.filter(pk=export.pk).update(progress_done=written)
        if self.run is not None:
            self.run.set_progress(written)
        if self.after_chunk is not None:
            self.after_chunk(export)

    def _stop_if_cancelled(self):
        if ExportFile.objects.filter(pk=self.export.pk, status=ExportFile.Status.CANCELLED).exists():
            raise ExportCancelled

    def _store(self, writer, written):
        export = self.export
        handle, size = writer.save()
        with handle:
            export.file.save(f"{export.filename}-{timezone.localtime():%Y%m%d-%H%M}.xlsx", File(handle), save=False)
        with transaction.atomic():
            # The owner may have cancelled during the last chunk: then the file goes again.
            finished = ExportFile.objects.filter(pk=export.pk, status=ExportFile.Status.RUNNING).update(
                status=ExportFile.Status.DONE,
                file=export.file.name,
                size=size,
                row_count=written,
                progress_done=written,
                finished_at=timezone.now(),
            )
            if finished:
                events.export_written(
                    actor=export.owner,
                    bank_id=export.bank_id,
                    object_type=export.object_type,
                    filename=export.filename,
                    rows=written,
                    query=export.query,
                    pii=export.pii,
                    background=True,
                    export_file=export.pk,
                )
        if not finished:
            export.file.delete(save=False)
            raise ExportCancelled
        if self.run is not None:
            self.run.count(rows=written)
        export.refresh_from_db()
        _notify(export)


def _notify(export):
    link = links.url("my_exports")
    if export.status == ExportFile.Status.DONE:
        notify(
            [export.owner],
            lambda r: _("Your export “%(title)s” is ready") % {"title": export.title},
            lambda r: _("%(n)d rows; download it from My exports.") % {"n": export.row_count or 0},
            link=link,
            level=Notification.Level.SUCCESS,
            dedupe_key=f"export:{export.pk}",
        )
    elif export.status == ExportFile.Status.FAILED:
        notify(
            [export.owner],
            lambda r: _("Your export “%(title)s” failed") % {"title": export.title},
            export.error,
            link=link,
            level=Notification.Level.DANGER,
            dedupe_key=f"export:{export.pk}",
        )


def record_download(user, export, request=None):
    events.export_downloaded(export, user, request=request)


def purge_export_files(now=None, *, run=None):
    """Remove export files (and their rows) older than each bank's export.keep_days;
    active exports are left alone. Returns the number removed."""
    now = now or timezone.now()
    removed = 0
    bank_ids = ExportFile.objects.values_list("bank_id", flat=True).distinct()
    for bank_id in list(bank_ids):
        keep_days = parameters.get("export.keep_days", bank_id)
        cutoff = now - datetime.timedelta(days=keep_days)
        old = ExportFile.objects.filter(bank_id=bank_id, created_at__lt=cutoff).exclude(
            status__in=(ExportFile.Status.QUEUED, ExportFile.Status.RUNNING)
        )
        for export in old.iterator(chunk_size=500):
            if export.file:
                export.file.delete(save=False)
            export.delete()
            removed += 1
    if run is not None:
        run.count(removed=removed)
    return removed
