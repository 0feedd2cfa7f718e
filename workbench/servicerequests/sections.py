"""The service requests section of the 360° page (交易进展查询): the customer's latest requests and
where each stands, with a button to prepare a new one. The page draws a placeholder (no query)
that htmx fills from workbench:customer_service_requests, so the 360 page's query budget stays."""

from django.utils.translation import gettext_lazy

from customers.profile import sections


def placeholder_context(customer, user):
    return {}


def register_sections():
    sections.register(
        "service_requests",
        gettext_lazy("Service requests"),
        "workbench/servicerequests/section_placeholder.html",
        placeholder_context,
        order=87,
        perm="customers.view_customer",
    )
