"""Pages of the source-system feeds: the list of loads, the upload form, one load (live progress
and its rejected rows) and the error report (XLSX or CSV).

Thin: a load is always looked up through FeedLoad.objects.visible_to(user) (another bank's load
is a 404); receiving and loading are customers.ecif.feeds.services."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from customers.ecif.feeds import services
from customers.ecif.feeds.filtersets import FeedLoadFilterSet
from customers.ecif.feeds.formats import SPECS
from customers.ecif.feeds.forms import FeedUploadForm
from customers.ecif.feeds.models import FeedLoad
from customers.ecif.feeds.tables import STATUS_BADGES, FeedLoadTable
from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.batch.views import status_badge
from ocrm.lists.exports import xlsx_response
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin

PERMISSION = services.PERMISSION


MAX_ERROR_ROWS = 500  # on the page; the downloads have all of them


POLL_SECONDS = 2


ACTIVE = (FeedLoad.Status.QUEUED, FeedLoad.Status.RUNNING)


class FeedLoadListView(ScopedListView):
    model = FeedLoad
    table_class = FeedLoadTable
    filterset_class = FeedLoadFilterSet
    permission_required = PERMISSION
    title = gettext_lazy("Source-system feeds")
    export_filename = "feed-loads"
    create_url = "customers:feed_upload"
    create_perm = PERMISSION


class FeedUploadView(PermissionPageMixin, FormView):
    permission_required = PERMISSION
    form_class = FeedUploadForm
    template_name = "customers/feeds/upload.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            load = services.receive_upload(
                self.request.user,
                source_system=data["source_system"],
                feed=data["feed"],
                business_date=data["business_date"],
                uploaded=data["file"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The file was received; its load runs in the background."))
        return redirect("customers:feed_detail", pk=load.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=_("Load a feed file"), specs=SPECS.values())
        return context


def _visible_load(request, pk):
    return get_object_or_404(FeedLoad.objects.visible_to(request.user).select_related("job_run", "uploaded_by"), pk=pk)


def _progress_context(load):
    run = load.job_run
    return {
        "load": load,
        "run": run,
        "active": load.status in ACTIVE,
        "poll_seconds": POLL_SECONDS,
        "status_badge": STATUS_BADGES.get(load.status, "secondary"),
        "run_badge": status_badge(run) if run else "",
        "percent": run.percent if run and run.status != JobRun.Status.FAILED else None,
        # While the file is being read, the run knows how many rows so far; the load knows once it is written.
        "rows_read": load.rows_read or ((run.counts or {}).get("read", 0) if run else 0),
    }


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def feed_detail(request, pk):
    load = _visible_load(request, pk)
    errors = [
        {"row": e.row_number, "field": e.field, "value": e.value, "message": e.reason}
        for e in load.errors.order_by("row_number", "id")[:MAX_ERROR_ROWS]
    ]
    return render(
        request,
        "customers/feeds/detail.html",
        {
            **_progress_context(load),
            "title": str(load),
            "errors": errors,
            "spec": SPECS[load.feed],
            "errors_truncated": len(errors) >= MAX_ERROR_ROWS,
            "max_error_rows": MAX_ERROR_ROWS,
        },
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def feed_progress(request, pk):
    """The live progress card (htmx polls it while the load is queued or running)."""
    load = _visible_load(request, pk)
    response = render(request, "customers/feeds/_progress.html", _progress_context(load))
    if load.status not in ACTIVE and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # finished: reload once for the rejected rows
    return response


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def feed_errors_xlsx(request, pk):
    load = _visible_load(request, pk)
    return xlsx_response(
        services.error_report_rows(load),
        filename=f"feed-{load.pk}-errors",
        request=request,
        object_type="customers.feedload",
        detail={"load": load.pk},
        pii=True,
    )


class _Echo:
    def write(self, value):
        return value


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_GET
def feed_errors_csv(request, pk):
    load = _visible_load(request, pk)
    audit.record(
        AuditLog.Action.EXPORT,
        None,
        request=request,
        object_type="customers.feedload",
        object_repr=f"feed-{load.pk}-errors (csv)",
        detail={"load": load.pk, "pii": True},
    )
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in services.error_report_rows(load))
    response = StreamingHttpResponse(_with_bom(rows), content_type="text/csv")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="feed-{load.pk}-errors-{stamp}.csv"'
    return response


def _with_bom(rows):
    """A BOM first, so that Excel opens the UTF-8 file with its Chinese text intact."""
    yield "\ufeff"
    yield from rows
