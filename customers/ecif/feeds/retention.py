"""What the feeds keep only for a while (ocrm.datalife.retention): the rejected rows' cells and
the uploaded files hold personal data as the source sent it. The load's row (who, when,
counts, SHA-256) stays."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.ecif.feeds.models import FeedError, FeedLoad
from ocrm import parameters
from ocrm.datalife import retention

PARAMETERS = {
    "feed.staging_keep_days": (
        "int",
        "30",
        _("Days the rejected rows and the uploaded file of a finished feed load are kept (0 = keep all)."),
    ),
}

FINISHED = ~Q(status__in=[FeedLoad.Status.QUEUED, FeedLoad.Status.RUNNING])


def register_retention():
    parameters.declare(PARAMETERS)
    retention.register(
        retention.Purge(
            "feed_errors",
            _("feed error rows removed"),
            FeedError,
            "load__bank_id",
            "load__created_at",
            "feed.staging_keep_days",
            Q(load__in=FeedLoad.objects.filter(FINISHED)),
        )
    )
    retention.register(
        retention.Purge(
            "feed_files",
            _("feed files removed"),
            FeedLoad,
            "bank_id",
            "created_at",
            "feed.staging_keep_days",
            FINISHED,
            file_field="file",
        )
    )
