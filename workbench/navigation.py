"""The workbench's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation
from workbench.inbox import services
from workbench.messaging import services as messaging

WORKBENCH = _("Workbench")


def register_nav():
    # Shown to whoever may decide something in the inbox: any checker permission or inbox source
    # permission (e.g. only customers.review_match), not only supervisors' customers.approve_change.
    navigation.register(
        WORKBENCH,
        _("Approvals"),
        "workbench:inbox",
        icon="inbox",
        order=10,
        badge=services.badge_count,
        visible=services.may_use_inbox,
    )
    # Every maker's own requests of any kind (customer changes, claims, transfers, shares...).
    navigation.register(
        WORKBENCH, _("My requests"), "workbench:my_requests", icon="send", order=20, visible=lambda user: user.is_authenticated
    )
    # Staff messaging: the badge counts conversations with unread messages (cached, see workbench.messaging.services).
    navigation.register(
        WORKBENCH,
        _("Messages"),
        "workbench:messaging_list",
        icon="chat-dots",
        order=30,
        badge=messaging.unread_count,
        visible=messaging.may_message,
    )
