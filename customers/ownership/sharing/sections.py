"""The sharing section of the 360° page: who else sees this customer, and until when."""

from django.utils.translation import gettext_lazy

from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.models import CustomerShare
from customers.profile import sections

SHARES_IN_SECTION = 20


NAME_FIELDS = ("username", "name_local", "first_name", "last_name")  # Staff.display_name


def shares_section_context(customer, user):
    """The shares of this customer in force or waiting for approval (one query), and whether the
    user may share or revoke."""
    shares = list(
        CustomerShare.objects.open()
        .filter(customer=customer)
        .select_related("shared_by", "shared_with")
        # Of the two people, the names the section shows (not two wide staff rows).
        .only(
            "customer",
            "status",
            "can_edit",
            "expires_at",
            "shared_by",
            "shared_with",
            *(f"{person}__{field}" for person in ("shared_by", "shared_with") for field in NAME_FIELDS),
        )
        .order_by("expires_at", "id")[:SHARES_IN_SECTION]
    )
    may_revoke_any = user.has_perm("customers.change_customershare")
    return {
        "shares": [(share, may_revoke_any and sharing.may_revoke(user, _with_customer(share, customer))) for share in shares],
        "may_share": sharing.may_share(user, customer),
    }


def _with_customer(share, customer):
    share.customer = customer  # already loaded: may_revoke reads its manager without a query
    return share


def register_sections():
    sections.register(
        "shares",
        gettext_lazy("Shared with colleagues"),
        "customers/sharing/section.html",
        shares_section_context,
        order=90,
        perm="customers.view_customershare",
        # Its rows through htmx (customers:section); the share button at once.
        deferred=True,
        controls=lambda customer, user: {"may_share": sharing.may_share(user, customer)},
    )
