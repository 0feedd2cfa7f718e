"""The 360 page's "Ownership" section: transfer in progress, pending claims and the
assignment history of the customer. One query whatever the customer holds (the pending
requests are the header's, customers.profile.sections.pending_requests)."""

from django.utils.translation import gettext_lazy as _

from customers.ownership.assignment.models import AssignmentChange
from customers.ownership.assignment.services import ACTION_CLAIM, ACTION_TRANSFER
from customers.profile import sections

HISTORY_LIMIT = 10


PEOPLE, BRANCHES = ("from_manager", "to_manager", "actor"), ("from_branch", "to_branch")


def ownership_context(customer, user):
    # The header read the customer's pending requests already (one query for both sections).
    pending = {"transfer": None, "claims": []}
    for request in reversed(sections.pending_requests(customer)):  # oldest first, as pending_by_customer
        if request.action == ACTION_TRANSFER:
            pending["transfer"] = request
        elif request.action == ACTION_CLAIM:
            pending["claims"].append(request)
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
    return {
        "transfer": pending["transfer"],
        "claims": pending["claims"],
        "assignment_history": history,
        "may_transfer": user.has_perm("customers.transfer_customer"),
        "may_reassign": user.has_perm("customers.reassign_customer"),
        "may_claim": user.has_perm("customers.claim_customer") and customer.primary_manager_id is None,
    }


def register_sections():
    sections.register("ownership", _("Ownership"), "customers/assignment/section.html", ownership_context, order=5)
