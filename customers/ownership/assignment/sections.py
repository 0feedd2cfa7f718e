"""The 360 page's "Ownership" section: transfer in progress, pending claims and the
assignment history of the customer. The page shows the first two at once, without a query (the
pending requests are the header's, customers.profile.sections.pending_requests); the history,
one query whatever the customer holds, is deferred (htmx, customers:section)."""

from django.utils.translation import gettext_lazy as _

from customers.ownership.assignment.models import AssignmentChange
from customers.ownership.assignment.services import ACTION_CLAIM, ACTION_TRANSFER
from customers.profile import sections

HISTORY_LIMIT = 10


PEOPLE, BRANCHES = ("from_manager", "to_manager", "actor"), ("from_branch", "to_branch")


def ownership_controls(customer, user):
    """What the section shows at once on the 360 page: a transfer in progress, pending claims and
    the buttons. The header read the customer's pending requests already (one query for both)."""
    pending = {"transfer": None, "claims": []}
    for request in reversed(sections.pending_requests(customer)):  # oldest first, as pending_by_customer
        if request.action == ACTION_TRANSFER:
            pending["transfer"] = request
        elif request.action == ACTION_CLAIM:
            pending["claims"].append(request)
    return {
        "transfer": pending["transfer"],
        "claims": pending["claims"],
        "may_transfer": user.has_perm("customers.transfer_customer"),
        "may_reassign": user.has_perm("customers.reassign_customer"),
        "may_claim": user.has_perm("customers.claim_customer") and customer.primary_manager_id is None,
    }


def ownership_context(customer, user):
    history = list(
        AssignmentChange.objects.filter(customer=customer)
        .select_related(*PEOPLE, *BRANCHES)
        # Of the three people and two branches, what the section shows (not five wide rows).
        .only(
            "customer",
            "kind",
            "at",
            *PEOPLE,
            *BRANCHES,
            *(f"{person}__{field}" for person in PEOPLE for field in ("username", "name_local", "first_name", "last_name")),
            *(f"{branch}__code" for branch in BRANCHES),
        )
        .order_by("-at", "-id")[:HISTORY_LIMIT]
    )
    return {**ownership_controls(customer, user), "assignment_history": history}


def register_sections():
    # The history table through htmx (customers:section); the transfer, the claims and the buttons at once.
    sections.register(
        "ownership",
        _("Ownership"),
        "customers/assignment/section.html",
        ownership_context,
        order=5,
        deferred=True,
        controls=ownership_controls,
    )
