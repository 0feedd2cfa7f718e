"""How the jobs pages show a run: the table of runs (django-tables2; its active rows poll
for their own progress), and the status badge and progress bar that other pages showing a
run (feed loads, batch maintenance) reuse."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.lists.tables import BaseTable

POLL_SECONDS = 2


STATUS_STYLES = {
    JobRun.Status.QUEUED: "secondary",
    JobRun.Status.RUNNING: "primary",
    JobRun.Status.SUCCEEDED: "success",
    JobRun.Status.FAILED: "danger",
}


ACTIVE = (JobRun.Status.QUEUED, JobRun.Status.RUNNING)


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
    return [(name, jobs.count_label(name), value) for name, value in sorted((run.counts or {}).items())]


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
