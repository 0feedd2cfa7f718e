"""Pages of the organisation-data import: list, upload, detail (errors and preview),
error report download, apply, and the empty template files.

Thin: the batch is always looked up through ImportBatch.objects.visible_to(user) (another
bank's batch is a 404), and staging/applying are services.stage_file/apply_batch, which
check the permission and the bank scope themselves."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView

from ocrm.lists.exports import xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin
from sysadmin.imports import services
from sysadmin.imports.filtersets import ImportBatchFilterSet
from sysadmin.imports.forms import ImportUploadForm
from sysadmin.imports.models import ImportBatch
from sysadmin.imports.specs import SPECS, UNCHANGED, get_spec
from sysadmin.imports.tables import STATUS_BADGES, ImportBatchTable

PERMISSION = services.PERMISSION
MAX_ERROR_ROWS = 500  # on the page; the XLSX report has all of them
MAX_PREVIEW_ROWS = 200


class ImportListView(ScopedListView):
    model = ImportBatch
    table_class = ImportBatchTable
    filterset_class = ImportBatchFilterSet
    permission_required = PERMISSION
    select_related = ("bank", "uploaded_by")
    title = gettext_lazy("Organisation imports")
    export_filename = "imports"
    create_url = "sysadmin:import_upload"
    create_perm = PERMISSION


class ImportUploadView(PermissionPageMixin, FormView):
    permission_required = PERMISSION
    form_class = ImportUploadForm
    template_name = "sysadmin/imports/upload.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in SPECS else {}

    def form_valid(self, form):
        user = self.request.user
        bank = form.cleaned_data.get("bank") or user.bank
        if bank is None:
            raise PermissionDenied(_("Your account belongs to no bank."))
        batch = services.stage_file(bank, form.cleaned_data["kind"], form.cleaned_data["file"], user)
        if batch.status == ImportBatch.Status.REJECTED:
            messages.error(self.request, _("The file was rejected: %(error)s") % {"error": batch.error})
        elif batch.invalid_rows:
            messages.warning(
                self.request,
                _("%(total)d rows read; %(invalid)d have errors and will not be applied.")
                % {"total": batch.total_rows, "invalid": batch.invalid_rows},
            )
        else:
            messages.success(
                self.request, _("%(total)d rows read, all valid. Check the preview, then apply.") % {"total": batch.total_rows}
            )
        return redirect("sysadmin:import_detail", pk=batch.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=_("Upload an organisation file"), specs=list(SPECS.values()))
        return context


def _visible_batch(request, pk):
    return get_object_or_404(
        ImportBatch.objects.visible_to(request.user).select_related("bank", "uploaded_by", "applied_by", "job_run"),
        pk=pk,
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def import_detail(request, pk):
    batch = _visible_batch(request, pk)
    spec = get_spec(batch.kind)
    labels = {column.key: column for column in spec.columns}
    errors = []
    bad_rows = batch.rows.filter(is_valid=False).order_by("row_number")[:MAX_ERROR_ROWS]
    for row in bad_rows:
        for error in row.errors:
            column = labels.get(error["field"])
            errors.append(
                {
                    "row": row.row_number,
                    "field": error["field"],
                    "label_zh": column.label_zh if column else "",
                    "value": row.data.get(error["field"], ""),
                    "message": error["message"],
                }
            )
    preview = list(batch.rows.filter(is_valid=True).exclude(action=UNCHANGED).order_by("row_number")[:MAX_PREVIEW_ROWS])
    order = {key: index for index, key in enumerate(labels)}
    for row in preview:
        # In the file's column order (the JSON column keeps its own key order).
        row.ordered_changes = [
            (field, pair[0], pair[1]) for field, pair in sorted(row.changes.items(), key=lambda kv: order.get(kv[0], len(order)))
        ]
    planned = services.planned_counts(batch) if batch.status != ImportBatch.Status.REJECTED else {}
    applying = services.apply_in_progress(batch)
    try:
        services.check_actor(request.user, batch.bank)
        may_apply = batch.can_apply and not applying
    except PermissionDenied:
        may_apply = False
    return render(
        request,
        "sysadmin/imports/detail.html",
        {
            "title": str(batch),
            "batch": batch,
            "spec": spec,
            "errors": errors,
            "errors_truncated": batch.invalid_rows > MAX_ERROR_ROWS,
            "max_error_rows": MAX_ERROR_ROWS,
            "preview": preview,
            "planned": planned,
            "may_apply": may_apply,
            "applying": applying,
            "in_background": services.applies_in_background(batch),
            "status_badge": STATUS_BADGES.get(batch.status, "secondary"),
            "preview_truncated": len(preview) >= MAX_PREVIEW_ROWS,
        },
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def import_errors_xlsx(request, pk):
    batch = _visible_batch(request, pk)
    return xlsx_response(
        services.error_report_rows(batch),
        filename=f"import-{batch.pk}-errors",
        request=request,
        object_type="sysadmin.importbatch",
        detail={"batch": batch.pk},
        pii=batch.kind == ImportBatch.Kind.STAFF,
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_apply(request, pk):
    batch = _visible_batch(request, pk)
    try:
        if services.applies_in_background(batch):
            services.queue_apply(batch, request.user)
            messages.info(request, _("The file is being applied in the background; this page shows the result when it is done."))
            return redirect(reverse("sysadmin:import_detail", args=[batch.pk]))
        batch = services.apply_batch(batch, request.user)
    except services.ApplyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Applied: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                "%(invalid)d rows with errors not applied."
            )
            % {
                "created": batch.created_count,
                "updated": batch.updated_count,
                "unchanged": batch.unchanged_count,
                "invalid": batch.invalid_rows,
            },
        )
    return redirect(reverse("sysadmin:import_detail", args=[batch.pk]))


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def import_template(request, kind):
    if kind not in SPECS:
        raise Http404
    return FileResponse(
        services.template_xlsx(kind),
        as_attachment=True,
        filename=f"ocrm-import-{kind}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
