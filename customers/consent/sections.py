"""The "Consent and messages" section of the 360 page: the contact policy and the messages the
outbox suppressed for this customer, with their reasons (two queries). The page draws a
placeholder (no query) that htmx fills from customers:consent_section, so the 360 page's query
budget stays as it was."""

from django.utils.translation import gettext_lazy

from customers.consent import services
from customers.profile import sections


def consent_context(customer, user):
    return {
        "policy": services.policy_of(customer),
        "suppressed": services.suppressed_messages(customer),
        "may_change": user.has_perm("customers.change_contactpolicy"),
    }


def register_sections():
    sections.register(
        "consent",
        gettext_lazy("Consent and messages"),
        "customers/consent/section_placeholder.html",
        lambda customer, user: {},
        order=85,
        perm="customers.view_contactpolicy",
    )
