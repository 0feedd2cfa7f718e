"""The wealth plans section of the 360° page: no query on the page; the list loads with htmx."""

from django.utils.translation import gettext_lazy

from customers.profile import sections


def plans_context(customer, user):
    return {}


def register_sections():
    sections.register(
        "plans",
        gettext_lazy("Wealth plans"),
        "marketing/planning/section.html",
        plans_context,
        order=70,
        perm="customers.view_customer",
    )
