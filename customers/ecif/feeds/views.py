"""Pages of the source-system feeds: the list of loads, the upload form, one load (live progress
and its rejected rows) and the error report (XLSX or CSV).

Thin, on the kernel's pipeline pages (ocrm.imports.views): a load is always looked up through
FeedLoad.objects.visible_to(user) (another bank's load is a 404); receiving and loading are
customers.ecif.feeds.services."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from customers.ecif.feeds import services
from customers.ecif.feeds.filtersets import FeedLoadFilterSet
from customers.ecif.feeds.formats import SPECS
from customers.ecif.feeds.forms import FeedUploadForm
from customers.ecif.feeds.models import FeedLoad
from customers.ecif.feeds.tables import FeedLoadTable, delivered_by, outcome
from ocrm.batch.models import JobRun
from ocrm.batch.tables import status_badge
from ocrm.imports import readers
from ocrm.imports import views as pipeline
from ocrm.lists.views import ScopedListView

PERMISSION = services.PERMISSION
LIST_TITLE = gettext_lazy("Source-system feeds")


POLL_SECONDS = 2


ACTIVE = (FeedLoad.Status.QUEUED, FeedLoad.Status.RUNNING)


class FeedLoadListView(ScopedListView):
    model = FeedLoad
    table_class = FeedLoadTable
    filterset_class = FeedLoadFilterSet
    permission_required = PERMISSION
    title = LIST_TITLE
    export_filename = "feed-loads"
    create_url = "customers:feed_upload"
    create_perm = PERMISSION
    select_related = ("uploaded_by",)


class FeedPage:
    model = FeedLoad
    permission_required = PERMISSION
    id_prefix = "feed"
    list_url = "customers:feed_list"
    list_title = LIST_TITLE
    detail_url = "customers:feed_detail"
    select_related = ("job_run", "uploaded_by")
    service = services


class FeedUploadView(FeedPage, pipeline.UploadView):
    form_class = FeedUploadForm
    template_name = "customers/feeds/upload.html"
    page_title = gettext_lazy("Load a feed file")

    def stage(self, form):
        data = form.cleaned_data
        return services.receive_upload(
            self.request.user,
            source_system=data["source_system"],
            feed=data["feed"],
            business_date=data["business_date"],
            uploaded=data["file"],
        )

    def report(self, load):
        if load.status == FeedLoad.Status.REJECTED:
            messages.error(self.request, _("The file was rejected: %(error)s") % {"error": load.error})
        else:
            messages.success(self.request, _("The file was received; its load runs in the background."))

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        # The bank's upload limit, said before the file is sent (services.receive_upload holds to it).
        limit = readers.upload_limit(self.request.user.bank_id)
        form.fields["file"].help_text = format_lazy(
            "{} {}",
            form.fields["file"].help_text,
            _("At most %(limit)s on this page; larger feeds arrive through the inbox folder.")
            % {"limit": readers.megabytes(limit)},
        )
        return form

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "specs": SPECS.values()}


def progress_context(load):
    run = load.job_run
    label, colour = outcome(load)
    return {
        "load": load,
        "run": run,
        "active": load.status in ACTIVE,
        "poll_seconds": POLL_SECONDS,
        "status_label": label,
        "status_badge": colour,
        "delivered_by": delivered_by(load),
        "run_badge": status_badge(run) if run else "",
        "percent": run.percent if run and run.status != JobRun.Status.FAILED else None,
        # While the file is being read, the run knows how many rows so far; the load knows once it is written.
        "rows_read": load.rows_read or ((run.counts or {}).get("read", 0) if run else 0),
    }


class FeedDetailView(FeedPage, pipeline.BatchDetailView):
    template_name = "customers/feeds/detail.html"
    report_urls = (
        ("errors-xlsx", "customers:feed_errors_xlsx", "bi-file-earmark-spreadsheet", gettext_lazy("Error report (XLSX)")),
        ("errors-csv", "customers:feed_errors_csv", "bi-filetype-csv", gettext_lazy("Error report (CSV)")),
    )

    def has_errors(self, load):
        return bool(load.rows_rejected or load.error)

    def alerts(self, load):
        if load.status == FeedLoad.Status.LOADED and load.rows_rejected and not load.error:
            heading, level = outcome(load)[0], ("danger" if not load.rows_loaded else "warning")
            text = _("%(rejected)d of %(read)d rows were rejected; the error reports say why for each row.") % {
                "rejected": load.rows_rejected,
                "read": load.rows_read,
            }
            return [{"id": "feed-rejects", "level": level, "heading": heading, "text": text}]
        if not load.error:
            return []
        levels = {FeedLoad.Status.UNCHANGED: "info", FeedLoad.Status.LOADED: "warning"}
        headings = {
            FeedLoad.Status.REJECTED: _("The file was rejected as a whole; nothing was written."),
            FeedLoad.Status.FAILED: _("The load failed; nothing was written. It can be sent again."),
        }
        return [
            {
                "id": "feed-file-error",
                "level": levels.get(load.status, "danger"),
                "heading": headings.get(load.status, ""),
                "text": load.error,
            }
        ]

    def errors(self, load):
        return [
            {"row": e.row_number, "field": e.field, "value": e.value, "message": e.reason}
            for e in load.errors.order_by("row_number", "id")[: pipeline.MAX_ERROR_ROWS]
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            progress_context(self.object),
            spec=SPECS[self.object.feed],
            errors_truncated=len(context["errors"]) >= pipeline.MAX_ERROR_ROWS,
        )
        return context


class FeedProgressView(FeedPage, pipeline.BatchMixin, SingleObjectMixin, View):
    """The live progress card (htmx polls it while the load is queued or running)."""

    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        load = self.get_object()
        response = render(request, "customers/feeds/_progress.html", progress_context(load))
        if load.status not in ACTIVE and request.headers.get("HX-Request"):
            response["HX-Refresh"] = "true"  # finished: reload once for the rejected rows
        return response


class FeedErrorsView(FeedPage, pipeline.ErrorReportView):
    filename_pattern = "feed-{pk}-errors"

    def rows(self, load):
        return services.error_report_rows(load)

    def detail(self, load):
        return {"load": load.pk}


class FeedErrorsCsvView(FeedErrorsView):
    file_format = "csv"
