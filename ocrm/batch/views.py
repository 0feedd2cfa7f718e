"""The jobs page: batch runs (JobRun) with live progress, one run's detail, and "run
now" for administrators.

Rows of queued and running jobs poll job_progress every 2 seconds (htmx) and replace
themselves, so status, progress, duration and counts move without a page reload; a
finished row stops polling. Everything is limited by JobRun.objects.visible_to(user)."""

import functools
import operator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ocrm.batch import jobs, schedules
from ocrm.batch.filtersets import JobRunFilterSet
from ocrm.batch.forms import JobStartForm, ScheduleSwitchForm
from ocrm.batch.models import JobRun, is_platform_operator
from ocrm.batch.tables import (
    POLL_SECONDS,
    JobRunTable,
    count_items,
    counts_text,
    format_duration,
    is_active,
    progress_bar,
    status_badge,
)
from ocrm.lists.views import ScopedListView
from ocrm.tenants import tenant_model

VIEW_PERMISSION = "sysadmin.view_jobs"


START_PERMISSION = "ocrm.add_jobrun"  # starting a job creates its run


def runs_for(user):
    """The runs the user may see, with what the table shows (no query per row)."""
    bank_code = tenant_model().objects.filter(pk=OuterRef("bank_id")).values("code")[:1]
    return JobRun.objects.visible_to(user).annotate(bank_code=Subquery(bank_code)).select_related("triggered_by")


class JobRunListView(ScopedListView):
    model = JobRun
    table_class = JobRunTable
    filterset_class = JobRunFilterSet
    permission_required = VIEW_PERMISSION
    template_name = "ocrm/jobs/job_list.html"
    title = _("Batch jobs")
    export_filename = "job-runs"

    def get_queryset(self):
        return runs_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm(START_PERMISSION):
            context["start_form"] = JobStartForm(user=self.request.user)
        context["poll_seconds"] = POLL_SECONDS
        context["may_see_schedules"] = self.request.user.bank_id is not None
        return context


def _require_view(request):
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


@require_GET
@login_required
def job_detail(request, pk):
    _require_view(request)
    run = get_object_or_404(runs_for(request.user), pk=pk)
    sub_runs = list(sub_runs_of(run, request.user))
    return render(
        request,
        "ocrm/jobs/job_detail.html",
        {
            **progress_context(run),
            "title": jobs.job_label(run.job),
            "show_trace": is_platform_operator(request.user),
            "sub_runs": sub_runs,
            "sub_run_rows": [(sub, status_badge(sub), counts_text(sub)) for sub in sub_runs],
        },
    )


def sub_runs_of(run, user):
    """The runs an all-banks run started (or a bank's run split by its branches' time zones):
    those its task ran, each with its bank's own business date, and for an all-banks run the
    bank runs of its business date too. Each user sees their own bank's only."""
    linked = [Q(task_id=run.task_id)] if run.task_id else []
    if run.bank_id is None and run.business_date is not None:
        linked.append(Q(business_date=run.business_date))
    if not linked:
        return JobRun.objects.none()
    sub_runs = runs_for(user).filter(functools.reduce(operator.or_, linked), job=run.job, bank_id__isnull=False)
    if run.bank_id is not None:
        sub_runs = sub_runs.filter(bank_id=run.bank_id)
    return sub_runs.exclude(pk=run.pk).order_by("bank_id", "business_date", "key", "-created_at")


def progress_context(run):
    return {
        "run": run,
        "counts": count_items(run),
        "duration": format_duration(run),
        "active": is_active(run),
        "poll_seconds": POLL_SECONDS,
        "status_html": status_badge(run),
        "progress_html": progress_bar(run),
    }


@require_GET
@login_required
def job_progress(request, pk):
    """The live state of one run: the table row (htmx from the list), the progress card
    (htmx from the detail page, ?part=detail) or JSON for anything else."""
    _require_view(request)
    run = get_object_or_404(runs_for(request.user), pk=pk)
    if request.headers.get("HX-Request"):
        if request.GET.get("part") == "detail":
            response = render(request, "ocrm/jobs/_progress.html", progress_context(run))
            if not is_active(run):
                response["HX-Refresh"] = "true"  # finished: reload once for end time and error report
            return response
        table = JobRunTable([run], request=request)
        return render(request, "ocrm/jobs/_row.html", {"table": table, "row": table.rows[0]})
    return JsonResponse(
        {
            "id": run.pk,
            "job": run.job,
            "status": run.status,
            "status_label": run.get_status_display(),
            "business_date": run.business_date.isoformat() if run.business_date else None,
            "progress_done": run.progress_done,
            "progress_total": run.progress_total,
            "percent": run.percent,
            "counts": run.counts,
            "attempts": run.attempts,
            "active": is_active(run),
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }
    )


@require_POST
@login_required
def job_start(request):
    user = request.user
    if not (user.has_perm(VIEW_PERMISSION) and user.has_perm(START_PERMISSION)):
        raise PermissionDenied
    form = JobStartForm(request.POST, user=user)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("jobs:list")
    bank = form.cleaned_data.get("bank")
    try:
        run = jobs.start_job(
            user, form.cleaned_data["job"], form.cleaned_data["business_date"], bank_id=bank.pk if bank else None
        )
    except jobs.JobError as exc:
        messages.error(request, str(exc))
        return redirect("jobs:list")
    if run.status == JobRun.Status.FAILED:
        messages.error(request, gettext("The job could not be queued: %(error)s") % {"error": run.error_report})
    else:
        messages.success(
            request,
            gettext("%(job)s for %(date)s was queued as run #%(id)s.")
            % {"job": jobs.job_label(run.job), "date": run.business_date.isoformat(), "id": run.pk},
        )
    return redirect("jobs:list")


@login_required
def job_schedules(request):
    """The bank's switches of its scheduled per-bank jobs (GET lists them; POST switches one)."""
    _require_view(request)
    user = request.user
    if user.bank_id is None:  # the platform's own schedules are the beat's, in Django admin
        raise PermissionDenied
    may_change = user.has_perm(schedules.CHANGE_PERMISSION)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = ScheduleSwitchForm(request.POST)
        if form.is_valid():
            schedules.set_enabled(user, form.cleaned_data["job"], form.cleaned_data["enabled"])
            label = jobs.job_label(form.cleaned_data["job"])
            if form.cleaned_data["enabled"]:
                messages.success(request, gettext("%(job)s runs on its schedule again for your bank.") % {"job": label})
            else:
                messages.success(request, gettext("%(job)s no longer runs on its schedule for your bank.") % {"job": label})
        else:
            messages.error(request, gettext("Choose a job and whether it runs on schedule."))
        return redirect("jobs:schedules")
    return render(
        request,
        "ocrm/jobs/schedules.html",
        {"title": _("Job schedules"), "rows": schedules.for_bank(user.bank_id), "may_change": may_change},
    )
