"""The table of the feed-load list (the XLSX export reuses it)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext as _
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


def outcome(load):
    """(label, badge colour) of a load as a person reads it: a load that ran to its end but whose
    rows were rejected did not succeed, all the less when no row at all was loaded."""
    if load.status == FeedLoad.Status.LOADED and load.rows_rejected:
        if load.feed == FeedLoad.Feed.FX_RATES and not load.rows_loaded:
            return _("Nothing posted: a rates file is posted whole or not at all"), "danger"
        if not load.rows_loaded:
            return _("Nothing loaded: every row was rejected"), "danger"
        return _("Loaded with rejected rows"), "warning"
    return load.get_status_display(), STATUS_BADGES.get(load.status, "secondary")


def delivered_by(load):
    """Who or what delivered the file: "uploaded by <person>", or the inbox folder."""
    if load.origin == FeedLoad.Origin.UPLOAD and load.uploaded_by is not None:
        person = load.uploaded_by
        return _("uploaded by %(person)s") % {"person": person.name_local or person.username}
    return load.get_origin_display()


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

    def render_status(self, record, value):
        label, colour = outcome(record)
        return format_html('<span class="badge text-bg-{} feed-status" data-status="{}">{}</span>', colour, record.status, label)

    def value_status(self, record):
        return outcome(record)[0]

    def render_origin(self, record):
        return delivered_by(record)

    def value_origin(self, record):
        return delivered_by(record)

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
