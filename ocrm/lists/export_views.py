""" "My exports": the user's own background list exports (ocrm.ExportFile) with live
progress, download and cancel. An export is personal: another user's export answers 404
(ExportFile.objects.visible_to is the owner only), administrators included."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ocrm.lists import background as export_jobs
from ocrm.lists.models import ExportFile
from ocrm.pii import private_page

PAGE_SIZE = 25


POLL_SECONDS = 2


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exports_for(user):
    return ExportFile.objects.visible_to(user).select_related("approved_by").defer("error", "url_kwargs")


@require_GET
@login_required
@private_page
def export_list(request):
    page = Paginator(exports_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ocrm/exports/export_list.html",
        {
            "title": _("My exports"),
            "page_obj": page,
            "exports": page.object_list,
            "poll_seconds": POLL_SECONDS,
        },
    )


@require_GET
@login_required
@private_page
def export_progress(request, pk):
    """One row of the list, polled by htmx while the export is queued or running."""
    export = get_object_or_404(exports_for(request.user), pk=pk)
    return render(request, "ocrm/exports/_row.html", {"export": export, "poll_seconds": POLL_SECONDS})


@require_GET
@login_required
@private_page
def export_download(request, pk):
    export = get_object_or_404(exports_for(request.user), pk=pk, status=ExportFile.Status.DONE)
    if not export.file:
        raise Http404
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    export_jobs.record_download(request.user, export, request=request)
    return FileResponse(handle, as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1], content_type=XLSX)


@require_POST
@login_required
def export_cancel(request, pk):
    export = get_object_or_404(exports_for(request.user), pk=pk)
    if export_jobs.cancel_export(request.user, export):
        messages.success(request, _("The export “%(title)s” was cancelled.") % {"title": export.title})
    else:
        messages.info(request, _("The export “%(title)s” had already finished.") % {"title": export.title})
    return redirect("export_list")
