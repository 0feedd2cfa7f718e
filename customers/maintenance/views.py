"""Pages of customer batch maintenance: list, upload, detail (errors and preview), apply,
error report and template downloads.

Thin, on the kernel's pipeline pages (ocrm.imports.views): a batch is always looked up through
MaintenanceBatch.objects.visible_to(user) (another bank's batch, or another uploader's outside
the user's scope, is a 404); staging and applying are customers.maintenance.services services,
which check permission and scope again."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.maintenance import services
from customers.maintenance.filtersets import MaintenanceBatchFilterSet
from customers.maintenance.forms import BatchUploadForm
from customers.maintenance.models import MaintenanceBatch
from customers.maintenance.tables import MaintenanceBatchTable
from ocrm.imports import views as pipeline
from ocrm.lists.views import ScopedListView

PERMISSION = services.PERMISSION
LIST_TITLE = gettext_lazy("Batch maintenance")


class BatchListView(ScopedListView):
    model = MaintenanceBatch
    table_class = MaintenanceBatchTable
    filterset_class = MaintenanceBatchFilterSet
    permission_required = PERMISSION
    select_related = ("uploaded_by",)
    title = LIST_TITLE
    export_filename = "customer-batches"
    create_url = "customers:batch_upload"
    create_perm = PERMISSION


class BatchPage:
    model = MaintenanceBatch
    permission_required = PERMISSION
    id_prefix = "batch"
    list_url = "customers:batch_list"
    list_title = LIST_TITLE
    detail_url = "customers:batch_detail"
    service = services


class BatchUploadView(BatchPage, pipeline.UploadView):
    form_class = BatchUploadForm
    template_name = "customers/batch/upload.html"
    page_title = gettext_lazy("Upload a batch maintenance file")
    invalid_message = gettext_lazy(
        "%(total)d rows read; %(invalid)d have errors. Nothing can be applied until the file is corrected."
    )

    def stage(self, form):
        return services.stage_file(form.cleaned_data["file"], self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "spec": services.spec_for(self.request.user.bank)}


def _shown(value):
    """A planned value as the preview shows it (tag lists joined, blanks as a dash)."""
    if isinstance(value, list):
        value = ", ".join(value)
    if value is True or value is False:
        return _("yes") if value else _("no")
    return "—" if value in (None, "") else value


class BatchDetailView(BatchPage, pipeline.StagedBatchDetailView):
    template_name = "customers/batch/detail.html"
    select_related = ("uploaded_by", "applied_by")
    apply_url = "customers:batch_apply"
    report_urls = (("errors-xlsx", "customers:batch_errors", "bi-file-earmark-spreadsheet", gettext_lazy("Error report (XLSX)")),)
    key_title = gettext_lazy("Customer")
    failures_on_run = True
    run_reports_progress = True

    def spec_of(self, batch):
        return services.spec_for(batch.bank)

    def alerts(self, batch):
        if batch.error or not batch.invalid_rows:
            return super().alerts(batch)
        return [
            {
                "id": "batch-blocked",
                "level": "warning",
                "text": _(
                    "Nothing can be applied while any row has an error: correct the rows listed below "
                    "(the XLSX report has them all) and upload the file again."
                ),
            }
        ]

    def preview_key(self, row):
        return row.customer_number

    def shown(self, value):
        return _shown(value)

    def counts(self, batch):
        applied = batch.status == MaintenanceBatch.Status.APPLIED
        return [
            {"id": "count-total", "label": _("rows"), "value": batch.total_rows},
            {"id": "count-invalid", "label": _("with errors"), "value": batch.invalid_rows, "css": "text-danger"},
            {"id": "count-changed", "label": _("changed") if applied else _("to change"), "value": batch.changed_rows},
            {"id": "count-unchanged", "label": _("unchanged"), "value": batch.unchanged_rows},
        ]


class BatchApplyView(BatchPage, pipeline.ApplyView):
    def applied_message(self, batch):
        return _("Applied: %(changed)d customers changed, %(unchanged)d unchanged.") % {
            "changed": batch.changed_rows,
            "unchanged": batch.unchanged_rows,
        }


class BatchErrorsView(BatchPage, pipeline.ErrorReportView):
    filename_pattern = "customer-batch-{pk}-errors"


class BatchTemplateView(pipeline.TemplateDownloadView):
    permission_required = PERMISSION

    def workbook(self):
        services.check_actor(self.request.user)
        handle, _size = services.template_xlsx_for(self.request.user.bank)
        return handle, "ocrm-customer-batch.xlsx"
