"""/metrics for Prometheus (token only) and the operator page (people with the jobs permission).

The operator page shows what is platform-wide (the workers, beat, the queue) to every operator
and the job figures of the viewer's own bank only: a bank's administrator never sees another
bank's runs, nor totals that include them."""

import datetime
import time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from ocrm.batch.models import JobRun
from ocrm.batch.tables import format_duration, status_badge
from ocrm.monitoring import metrics, state, token
from ocrm.scoping import scope_of

VIEW_PERMISSION = "sysadmin.view_jobs"


@never_cache
@require_GET
def prometheus_metrics(request):
    if not token.presented(request):
        # The same answer whether no token is configured or a wrong one was sent.
        return HttpResponse(status=403)
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def runs_of_bank(user):
    """The runs whose figures this user may read: every run for the platform's operators (a
    superuser), else the runs of the user's own bank (not the all-banks parents, whose counts
    add up every bank)."""
    runs = JobRun.objects.visible_to(user)
    return runs if scope_of(user) == "all" else runs.filter(bank_id=user.bank_id)


def _with_display(row):
    last = row["last"]
    return {**row, "status_html": status_badge(last) if last else "", "duration": format_duration(last) if last else ""}


@never_cache
@require_GET
@login_required
def operator_page(request):
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    now = time.time()
    tick = state.beat_last_tick()
    depths = state.queue_depths()
    jobs = state.last_runs(runs_of_bank(request.user))
    context = {
        "title": _("System monitor"),
        "workers": state.workers(),
        "beat_alive": state.beat_alive(tick, now),
        "beat_last_tick": datetime.datetime.fromtimestamp(tick, datetime.UTC) if tick else None,
        "beat_seconds_ago": int(now - tick) if tick else None,
        "queues": [(name, depth) for name, depth in (depths or {}).items() if name != "unacked"],
        "unacked": (depths or {}).get("unacked"),
        "broker_up": depths is not None,
        "database_up": state.database_up()[0],
        "job_rows": [_with_display(row) for row in jobs],
        "failed_jobs": sum(1 for row in jobs if row["last"] and row["last"].status == JobRun.Status.FAILED),
        "all_banks": scope_of(request.user) == "all",
        "now": timezone.now(),
    }
    return render(request, "ocrm/monitoring/operator.html", context)
