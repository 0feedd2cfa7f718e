"""Pages of the organisation-data import: list, upload, detail (errors and preview),
error report download, apply, and the empty template files.

Thin, on the kernel's pipeline pages (ocrm.imports.views): the batch is always looked up through
ImportBatch.objects.visible_to(user) (another bank's batch is a 404), and staging/applying are
services.stage_file/apply_batch, which check the permission and the bank scope themselves."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ocrm.imports import views as pipeline
from ocrm.imports.specs import UNCHANGED
from ocrm.lists.views import ScopedListView
from sysadmin.imports import services
from sysadmin.imports.filtersets import ImportBatchFilterSet
from sysadmin.imports.forms import ImportUploadForm
from sysadmin.imports.models import ImportBatch
from sysadmin.imports.specs import SPECS, get_spec
from sysadmin.imports.tables import ImportBatchTable

PERMISSION = services.PERMISSION
LIST_TITLE = gettext_lazy("Organisation imports")


class ImportListView(ScopedListView):
    model = ImportBatch
    table_class = ImportBatchTable
    filterset_class = ImportBatchFilterSet
    permission_required = PERMISSION
    select_related = ("bank", "uploaded_by")
    title = LIST_TITLE
    export_filename = "imports"
    create_url = "sysadmin:import_upload"
    create_perm = PERMISSION


class ImportPage:
    model = ImportBatch
    permission_required = PERMISSION
    id_prefix = "import"
    list_url = "sysadmin:import_list"
    list_title = LIST_TITLE
    detail_url = "sysadmin:import_detail"
    service = services


class ImportUploadView(ImportPage, pipeline.UploadView):
    form_class = ImportUploadForm
    template_name = "sysadmin/imports/upload.html"
    page_title = gettext_lazy("Upload an organisation file")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in SPECS else {}

    def stage(self, form):
        user = self.request.user
        bank = form.cleaned_data.get("bank") or user.bank
        if bank is None:
            raise PermissionDenied(_("Your account belongs to no bank."))
        return services.stage_file(bank, form.cleaned_data["kind"], form.cleaned_data["file"], user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "specs": list(SPECS.values())}


class ImportDetailView(ImportPage, pipeline.StagedBatchDetailView):
    template_name = "sysadmin/imports/detail.html"
    select_related = ("bank", "uploaded_by", "applied_by", "job_run")
    apply_url = "sysadmin:import_apply"
    report_urls = (
        ("errors-xlsx", "sysadmin:import_errors_xlsx", "bi-file-earmark-spreadsheet", gettext_lazy("Error report (XLSX)")),
    )
    show_action = True
    changes_in_column_order = True
    refresh_while_applying = 5

    def spec_of(self, batch):
        return get_spec(batch.kind)

    def may_apply(self, batch):
        try:
            services.check_actor(self.request.user, batch.bank)
        except PermissionDenied:
            return False
        return batch.can_apply

    def rejected_heading(self, batch):
        if batch.status == ImportBatch.Status.REJECTED:
            return super().rejected_heading(batch)
        return _("Apply failed.")

    def preview_rows(self, batch):
        return batch.rows.filter(is_valid=True).exclude(action=UNCHANGED).order_by("row_number")

    def preview_key(self, row):
        return row.key

    def shown(self, value):
        return "—" if value is None else value

    def counts(self, batch):
        counts = [
            {"id": "count-total", "label": _("rows"), "value": batch.total_rows},
            {"id": "count-valid", "label": _("valid"), "value": batch.valid_rows, "css": "text-success"},
            {"id": "count-invalid", "label": _("with errors"), "value": batch.invalid_rows, "css": "text-danger"},
        ]
        if batch.status == ImportBatch.Status.APPLIED:
            return counts + [
                {"id": "count-created", "label": _("created"), "value": batch.created_count},
                {"id": "count-updated", "label": _("updated"), "value": batch.updated_count},
                {"id": "count-unchanged", "label": _("unchanged"), "value": batch.unchanged_count},
            ]
        if batch.status == ImportBatch.Status.REJECTED:
            return counts
        planned = services.planned_counts(batch)
        return counts + [
            {"id": "plan-create", "label": _("to create"), "value": planned["create"]},
            {"id": "plan-update", "label": _("to update"), "value": planned["update"]},
            {"id": "plan-unchanged", "label": _("unchanged"), "value": planned["unchanged"]},
        ]


class ImportErrorsView(ImportPage, pipeline.ErrorReportView):
    filename_pattern = "import-{pk}-errors"

    def holds_pii(self, batch):
        return batch.kind == ImportBatch.Kind.STAFF


class ImportApplyView(ImportPage, pipeline.ApplyView):
    def applied_message(self, batch):
        return _(
            "Applied: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(invalid)d rows with errors not applied."
        ) % {
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "invalid": batch.invalid_rows,
        }


class ImportTemplateView(pipeline.TemplateDownloadView):
    permission_required = PERMISSION

    def workbook(self):
        kind = self.kwargs["kind"]
        if kind not in SPECS:
            raise Http404
        handle, _size = services.template_xlsx_of(kind)
        return handle, f"ocrm-import-{kind}.xlsx"
