"""The 360 page's "eligible bundles and products" section, loaded by htmx after the page (its
queries stay out of the 360 page's budget). Scope: Customer.objects.visible_to → 404 elsewhere."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from customers.master.models import Customer, Product
from marketing.knowledge import services as knowledge
from marketing.products import eligibility, services
from marketing.products.filtersets import BundleFilterSet, ProductFilterSet
from marketing.products.forms import BundleForm, DraftForm
from marketing.products.models import Bundle, BundleItem, ProductVersion
from marketing.products.tables import BundleTable, ProductTable
from ocrm import links
from ocrm.lists.views import ScopedListView
from ocrm.pages import ServiceActionView, ServiceFormView


class EligibleSectionView(LoginRequiredMixin, View):
    def get(self, request, number):
        customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("retail_profile"), number=number)
        facts = eligibility.facts_of(customer)
        bundles = [item for item in eligibility.bundles_for(customer, facts) if item.eligible and item.products]
        context = {
            "customer": customer,
            "facts": facts,
            "bundles": bundles,
            "products": eligibility.suitable_products_for(customer, facts),
        }
        _attach_articles(request.user, [p for p, _r in context["products"]] + [p for b in bundles for p, _r in b.products])
        return render(request, "marketing/products/eligible_section.html", context)


def _attach_articles(user, products):
    """The knowledge base's published articles linked to each product (product.kb_articles), one query."""
    found = knowledge.articles_by_product(user, {p.pk for p in products}) if products else {}
    for product in products:
        product.kb_articles = found.get(product.pk, [])


def section_context(customer, user):
    """Nothing read here: the section's body comes by htmx."""
    return {}


# --- the catalog pages of product managers (scope: their bank; 404 elsewhere) ------------------------

VIEW_PERM = "marketing.view_productversion"


class ProductListView(ScopedListView):
    model = Product
    permission_required = VIEW_PERM
    table_class = ProductTable
    filterset_class = ProductFilterSet
    title = gettext_lazy("Product catalog")
    export_filename = "products"

    def get_queryset(self):
        return services.products_visible_to(self.request.user).order_by("code")


class ProductDetailView(ServiceFormView):
    """A product: its published version, the draft form, and every version with its changes."""

    permission_required = VIEW_PERM
    model = Product
    form_class = DraftForm
    template_name = "marketing/products/product_detail.html"
    success_message = gettext_lazy("The draft is saved. Submit it for approval when it is ready.")

    def get_queryset(self):
        return services.products_visible_to(self.request.user)

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if "data" not in kwargs:
            kwargs["initial"] = DraftForm.initial_from(self.latest_version())
        return self.form_class(**kwargs)

    def latest_version(self):
        if not hasattr(self, "_versions"):
            self._versions = list(
                services.versions_visible_to(self.request.user).filter(product=self.object).select_related("made_by")
            )
        return self._versions[0] if self._versions else None

    def perform(self, form):
        return services.write_draft(self.request.user, self.object.pk, form.params())

    def get_success_url(self, version):
        return links.url("catalog_product", self.object.pk)

    def get_title(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        self.latest_version()
        published = next((v for v in self._versions if v.status == ProductVersion.Status.PUBLISHED), None)
        history = [
            (version, [(ProductVersion._meta.get_field(name).verbose_name, pair[0], pair[1]) for name, pair in changes.items()])
            for version in self._versions
            for changes in [services.diff_in(version, self._versions)]
        ]
        return super().get_context_data(
            product=self.object,
            articles=knowledge.articles_by_product(self.request.user, [self.object.pk]).get(self.object.pk, []),
            published=published,
            history=history,
            may_maintain=self.request.user.has_perm(services.MAINTAIN_PERM),
            **kwargs,
        )


class SubmitVersionView(ServiceActionView):
    permission_required = services.MAINTAIN_PERM
    model = ProductVersion

    def get_queryset(self):
        return services.versions_visible_to(self.request.user)

    def perform(self):
        return services.submit(self.request.user, self.object.pk, self.request.POST.get("reason", ""))

    def get_success_message(self, request):
        return _("The version waits for another product manager's approval.")

    def get_success_url(self, result):
        return links.url("catalog_product", self.object.product_id)


class BundleListView(ScopedListView):
    model = Bundle
    permission_required = VIEW_PERM
    table_class = BundleTable
    filterset_class = BundleFilterSet
    title = gettext_lazy("Bundles")
    export_filename = "bundles"
    create_url = "marketing:catalog_bundle_create"
    create_perm = services.MAINTAIN_PERM

    def get_queryset(self):
        return services.bundles_visible_to(self.request.user).order_by("code")


class BundleFormMixin:
    form_class = BundleForm
    template_name = "marketing/products/bundle_form.html"

    def get_queryset(self):
        return services.bundles_visible_to(self.request.user).prefetch_related(
            "rules", Prefetch("items", queryset=BundleItem.objects.select_related("product"))
        )

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if "data" not in kwargs and self.object is not None:
            kwargs["initial"] = BundleForm.initial_from(self.object)
        bank_id = self.object.bank_id if self.object is not None else self.request.user.bank_id
        return self.form_class(bank_id=bank_id, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        values = {name: data.get(name) for name in services.BUNDLE_FIELDS}
        lines = [line.strip() for line in str(data.get("services") or "").splitlines()]
        rules = services.parse_rules(data.get("rules"))
        return services.save_bundle(self.request.user, self.object, values, list(data["products"]), lines, rules)

    def get_success_url(self, bundle):
        return links.url("catalog_bundle", bundle.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            bundle=self.object,
            editable=self.request.user.has_perm(services.MAINTAIN_PERM),
            **kwargs,
        )


class BundleCreateView(BundleFormMixin, ServiceFormView):
    permission_required = services.MAINTAIN_PERM
    title = gettext_lazy("New bundle")
    success_message = gettext_lazy("The bundle is saved.")


class BundleDetailView(BundleFormMixin, ServiceFormView):
    permission_required = VIEW_PERM
    model = Bundle
    success_message = gettext_lazy("The bundle is saved.")

    def perform(self, form):
        if not self.request.user.has_perm(services.MAINTAIN_PERM):
            raise PermissionDenied
        return super().perform(form)

    def get_title(self):
        return self.object.name_local
