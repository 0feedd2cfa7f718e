"""The jobs page: batch runs (JobRun) with live progress, one run's detail, and "run
now" for administrators.

Rows of queued and running jobs poll job_progress every 2 seconds (htmx) and replace
themselves, so status, progress, duration and counts move without a page reload; a
finished row stops polling. Everything is limited by JobRun.objects.visible_to(user)."""

import functools
import operator

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.lists.tables import BaseTable
from ocrm.lists.views import ScopedListView
from ocrm.tenants import tenant_model

VIEW_PERMISSION = "sysadmin.view_jobs"


START_PERMISSION = "ocrm.add_jobrun"  # starting a job creates its run


POLL_SECONDS = 2


STATUS_STYLES = {
    JobRun.Status.QUEUED: "secondary",
    JobRun.Status.RUNNING: "primary",
    JobRun.Status.SUCCEEDED: "success",
    JobRun.Status.FAILED: "danger",
}


ACTIVE = (JobRun.Status.QUEUED, JobRun.Status.RUNNING)


def runs_for(user):
    """The runs the user may see, with what the table shows (no query per row)."""
    bank_code = tenant_model().objects.filter(pk=OuterRef("bank_id")).values("code")[:1]
    return JobRun.objects.visible_to(user).annotate(bank_code=Subquery(bank_code)).select_related("triggered_by")


def is_active(run):
    return run.status in ACTIVE


def format_duration(run):
    if not run.started_at:
        return ""
    end = run.finished_at or (timezone.now() if run.status == JobRun.Status.RUNNING else None)
    if end is None:
        return ""
    seconds = max(0, int((end - run.started_at).total_seconds()))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def count_items(run):
    """[(name, label, value)] of the run's counts, known names translated, in a stable order."""
    return [(name, jobs.COUNT_LABELS.get(name, name), value) for name, value in sorted((run.counts or {}).items())]


def counts_text(run):
    return " · ".join(f"{label}: {value}" for _name, label, value in count_items(run))


def local_time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class JobRunTable(BaseTable):
    id = tables.Column(verbose_name="#", linkify=("jobs:detail", [tables.A("pk")]))
    job = tables.Column(verbose_name=_("job"), linkify=("jobs:detail", [tables.A("pk")]))
    bank = tables.Column(verbose_name=_("bank"), accessor="bank_code", empty_values=(), order_by=("bank_id",))
    business_date = tables.DateColumn(verbose_name=_("business date"), format="Y-m-d")
    status = tables.Column(verbose_name=_("status"))
    progress = tables.Column(verbose_name=_("progress"), accessor="pk", orderable=False)
    started_at = tables.Column(verbose_name=_("started"))
    duration = tables.Column(verbose_name=_("duration"), accessor="pk", orderable=False)
    counts = tables.Column(verbose_name=_("counts"), empty_values=(), orderable=False)
    attempts = tables.Column(verbose_name=_("attempts"))

    class Meta(BaseTable.Meta):
        model = JobRun
        fields = ()
        # Status and progress early: on a phone they are visible without scrolling sideways.
        sequence = ("id", "job", "status", "progress", "business_date", "bank", "started_at", "duration", "counts", "attempts")
        attrs = {**BaseTable.Meta.attrs, "id": "job-table"}
        row_attrs = {
            "id": lambda record: f"job-run-{record.pk}",
            "data-status": lambda record: record.status,
            # Active rows replace themselves every POLL_SECONDS; finished rows leave these out.
            "hx-get": lambda record: reverse("jobs:progress", args=[record.pk]) if is_active(record) else None,
            "hx-trigger": lambda record: f"every {POLL_SECONDS}s" if is_active(record) else None,
            "hx-swap": lambda record: "outerHTML" if is_active(record) else None,
        }

    def render_job(self, value):
        return jobs.job_label(value)

    def value_job(self, value):
        return str(jobs.job_label(value))

    def render_bank(self, value):
        return value or gettext("All banks")

    def value_bank(self, value):
        return value or gettext("All banks")

    def render_status(self, record):
        return status_badge(record)

    def value_status(self, record):
        return record.get_status_display()

    def render_progress(self, record):
        return progress_bar(record)

    def value_progress(self, record):
        return "" if record.percent is None else f"{record.percent}%"

    def render_started_at(self, value):
        return format_html('<span class="text-nowrap">{}</span>', local_time(value))

    def value_started_at(self, value):
        return local_time(value)

    def render_duration(self, record):
        return format_duration(record) or "—"

    def value_duration(self, record):
        return format_duration(record)

    def render_counts(self, record):
        items = count_items(record)
        if not items:
            return "—"
        return format_html_join(" ", '<span class="badge text-bg-light border" data-count="{}">{}: {}</span>', items)

    def value_counts(self, record):
        return counts_text(record)


def status_badge(run):
    spinner = (
        mark_safe('<span class="spinner-border spinner-border-sm me-1" aria-hidden="true"></span>')
        if run.status == JobRun.Status.RUNNING
        else ""
    )
    return format_html(
        '<span class="badge text-bg-{} job-status" data-status="{}">{}{}</span>',
        STATUS_STYLES.get(run.status, "secondary"),
        run.status,
        spinner,
        run.get_status_display(),
    )


def progress_bar(run):
    percent = run.percent
    done = f"{run.progress_done:,}" + (f" / {run.progress_total:,}" if run.progress_total is not None else "")
    if percent is None:
        return format_html('<span class="small text-muted job-progress-count">{}</span>', done)
    animated = " progress-bar-striped progress-bar-animated" if run.status == JobRun.Status.RUNNING else ""
    style = "bg-danger" if run.status == JobRun.Status.FAILED else ""
    return format_html(
        '<div class="progress job-progress" role="progressbar" aria-valuenow="{}" aria-valuemin="0" '
        'aria-valuemax="100" style="min-width: 6rem; height: 1rem"><div class="progress-bar {}{}" '
        'style="width: {}%">{}%</div></div><div class="small text-muted job-progress-count">{}</div>',
        percent,
        style,
        animated,
        percent,
        percent,
        done,
    )


def job_choices():
    return [(spec.name, spec.label) for spec in jobs.JOBS.values()]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class JobRunFilterSet(django_filters.FilterSet):
    job = django_filters.ChoiceFilter(label=_("job"), choices=job_choices)
    status = django_filters.ChoiceFilter(label=_("status"), choices=JobRun.Status.choices)
    date_from = django_filters.DateFilter(
        label=_("business date from"), field_name="business_date", lookup_expr="gte", widget=DateInput
    )
    date_to = django_filters.DateFilter(
        label=_("business date to"), field_name="business_date", lookup_expr="lte", widget=DateInput
    )

    class Meta:
        model = JobRun
        fields = ()


class JobStartForm(forms.Form):
    job = forms.ChoiceField(label=_("job"))
    business_date = forms.DateField(label=_("business date"), widget=DateInput)
    bank = forms.ModelChoiceField(
        label=_("bank"), queryset=tenant_model().objects.all(), required=False, empty_label=_("All banks")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["job"].choices = [(spec.name, spec.label) for spec in jobs.JOBS.values() if spec.startable]
        self.fields["business_date"].initial = jobs.today(user.bank_id)
        if not user.is_superuser:  # a bank's administrator runs jobs for that bank only
            del self.fields["bank"]

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get("business_date")
        bank = cleaned.get("bank") if "bank" in self.fields else None
        bank_id = bank.pk if bank else (None if self.user.is_superuser else self.user.bank_id)
        # "Today" is the bank's own (its head office's); for all banks, the latest of theirs.
        if value and value > jobs.latest_business_date(bank_id):
            self.add_error("business_date", _("The business date cannot lie in the future."))
        return cleaned


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
