"""Pages of customer batch maintenance: list, upload, detail (errors and preview), apply,
error report and template downloads.

Thin: a batch is always looked up through MaintenanceBatch.objects.visible_to(user) (another
bank's batch, or another uploader's outside the user's scope, is a 404); staging and
applying are customers.maintenance.services services, which check permission and scope again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView

from customers.maintenance import services as service
from customers.maintenance.filtersets import MaintenanceBatchFilterSet
from customers.maintenance.forms import BatchUploadForm
from customers.maintenance.models import MaintenanceBatch
from customers.maintenance.tables import STATUS_BADGES, MaintenanceBatchTable
from ocrm.batch.views import progress_bar, status_badge
from ocrm.lists.exports import xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin
from sysadmin.imports.services import error_report_rows

PERMISSION = service.PERMISSION


MAX_ERROR_ROWS = 500  # on the page; the XLSX report has all of them


MAX_PREVIEW_ROWS = 200


class BatchListView(ScopedListView):
    model = MaintenanceBatch
    table_class = MaintenanceBatchTable
    filterset_class = MaintenanceBatchFilterSet
    permission_required = PERMISSION
    select_related = ("uploaded_by",)
    title = gettext_lazy("Batch maintenance")
    export_filename = "customer-batches"
    create_url = "customers:batch_upload"
    create_perm = PERMISSION


class BatchUploadView(PermissionPageMixin, FormView):
    permission_required = PERMISSION
    form_class = BatchUploadForm
    template_name = "customers/batch/upload.html"

    def form_valid(self, form):
        batch = service.stage_file(form.cleaned_data["file"], self.request.user)
        if batch.status == MaintenanceBatch.Status.REJECTED:
            messages.error(self.request, _("The file was rejected: %(error)s") % {"error": batch.error})
        elif batch.invalid_rows:
            messages.warning(
                self.request,
                _("%(total)d rows read; %(invalid)d have errors. Nothing can be applied until the file is corrected.")
                % {"total": batch.total_rows, "invalid": batch.invalid_rows},
            )
        else:
            messages.success(
                self.request, _("%(total)d rows read, all valid. Check the preview, then apply.") % {"total": batch.total_rows}
            )
        return redirect("customers:batch_detail", pk=batch.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=_("Upload a batch maintenance file"), spec=service.spec_for(self.request.user.bank))
        return context


def _visible_batch(request, pk):
    return get_object_or_404(MaintenanceBatch.objects.visible_to(request.user).select_related("uploaded_by", "applied_by"), pk=pk)


def _shown(value):
    """A planned value as the preview shows it (tag lists joined, blanks as a dash)."""
    if isinstance(value, list):
        value = ", ".join(value)
    if value is True or value is False:
        return _("yes") if value else _("no")
    return "—" if value in (None, "") else value


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def batch_detail(request, pk):
    batch = _visible_batch(request, pk)
    labels = {column.key: column.label_zh for column in service.COLUMNS}
    errors = []
    for row in batch.rows.filter(is_valid=False).order_by("row_number")[:MAX_ERROR_ROWS]:
        for error in row.errors:
            errors.append(
                {
                    "row": row.row_number,
                    "field": error["field"],
                    "label_zh": labels.get(error["field"], ""),
                    "value": row.data.get(error["field"], ""),
                    "message": error["message"],
                }
            )
    preview = list(batch.rows.filter(is_valid=True).exclude(changes={}).order_by("row_number")[:MAX_PREVIEW_ROWS])
    for row in preview:
        row.ordered_changes = [(field, _shown(before), _shown(after)) for field, (before, after) in row.changes.items()]
    run = service.latest_apply_run(batch) if batch.status != MaintenanceBatch.Status.REJECTED else None
    applying = run is not None and run.status in service.ACTIVE_RUN and batch.status != MaintenanceBatch.Status.APPLIED
    return render(
        request,
        "customers/batch/detail.html",
        {
            "title": str(batch),
            "batch": batch,
            "errors": errors,
            "preview": preview,
            "errors_truncated": batch.invalid_rows > MAX_ERROR_ROWS,
            "max_error_rows": MAX_ERROR_ROWS,
            "preview_truncated": len(preview) >= MAX_PREVIEW_ROWS,
            "may_apply": batch.can_apply and not applying,
            "status_badge": STATUS_BADGES.get(batch.status, "secondary"),
            "in_background": service.applies_in_background(batch),
            "run": run,
            "applying": applying,
            "run_failed": run is not None and run.status == run.Status.FAILED and batch.status != MaintenanceBatch.Status.APPLIED,
            "run_error": _run_error(run),
            "run_status": status_badge(run) if run else "",
            "run_progress": progress_bar(run) if run else "",
        },
    )


def _run_error(run):
    """The reason a worker gave for not applying (an ApplyError's text), not a traceback."""
    first_line = (run.error_report if run is not None else "").split("\n", 1)[0]
    return "" if first_line.startswith("Traceback") else first_line


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def batch_apply(request, pk):
    batch = _visible_batch(request, pk)
    try:
        if service.applies_in_background(batch):
            service.queue_apply(batch, request.user)
            messages.info(request, _("The file is being applied in the background; this page shows the result when it is done."))
            return redirect("customers:batch_detail", pk=batch.pk)
        batch = service.apply_batch(batch, request.user)
    except service.ApplyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Applied: %(changed)d customers changed, %(unchanged)d unchanged.")
            % {"changed": batch.changed_rows, "unchanged": batch.unchanged_rows},
        )
    return redirect("customers:batch_detail", pk=batch.pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def batch_errors(request, pk):
    batch = _visible_batch(request, pk)
    return xlsx_response(
        error_report_rows(batch),
        filename=f"customer-batch-{batch.pk}-errors",
        request=request,
        object_type="customers.maintenancebatch",
        detail={"batch": batch.pk},
        pii=True,
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def batch_template(request):
    service.check_actor(request.user)
    return FileResponse(
        service.template_xlsx(request.user.bank),
        as_attachment=True,
        filename="ocrm-customer-batch.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
