"""What messaging adds to the 360 page: the conversations about this customer that the user
takes part in (the page itself already decided that the user may see the customer)."""

from django.utils.translation import gettext_lazy

from customers.profile import sections
from workbench.messaging import services
from workbench.messaging.models import Conversation

CONVERSATIONS_IN_SECTION = 20


def conversations_context(customer, user):
    """The user's conversations linked to the customer, newest first: no query for a customer
    without any (services.linked_customer_ids, cached), two for one with some."""
    if customer.pk not in services.linked_customer_ids(user):
        return {"conversations": []}
    conversations = list(
        Conversation.objects.visible_to(user).filter(customer=customer).order_by("-last_message_id")[:CONVERSATIONS_IN_SECTION]
    )
    names = services.names_of([c.pk for c in conversations], exclude_user=user) if conversations else {}
    return {"conversations": [(c, names.get(c.pk, [])) for c in conversations]}


def register_sections():
    sections.register(
        "conversations",
        gettext_lazy("Staff conversations"),
        "workbench/messaging/section.html",
        conversations_context,
        order=95,
    )
