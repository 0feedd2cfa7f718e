"""The pages of an upload pipeline, as bases an area fills: the upload page, the batch page with
its blocks (summary and counts, file error, row errors naming row and field, preview of the
planned changes, apply button and progress), the apply action, and the downloads (error report,
empty template).

Every batch is looked up through Model.objects.visible_to(user) (ocrm.pages.ScopedQuerysetMixin):
another bank's batch is a 404. The area's services check permission and scope again.
Templates: ocrm/imports/batch_detail.html and ocrm/imports/upload.html, which an area's own
template extends to fill the blocks that differ (its summary lines, its column tables)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView
from django.views.generic.detail import SingleObjectMixin

from ocrm.batch.models import JobRun
from ocrm.batch.tables import progress_bar, status_badge
from ocrm.imports.models import ACTIVE_RUN
from ocrm.imports.specs import CREATE
from ocrm.imports.staging import ApplyError, error_report_rows
from ocrm.imports.tables import STATUS_BADGES
from ocrm.lists.exports import csv_response, xlsx_file_response, xlsx_response
from ocrm.pages import PermissionPageMixin, ScopedQuerysetMixin

MAX_ERROR_ROWS = 500  # on the page; the downloads have all of them
MAX_PREVIEW_ROWS = 200


class BatchMixin(ScopedQuerysetMixin):
    """A page about one batch of `model`, seen only within the user's scope. `id_prefix` starts the
    ids of the page's elements (tests and scripts find them by it); `list_url` names the list.
    `service` is the area's services module: stage_file, apply_batch, queue_apply and
    applies_in_background, as every user of the pipeline names them."""

    id_prefix = ""
    list_url = ""
    detail_url = ""
    service = None

    def batch_url(self, batch):
        return reverse(self.detail_url, args=[batch.pk])


class BatchDetailView(BatchMixin, DetailView):
    """The batch page. The context the template reads: the batch, downloads (error reports),
    alerts (the file error and notices), counts, errors (the rejected cells, at most
    MAX_ERROR_ROWS rows), and what a subclass adds."""

    http_method_names = ["get"]
    context_object_name = "batch"
    list_title = ""
    report_urls = ()  # (id suffix, URL name, icon, label) of each error report download
    status_badges = STATUS_BADGES  # status -> Bootstrap colour of its badge
    refresh_seconds = 0  # while something runs in the background, the page reloads itself

    def has_errors(self, batch):
        return bool(batch.error)

    def downloads(self, batch):
        if not self.has_errors(batch):
            return []
        return [
            {"id": f"{self.id_prefix}-{suffix}", "url": reverse(name, args=[batch.pk]), "icon": icon, "label": label}
            for suffix, name, icon, label in self.report_urls
        ]

    def alerts(self, batch):
        """[{id, level, heading, text}]: the file error, and any notice about the batch."""
        return []

    def counts(self, batch):
        """[{id, label, value, css}] of the count cards."""
        return []

    def errors(self, batch):
        """[{row, field, label_zh, value, message}] of the first rejected cells."""
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        errors = self.errors(batch)
        context.update(
            title=str(batch),
            prefix=self.id_prefix,
            list_url=reverse(self.list_url),
            list_title=self.list_title,
            downloads=self.downloads(batch),
            alerts=self.alerts(batch),
            counts=self.counts(batch),
            errors=errors,
            max_error_rows=MAX_ERROR_ROWS,
            refresh_seconds=self.refresh_seconds,
        )
        return context


def error_entries(rows, columns):
    """The page's entries of the rejected cells of staged rows, with the columns' Chinese names."""
    labels = {column.key: column.label_zh for column in columns}
    return [
        {
            "row": row.row_number,
            "field": error["field"],
            "label_zh": labels.get(error["field"], ""),
            "value": row.data.get(error["field"], ""),
            "message": error["message"],
        }
        for row in rows
        for error in row.errors
    ]


class StagedBatchDetailView(BatchDetailView):
    """The page of a StagedBatch (ocrm.imports.models): its rows' errors, the preview of what
    apply will change, and the apply button while the batch may be applied, or the progress of
    the worker applying it."""

    template_name = "ocrm/imports/batch_detail.html"
    apply_url = ""
    key_title = gettext_lazy("Key")
    show_action = False  # a column with the planned action (create / update)
    changes_in_column_order = False  # each row's changes in the order of the spec's columns, else as planned
    # Where an apply that a worker could not do is reported: on the batch itself (its status
    # and error), or only on the job run (then the page says the run failed).
    failures_on_run = False
    run_reports_progress = False  # the worker stores its progress (staging.RunProgress): show the bar
    refresh_while_applying = 3

    def spec_of(self, batch):
        raise NotImplementedError

    def applies_in_background(self, batch):
        return self.service.applies_in_background(batch)

    def may_apply(self, batch):
        return batch.can_apply

    def has_errors(self, batch):
        return bool(batch.invalid_rows or batch.error)

    def rejected_heading(self, batch):
        return _("The file was rejected; nothing was written.")

    def alerts(self, batch):
        if not batch.error:
            return []
        heading = self.rejected_heading(batch)
        return [{"id": f"{self.id_prefix}-file-error", "level": "danger", "heading": heading, "text": batch.error}]

    def errors(self, batch):
        rows = batch.rows.filter(is_valid=False).order_by("row_number")[:MAX_ERROR_ROWS]
        return error_entries(rows, self.spec_of(batch).columns)

    def preview_rows(self, batch):
        return batch.rows.filter(is_valid=True).exclude(changes={}).order_by("row_number")

    def preview_key(self, row):
        return ""

    def shown(self, value):
        """A planned value as the preview shows it."""
        return value

    def preview(self, batch):
        """[{row, key, action, action_label, shows_before, changes: [(field, before, after)]}]."""
        order = {column.key: index for index, column in enumerate(self.spec_of(batch).columns)}
        entries = []
        for row in self.preview_rows(batch)[:MAX_PREVIEW_ROWS]:
            action = getattr(row, "action", "")
            changes = list(row.changes.items())
            if self.changes_in_column_order:  # the JSON column keeps its own key order
                changes.sort(key=lambda item: order.get(item[0], len(order)))
            entries.append(
                {
                    "row": row.row_number,
                    "key": self.preview_key(row),
                    "action": action,
                    "action_label": row.get_action_display() if action else "",
                    "shows_before": action != CREATE,
                    "changes": [(field, self.shown(before), self.shown(after)) for field, (before, after) in changes],
                }
            )
        return entries

    def get_context_data(self, **kwargs):
        batch = self.object
        run = batch.apply_run() if batch.status != batch.Status.REJECTED else None
        applying = batch.status != batch.Status.APPLIED and run is not None and run.status in ACTIVE_RUN
        failed = run is not None and run.status == JobRun.Status.FAILED and batch.status != batch.Status.APPLIED
        self.refresh_seconds = self.refresh_while_applying if applying else 0
        context = super().get_context_data(**kwargs)
        preview = self.preview(batch)
        context.update(
            preview=preview,
            preview_truncated=len(preview) >= MAX_PREVIEW_ROWS,
            errors_truncated=batch.invalid_rows > MAX_ERROR_ROWS,
            key_title=self.key_title,
            show_action=self.show_action,
            apply_url=reverse(self.apply_url, args=[batch.pk]),
            may_apply=not applying and self.may_apply(batch),
            in_background=self.applies_in_background(batch),
            status_badge=self.status_badges.get(batch.status, "secondary"),
            run=run,
            applying=applying,
            run_status=status_badge(run) if run else "",
            run_progress=progress_bar(run) if run and self.run_reports_progress else "",
            run_failed=self.failures_on_run and failed,
            run_error=_run_error(run),
        )
        return context


def _run_error(run):
    """The reason a worker gave for not applying (an ApplyError's text), not a traceback."""
    first_line = (run.error_report if run is not None else "").split("\n", 1)[0]
    return "" if first_line.startswith("Traceback") else first_line


class UploadView(PermissionPageMixin, FormView):
    """The upload page: the form, then stage() (the area's service), a message saying what
    came of the file, and the batch page."""

    template_name = "ocrm/imports/upload.html"
    id_prefix = ""
    list_url = ""
    list_title = ""
    detail_url = ""
    page_title = ""
    invalid_message = gettext_lazy("%(total)d rows read; %(invalid)d have errors and will not be applied.")

    def stage(self, form):
        """Hand the file to the area's service; returns the batch. A ValidationError becomes
        errors on the form."""
        raise NotImplementedError

    def report(self, batch):
        """Tell the person what came of their file."""
        if batch.status == batch.Status.REJECTED:
            messages.error(self.request, _("The file was rejected: %(error)s") % {"error": batch.error})
        elif batch.invalid_rows:
            messages.warning(self.request, self.invalid_message % {"total": batch.total_rows, "invalid": batch.invalid_rows})
        else:
            messages.success(
                self.request, _("%(total)d rows read, all valid. Check the preview, then apply.") % {"total": batch.total_rows}
            )

    def form_valid(self, form):
        try:
            batch = self.stage(form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.form_invalid(form)
        self.report(batch)
        return redirect(self.detail_url, pk=batch.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.page_title, prefix=self.id_prefix, list_url=reverse(self.list_url), list_title=self.list_title)
        return context


class ApplyView(BatchMixin, SingleObjectMixin, View):
    """POST: apply the batch now, or hand it to a worker when it is large; then the batch page."""

    http_method_names = ["post"]
    in_background_message = gettext_lazy(
        "The file is being applied in the background; this page shows the result when it is done."
    )

    def applied_message(self, batch):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        batch = self.get_object()
        try:
            if self.service.applies_in_background(batch):
                self.service.queue_apply(batch, request.user)
                messages.info(request, self.in_background_message)
                return redirect(self.batch_url(batch))
            batch = self.service.apply_batch(batch, request.user)
        except ApplyError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, self.applied_message(batch))
        return redirect(self.batch_url(batch))


class ErrorReportView(BatchMixin, SingleObjectMixin, View):
    """GET: the batch's error report as XLSX (or CSV with file_format = "csv"), audited."""

    http_method_names = ["get"]
    file_format = "xlsx"
    filename_pattern = "{pk}-errors"
    pii = True

    def rows(self, batch):
        return error_report_rows(batch)

    def filename(self, batch):
        return self.filename_pattern.format(pk=batch.pk)

    def detail(self, batch):
        return {"batch": batch.pk}

    def holds_pii(self, batch):
        return self.pii

    def get(self, request, *args, **kwargs):
        batch = self.get_object()
        respond = csv_response if self.file_format == "csv" else xlsx_response
        return respond(
            self.rows(batch),
            filename=self.filename(batch),
            request=request,
            object_type=self.model._meta.label_lower,
            detail=self.detail(batch),
            pii=self.holds_pii(batch),
        )


class TemplateDownloadView(PermissionPageMixin, View):
    """GET: an empty workbook to fill in (ocrm.imports.workbook.template_xlsx)."""

    http_method_names = ["get"]

    def workbook(self):
        """(file, download name)."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        handle, filename = self.workbook()
        return xlsx_file_response(handle, filename)
