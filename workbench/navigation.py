"""The workbench's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation
from workbench.announcements import services as announcements
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


def register_desk_nav():
    """The desk: dashboard, tasks, calendar, reminders, announcements and work reports."""
    navigation.register(WORKBENCH, _("Task board"), "workbench:task_board", ("workbench.view_task",), icon="kanban", order=30)
    navigation.register(WORKBENCH, _("My tasks"), "workbench:tasks", ("workbench.view_task",), icon="list-check", order=31)
    navigation.register(
        WORKBENCH,
        _("My team's tasks"),
        "workbench:team_tasks",
        ("workbench.view_task", "workbench.reassign_task"),
        icon="people",
        order=32,
    )
    navigation.register(
        WORKBENCH, _("Calendar"), "workbench:calendar", ("workbench.view_appointment",), icon="calendar3", order=33
    )
    navigation.register(WORKBENCH, _("Reminders"), "workbench:reminders", ("workbench.view_reminder",), icon="bell", order=40)
    # The dashboard (every person with a bank), the work reports and the team's missing reports.
    navigation.register(
        WORKBENCH,
        _("Dashboard"),
        "workbench:dashboard",
        icon="speedometer2",
        order=5,
        visible=lambda user: user.bank_id is not None,
    )
    navigation.register(
        WORKBENCH, _("Work reports"), "workbench:workreports", perms=("workbench.view_workreport",), icon="journal-text", order=50
    )
    navigation.register(
        WORKBENCH,
        _("Reports not submitted"),
        "workbench:workreports_missing",
        perms=("workbench.comment_workreport",),
        icon="journal-x",
        order=51,
    )
    # Announcements: every staff member of a bank reads those addressed to them (badge: not yet opened).
    navigation.register(
        WORKBENCH,
        _("Announcements"),
        "workbench:announcements",
        icon="megaphone",
        order=35,
        badge=announcements.unread_count,
        visible=lambda user: user.is_authenticated and user.bank_id is not None,
    )
    navigation.register(
        WORKBENCH,
        _("Publish announcements"),
        "workbench:announcement_manage_list",
        perms=("workbench.view_announcement",),
        icon="pencil-square",
        order=36,
    )
    # Staff messaging: the badge counts conversations with unread messages (cached, see workbench.messaging.services).
    navigation.register(
        WORKBENCH,
        _("Messages"),
        "workbench:messaging_list",
        icon="chat-dots",
        order=34,
        badge=messaging.unread_count,
        visible=messaging.may_message,
    )
    # Channel API (workbench.channelapi): the bank's administrators replay webhook dead letters.
    navigation.register(
        WORKBENCH,
        _("Webhook dead letters"),
        "workbench:channel_dead_letters",
        perms=("workbench.manage_channelclients",),
        icon="envelope-exclamation",
        order=90,
    )
    navigation.register(
        WORKBENCH,
        _("Channel clients"),
        "workbench:channel_clients",
        perms=("workbench.manage_channelclients",),
        icon="plug",
        order=89,
    )
    # Service requests of the customers the user sees (workbench.servicerequests).
    navigation.register(
        WORKBENCH,
        _("Service requests"),
        "workbench:service_requests",
        ("customers.view_customer",),
        icon="clipboard-check",
        order=37,
    )
    # The back office's queue of service request steps (workbench.servicerequests: tellers, back office).
    navigation.register(
        WORKBENCH,
        _("Processing queue"),
        "workbench:service_request_queues",
        ("workbench.process_servicerequest",),
        icon="inboxes",
        order=38,
    )
    # Product managers define service request types (workbench.servicerequests.definitions).
    navigation.register(
        WORKBENCH,
        _("Service request types"),
        "workbench:service_request_types",
        ("workbench.change_servicerequesttype",),
        icon="ui-checks",
        order=39,
    )
