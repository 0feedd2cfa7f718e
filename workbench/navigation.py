"""The workbench's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation
from workbench.announcements import services as announcements
from workbench.inbox import services

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
    # Announcements: every staff member of a bank reads those addressed to them (badge: not yet opened).
    navigation.register(
        WORKBENCH,
        _("Announcements"),
        "workbench:announcements",
        icon="megaphone",
        order=30,
        badge=announcements.unread_count,
        visible=lambda user: user.is_authenticated and user.bank_id is not None,
    )
    navigation.register(
        WORKBENCH,
        _("Publish announcements"),
        "workbench:announcement_manage_list",
        perms=("workbench.view_announcement",),
        icon="pencil-square",
        order=31,
    )
