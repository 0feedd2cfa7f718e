"""The article list (the page and its XLSX export share it)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketing.knowledge.models import Article
from ocrm.lists.tables import BaseTable


class ArticleTable(BaseTable):
    title = tables.Column(verbose_name=_("title"))
    kind = tables.Column(verbose_name=_("kind"))
    category = tables.Column(verbose_name=_("category"), accessor="category__name", order_by=("category__name",))
    language = tables.Column(verbose_name=_("language"))
    tags = tables.Column(verbose_name=_("tags"), orderable=False)
    status = tables.Column(verbose_name=_("status"))
    version = tables.Column(verbose_name=_("version"))
    valid_until = tables.DateColumn(verbose_name=_("valid until"), format="Y-m-d")
    updated_at = tables.DateTimeColumn(verbose_name=_("updated"), format="Y-m-d")

    class Meta(BaseTable.Meta):
        model = Article
        fields = ("title", "kind", "category", "language", "tags", "status", "version", "valid_until", "updated_at")
        order_by = ("-updated_at",)

    def render_title(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse("marketing:article", args=[record.pk]), value)

    def value_title(self, value):
        return value

    def render_tags(self, value):
        return ", ".join(value)

    def value_tags(self, value):
        return ", ".join(value)
