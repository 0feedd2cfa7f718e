"""Who hears of a failed job run: the bank's staff who may see its jobs (the platform operators for
a run of no bank), in-app and by e-mail or SMS as each prefers (notification event job_failure)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from ocrm import links
from ocrm.batch.jobs import job_label
from ocrm.batch.views import VIEW_PERMISSION
from ocrm.notifications.models import Notification, NotificationPreference
from ocrm.notifications.services import notify

PLATFORM_PERMISSION = "ocrm.operate_platform"


def watchers(run):
    """Active staff who may open the run: of its bank with the jobs pages' permission, or the
    platform operators (no bank) for a platform run."""
    people = get_user_model().objects.with_perm(
        VIEW_PERMISSION if run.bank_id is not None else PLATFORM_PERMISSION,
        include_superusers=False,
        backend=settings.AUTHENTICATION_BACKENDS[0],
    )
    return people.filter(bank_id=run.bank_id) if run.bank_id is not None else people.filter(bank__isnull=True)


def tell_failure(run):
    """One notice per person and attempt (a retried run that fails again is told again)."""
    return notify(
        watchers(run),
        lambda _recipient: _("A batch job failed: %(job)s") % {"job": job_label(run.job)},
        lambda _recipient: str(run.failure_reason or ""),
        link=links.url("job_run", run.pk),
        level=Notification.Level.DANGER,
        dedupe_key=f"job-failed:{run.pk}:{run.attempts}",
        event=NotificationPreference.Event.JOB_FAILURE,
    )
