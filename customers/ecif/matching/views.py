"""Pages of the ECIF matching area: the supervisors' review queue (list, side-by-side pair with
the differing fields highlighted, 'same customer' / 'different'), and the merge history with
unmerge for those holding customers.unmerge. Everything is found through visible_to: a pair
is visible only when both customers are in the user's scope, a merge through its survivor."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.ecif.matching import merge
from customers.ecif.matching.filtersets import CandidateFilterSet, MergeFilterSet
from customers.ecif.matching.models import MatchCandidate, MergeRecord
from customers.ecif.matching.services import HISTORY_PERM, REVIEW_PERM, UNMERGE_PERM
from customers.ecif.matching.tables import CandidateTable, MergeTable
from customers.master.models import ContactPoint, Customer
from ocrm import pii
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView

PHONE_KINDS = (ContactPoint.Kind.MOBILE, ContactPoint.Kind.PHONE)


class MatchReviewListView(ScopedListView):
    model = MatchCandidate
    table_class = CandidateTable
    filterset_class = CandidateFilterSet
    permission_required = REVIEW_PERM
    select_related = ("customer_a", "customer_b")
    title = gettext_lazy("Merge reviews")
    export_filename = "match-candidates"

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if "status" not in self.request.GET:  # the queue opens on what waits for a decision
            data = kwargs["data"].copy() if kwargs["data"] is not None else self.request.GET.copy()
            data["status"] = MatchCandidate.Status.PENDING
            kwargs["data"] = data
        return kwargs


def _customers_for_compare(user, ids):
    visible = (
        Customer.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("branch", "primary_manager", "retail_profile", "corporate_profile")
        .prefetch_related(
            "identity_documents",
            "addresses",
            Prefetch("contact_points", queryset=ContactPoint.objects.order_by("-is_primary", "id")),
        )
    )
    return {c.pk: c for c in visible}


def _profile(customer):
    return getattr(customer, "retail_profile", None) if customer.is_retail else getattr(customer, "corporate_profile", None)


def comparison_rows(customer, other, may_unmask):
    """[(key, label, value of customer, value of other, differs)] for the side-by-side page."""

    def phones(c):
        values = sorted(p.value for p in c.contact_points.all() if p.kind in PHONE_KINDS)
        return ", ".join(v if may_unmask else pii.mask_phone(v) for v in values)

    def emails(c):
        values = sorted(p.value for p in c.contact_points.all() if p.kind == ContactPoint.Kind.EMAIL)
        return ", ".join(v if may_unmask else pii.mask_email(v) for v in values)

    def documents(c):
        return ", ".join(sorted(f"{d.get_doc_type_display()} {d.number_masked}" for d in c.identity_documents.all()))

    def document_keys(c):
        return sorted((d.doc_type, d.number_hash) for d in c.identity_documents.all())

    def addresses(c):
        return "; ".join(sorted(a.line1 for a in c.addresses.all()))

    def profile_value(c, name):
        profile = _profile(c)
        value = getattr(profile, name, "") if profile is not None else ""
        return "" if value is None else str(value)

    specs = [
        ("number", _("customer number"), lambda c: c.number, None),
        ("name_local", _("name"), lambda c: c.name_local, None),
        ("name_latin", _("name (Latin script)"), lambda c: c.name_latin, None),
        ("kind", _("kind"), lambda c: c.get_kind_display(), None),
        ("branch", _("owning branch"), lambda c: f"{c.branch.code} {c.branch.name_local}", None),
        ("manager", _("primary manager"), lambda c: c.primary_manager.username if c.primary_manager else "", None),
    ]
    if customer.is_retail:
        specs += [
            ("birth_date", _("birth date"), lambda c: profile_value(c, "birth_date"), None),
            ("gender", _("gender"), lambda c: profile_value(c, "gender"), None),
        ]
    else:
        specs += [
            (
                "registration_code",
                _("registration / unified social credit code"),
                lambda c: profile_value(c, "registration_code"),
                None,
            )
        ]
    specs += [
        # Masked forms of different numbers can look alike: compare the keyed hashes.
        ("identity", _("identity documents"), documents, document_keys),
        ("phones", _("phones"), phones, lambda c: sorted(p.value for p in c.contact_points.all() if p.kind in PHONE_KINDS)),
        (
            "emails",
            _("e-mail"),
            emails,
            lambda c: sorted(p.value.lower() for p in c.contact_points.all() if p.kind == ContactPoint.Kind.EMAIL),
        ),
        ("address", _("address"), addresses, None),
        ("source_systems", _("source systems"), lambda c: ", ".join(sorted(c.source_systems)), None),
    ]
    rows = []
    for name, label, shown, key in specs:
        key = key or shown
        rows.append((name, label, shown(customer), shown(other), key(customer) != key(other)))
    return rows


class MatchReviewView(ServiceActionView):
    """The pair side by side (GET) and the reviewer's decision on it (POST)."""

    http_method_names = ["get", "post"]
    permission_required = REVIEW_PERM
    model = MatchCandidate
    template_name = "customers/matching/review.html"
    success_url = "customers:match_review_list"

    def get(self, request, pk):
        candidate = self.get_object()
        customers = _customers_for_compare(request.user, [candidate.customer_a_id, candidate.customer_b_id])
        a, b = customers[candidate.customer_a_id], customers[candidate.customer_b_id]
        comparison = [
            (label, candidate.comparison.get(key))
            for key, label in (
                ("name", _("name")),
                ("birth_date", _("birth date")),
                ("phone", _("phone")),
                ("email", _("e-mail")),
                ("address", _("address")),
            )
        ]
        return render(
            request,
            self.template_name,
            {
                "title": _("Compare %(a)s and %(b)s") % {"a": a.number, "b": b.number},
                "candidate": candidate,
                "a": a,
                "b": b,
                "rows": comparison_rows(a, b, request.user.has_perm("customers.unmask_pii")),
                "field_scores": comparison,
            },
        )

    def perform(self):
        post = self.request.POST
        reason = (post.get("reason") or "").strip()
        return merge.review_decision(self.object, self.request.user, post.get("decision"), post.get("survivor"), reason)

    def get_success_message(self, outcome):
        if isinstance(outcome, MergeRecord):
            return _("Merged %(merged)s into %(survivor)s.") % {
                "merged": outcome.merged_number,
                "survivor": outcome.survivor.number,
            }
        return _("Recorded as different customers: this pair will not be proposed again.")

    def get_error_url(self):
        return reverse("customers:match_review", args=[self.object.pk])


class MergeHistoryView(ScopedListView):
    model = MergeRecord
    table_class = MergeTable
    filterset_class = MergeFilterSet
    permission_required = HISTORY_PERM
    select_related = ("survivor", "merged_by")
    title = gettext_lazy("Merge history")
    export_filename = "merges"


class MergeDetailView(PermissionPageMixin, View):
    permission_required = HISTORY_PERM
    template_name = "customers/matching/merge_detail.html"

    def get_record(self):
        return get_object_or_404(
            MergeRecord.objects.visible_to(self.request.user).select_related("survivor", "merged", "merged_by", "unmerged_by"),
            pk=self.kwargs["pk"],
        )

    def get(self, request, pk):
        record = self.get_record()
        state = record.before_state
        moved = sorted((key, len(ids)) for key, ids in state.get("moved", {}).items())
        deleted = sorted((key, len(rows)) for key, rows in state.get("deleted", {}).items())
        survivor_before = state.get("survivor", {}).get("customer", {})
        merged_before = state.get("merged", {}).get("customer", {})
        golden = [
            (name, survivor_before.get(name), merged_before.get(name))
            for name in ("number", "name_local", "name_latin", "branch_id", "primary_manager_id", "risk_level", "source_systems")
        ]
        return render(
            request,
            self.template_name,
            {
                "title": _("Merge of %(number)s") % {"number": record.merged_number},
                "record": record,
                "moved": moved,
                "deleted": deleted,
                "golden": golden,
                "may_unmerge": record.is_active and request.user.has_perm(UNMERGE_PERM),
            },
        )


class UnmergeView(ServiceActionView):
    permission_required = UNMERGE_PERM
    model = MergeRecord

    def perform(self):
        return merge.undo_merge(self.object, self.request.user, self.request.POST.get("reason"))

    def get_success_message(self, record):
        return _("The merge is undone: %(number)s is a customer of its own again.") % {"number": record.merged_number}

    def get_success_url(self, record):
        return reverse("customers:detail", args=[record.merged_number])

    def get_error_url(self):
        return reverse("customers:merge_detail", args=[self.object.pk])
