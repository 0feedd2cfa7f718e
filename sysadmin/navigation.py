"""sysadmin's entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

ORGANISATION = _("Organisation")


SYSTEM = _("System")


def register_nav():
    navigation.register(ORGANISATION, _("Branches"), "sysadmin:branch_list", ["sysadmin.view_branch"], icon="diagram-3", order=10)
    navigation.register(ORGANISATION, _("Staff"), "sysadmin:staff_list", ["sysadmin.view_staff"], icon="people", order=11)
    navigation.register(
        SYSTEM, _("Organisation imports"), "sysadmin:import_list", ["sysadmin.run_imports"], icon="upload", order=90
    )
    navigation.register(SYSTEM, _("Batch jobs"), "jobs:list", ["sysadmin.view_jobs"], icon="gear-wide-connected", order=91)
    navigation.register(SYSTEM, _("System monitor"), "monitoring:operator", ["sysadmin.view_jobs"], icon="activity", order=91)
    navigation.register(SYSTEM, _("SMS and e-mail outbox"), "outbox:messages", ["ocrm.manage_outbox"], icon="envelope", order=94)
    navigation.register(
        SYSTEM, _("Message templates"), "outbox:templates", ["ocrm.manage_outbox"], icon="chat-square-text", order=94
    )
    navigation.register(SYSTEM, _("Outbox statistics"), "outbox:statistics", ["ocrm.manage_outbox"], icon="bar-chart", order=94)
    navigation.register(SYSTEM, _("Audit log"), "sysadmin:audit_list", ["sysadmin.view_audit"], icon="journal-text", order=92)
    navigation.register(SYSTEM, _("Reset a second factor"), "mfa_reset", ["sysadmin.reset_staff_mfa"], icon="phone", order=93)
    navigation.register(SYSTEM, _("Administration"), "admin:index", (), icon="tools", order=99, admin_only=True)
    # Every person's own phone, e-mail, language and time zone (sysadmin.personal).
    navigation.register(
        SYSTEM,
        _("Personal details"),
        "sysadmin:personal_details",
        icon="person-gear",
        order=98,
        visible=lambda u: u.is_authenticated,
    )
