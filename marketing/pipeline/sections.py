"""The opportunities section of the 360° page: no query on the page; the list (and the latest
service contacts to open an opportunity from) loads with htmx from marketing:pipeline_customer."""

from django.utils.translation import gettext_lazy

from customers.profile import sections


def opportunities_context(customer, user):
    return {}


def register_sections():
    sections.register(
        "opportunities",
        gettext_lazy("Opportunities"),
        "marketing/pipeline/section.html",
        opportunities_context,
        order=34,
        perm="marketing.view_opportunity",
    )
