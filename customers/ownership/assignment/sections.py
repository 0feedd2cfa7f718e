"""The 360 page's "Ownership" section: transfer in progress, pending claims and the
assignment history of the customer. Two queries whatever the customer holds."""

from django.utils.translation import gettext_lazy as _

from customers.ownership.assignment.models import AssignmentChange
from customers.ownership.assignment.services import pending_by_customer
from customers.profile import sections

HISTORY_LIMIT = 10


def ownership_context(customer, user):
    pending = pending_by_customer([customer.pk]).get(customer.pk, {"transfer": None, "claims": []})
    history = list(
        AssignmentChange.objects.filter(customer=customer)
        .select_related("from_manager", "to_manager", "from_branch", "to_branch", "actor")
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
