"""The 360 page's "eligible bundles and products" section, loaded by htmx after the page (its
queries stay out of the 360 page's budget). Scope: Customer.objects.visible_to → 404 elsewhere."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.views import View

from customers.master.models import Customer
from marketing.products import eligibility


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
        return render(request, "marketing/products/eligible_section.html", context)


def section_context(customer, user):
    """Nothing read here: the section's body comes by htmx."""
    return {}
