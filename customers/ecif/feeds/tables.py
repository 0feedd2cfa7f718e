"""The table of the feed-load list (the XLSX export reuses it)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy

from customers.ecif.feeds.models import FeedLoad
from ocrm.imports.tables import BatchTable

STATUS_BADGES = {
    FeedLoad.Status.QUEUED: "secondary",
    FeedLoad.Status.RUNNING: "info",
    FeedLoad.Status.LOADED: "success",
    FeedLoad.Status.UNCHANGED: "light",
    FeedLoad.Status.REJECTED: "danger",
    FeedLoad.Status.FAILED: "danger",
    FeedLoad.Status.SUPERSEDED: "warning",
}


class FeedLoadTable(BatchTable):
    status_badges = STATUS_BADGES
    status_class = "feed-status"

    id = tables.Column(verbose_name="#", linkify=("customers:feed_detail", [tables.A("pk")]))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("received"), format="Y-m-d H:i")
    source_system = tables.Column(verbose_name=gettext_lazy("source system"))
    feed = tables.Column(verbose_name=gettext_lazy("feed"))
    business_date = tables.DateColumn(verbose_name=gettext_lazy("business date"), format="Y-m-d")
    original_name = tables.Column(verbose_name=gettext_lazy("file name"), linkify=("customers:feed_detail", [tables.A("pk")]))
    rows_read = tables.Column(verbose_name=gettext_lazy("read"), attrs={"td": {"class": "text-end"}})
    rows_loaded = tables.Column(verbose_name=gettext_lazy("loaded"), attrs={"td": {"class": "text-end"}})
    rows_rejected = tables.Column(verbose_name=gettext_lazy("rejected"), attrs={"td": {"class": "text-end"}})
    origin = tables.Column(verbose_name=gettext_lazy("delivered through"))

    class Meta(BatchTable.Meta):
        model = FeedLoad
        fields = ()
        sequence = (
            "id",
            "created_at",
            "source_system",
            "feed",
            "business_date",
            "original_name",
            "status",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
            "origin",
        )
