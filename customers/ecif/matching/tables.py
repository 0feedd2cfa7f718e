"""Tables of the merge review queue and of the merge history (the XLSX exports reuse them)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy

from customers.ecif.matching.models import MatchCandidate, MergeRecord
from ocrm.lists.tables import BaseTable


class CandidateTable(BaseTable):
    customer_a = tables.Column(
        verbose_name=gettext_lazy("customer A"), accessor="customer_a__number", order_by=("customer_a__number",)
    )
    name_a = tables.Column(verbose_name=gettext_lazy("name A"), accessor="customer_a__name_local", orderable=False)
    customer_b = tables.Column(
        verbose_name=gettext_lazy("customer B"), accessor="customer_b__number", order_by=("customer_b__number",)
    )
    name_b = tables.Column(verbose_name=gettext_lazy("name B"), accessor="customer_b__name_local", orderable=False)
    score = tables.Column(verbose_name=gettext_lazy("score"), attrs={"td": {"class": "text-end"}})
    found_by = tables.Column(verbose_name=gettext_lazy("found by"))
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("found"), format="Y-m-d H:i")
    status = tables.Column(verbose_name=gettext_lazy("status"))
    review = tables.LinkColumn(
        "customers:match_review",
        args=[tables.A("pk")],
        text=gettext_lazy("Compare"),
        orderable=False,
        empty_values=(),
        verbose_name="",
        exclude_from_export=True,
        attrs={"a": {"class": "btn btn-sm btn-outline-primary"}},
    )

    class Meta(BaseTable.Meta):
        model = MatchCandidate
        fields = ("customer_a", "name_a", "customer_b", "name_b", "score", "found_by", "created_at", "status", "review")


class MergeTable(BaseTable):
    merged_number = tables.Column(verbose_name=gettext_lazy("merged customer number"))
    survivor = tables.Column(
        verbose_name=gettext_lazy("surviving customer"), accessor="survivor__number", order_by=("survivor__number",)
    )
    survivor_name = tables.Column(verbose_name=gettext_lazy("name"), accessor="survivor__name_local", orderable=False)
    merged_by = tables.Column(
        verbose_name=gettext_lazy("merged by"), accessor="merged_by__username", order_by=("merged_by__username",)
    )
    merged_at = tables.DateTimeColumn(verbose_name=gettext_lazy("merged"), format="Y-m-d H:i")
    reason = tables.Column(verbose_name=gettext_lazy("reason"))
    unmerged_at = tables.DateTimeColumn(verbose_name=gettext_lazy("unmerged"), format="Y-m-d H:i")
    detail = tables.LinkColumn(
        "customers:merge_detail",
        args=[tables.A("pk")],
        text=gettext_lazy("Details"),
        orderable=False,
        empty_values=(),
        verbose_name="",
        exclude_from_export=True,
        attrs={"a": {"class": "btn btn-sm btn-outline-secondary"}},
    )

    class Meta(BaseTable.Meta):
        model = MergeRecord
        fields = ("merged_number", "survivor", "survivor_name", "merged_by", "merged_at", "reason", "unmerged_at", "detail")
