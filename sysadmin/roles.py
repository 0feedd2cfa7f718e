"""The bank's roles (Django groups) and the model permissions each one holds.

Later apps add their permissions to ROLE_PERMISSIONS; sync_roles() is idempotent and
runs from the data migration and again after every migrate, so a new app's
permissions reach the roles without hand work."""

from django.apps import apps as global_apps
from django.utils.translation import gettext_lazy as _

ROLE_LABELS = {
    "teller": _("Teller"),
    "customer_manager": _("Customer manager"),
    "branch_supervisor": _("Branch supervisor"),
    "product_manager": _("Product manager"),
    "marketing_manager": _("Marketing manager"),
    "crossborder_officer": _("Cross-border officer"),
    "auditor": _("Auditor"),
    "system_admin": _("System administrator"),
}

_ORG_READ = ["sysadmin.view_bank", "sysadmin.view_branch", "sysadmin.view_holiday", "sysadmin.view_bankcode"]

_CUSTOMER_READ = [
    "customers.view_customer",
    "customers.view_identitydocument",
    "customers.view_contactpoint",
    "customers.view_address",
    "customers.view_holding",
    "customers.view_transaction",
    "customers.view_servicecontact",
    "customers.view_customerdocument",
    "customers.view_customernote",
    "customers.view_relationship",
    "customers.view_tag",
    "customers.view_customergroup",
    "customers.view_product",
    "customers.view_lifecyclechange",  # the morning list of lifecycle changes (customers.lifecycle.views)
    "customers.view_contactpolicy",  # consent and suppressed messages on the 360 page (customers.consent)
]
_CUSTOMER_EDIT = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_contactpoint",
    "customers.change_contactpoint",
    "customers.delete_contactpoint",
    "customers.add_address",
    "customers.change_address",
    "customers.delete_address",
    "customers.add_identitydocument",
    "customers.change_identitydocument",
    "customers.add_servicecontact",
    "customers.add_customerdocument",
    "customers.add_customernote",
    "customers.add_relationship",
    "customers.delete_relationship",
    "customers.add_customergroup",
    "customers.change_customergroup",
    "customers.add_tag",
    "customers.add_customertag",
    "customers.delete_customertag",
    "customers.change_contactpolicy",
]
# Sharing a customer with a colleague, the lists of shares, revoking (customers.ownership.sharing.services).
_CUSTOMER_SHARE = ["customers.add_customershare", "customers.view_customershare", "customers.change_customershare"]

# Tasks and the calendar (workbench.todo, workbench.calendar): one's own; supervisors also the team's.
_DESK = [
    "workbench.view_task",
    "workbench.add_task",
    "workbench.change_task",
    "workbench.view_appointment",
    "workbench.add_appointment",
    "workbench.change_appointment",
]
# Reminders: the list, snooze, dismiss, turn into a task (workbench.reminders); the rules are the administrator's.
_REMINDERS = ["workbench.view_reminder", "workbench.change_reminder"]
_REMINDER_RULES = [
    "workbench.view_reminderrule",
    "workbench.add_reminderrule",
    "workbench.change_reminderrule",
    "workbench.delete_reminderrule",
]
# Announcements (workbench.announcements.services): readers need no permission (the audience
# decides); publishers write and publish to their scope, checkers approve bank-wide ones.
_ANNOUNCE_PUBLISH = ["workbench.view_announcement", "workbench.publish_announcement"]
_ANNOUNCE_APPROVE = ["workbench.approve_announcement"]

# "app_label.*" grants every permission of that app.
ROLE_PERMISSIONS = {
    "teller": ["sysadmin.view_branch", "customers.view_customer"],
    "customer_manager": [
        "sysadmin.scope_own",
        *_ORG_READ,
        "sysadmin.view_staff",
        *_CUSTOMER_READ,
        *_CUSTOMER_EDIT,
        "customers.unmask_pii",
        "customers.export_customers",
        *_CUSTOMER_SHARE,
        "customers.claim_customer",
        "customers.view_assignmentchange",  # claims (customers.ownership.assignment.services)
        *_DESK,
        *_REMINDERS,
    ],
    "branch_supervisor": [
        "sysadmin.scope_subtree",
        *_ORG_READ,
        "sysadmin.view_staff",
        "sysadmin.change_staff",
        "sysadmin.unlock_staff",
        "sysadmin.view_jobs",
        *_CUSTOMER_READ,
        *_CUSTOMER_EDIT,
        "customers.unmask_pii",
        "customers.export_customers",
        "ocrm.approve_clear_export",  # checker of exports in clear (no role may ask for one: NOT_BY_DEFAULT)
        "customers.approve_change",
        "customers.maintain_batch",
        *_CUSTOMER_SHARE,
        "customers.approve_share",
        # Checker of claims, reassignments, hand-overs and transfers; maker of the last three
        # (customers.ownership.assignment.services).
        "customers.approve_assignment",
        "customers.reassign_customer",
        "customers.transfer_customer",
        "customers.view_assignmentchange",
        # The ECIF review queue and merge history of the subtree (customers.ecif.matching.views); unmerge is the admin's.
        "customers.review_match",
        "customers.view_matchcandidate",
        "customers.view_mergerecord",
        *_DESK,
        "workbench.reassign_task",  # bulk complete and reassign within the subtree (workbench.todo.services)
        *_REMINDERS,
        *_ANNOUNCE_PUBLISH,
    ],
    "product_manager": [
        "sysadmin.scope_bank",
        *_ORG_READ,
        "customers.view_customer",
        "customers.view_product",
        "customers.add_product",
        "customers.change_product",
    ],
    "marketing_manager": [
        "sysadmin.scope_bank",
        *_ORG_READ,
        "sysadmin.view_staff",
        *_CUSTOMER_READ,
        "customers.export_customers",
        "customers.add_customergroup",
        "customers.change_customergroup",
        "customers.add_tag",
        "customers.add_customertag",
        *_ANNOUNCE_PUBLISH,
        *_ANNOUNCE_APPROVE,
    ],
    "crossborder_officer": ["sysadmin.scope_bank", *_ORG_READ, "sysadmin.view_staff", "customers.view_customer"],
    "auditor": [
        "sysadmin.scope_bank",
        *_ORG_READ,
        "sysadmin.view_staff",
        "sysadmin.view_audit",
        "sysadmin.view_systemparameter",
        "ocrm.view_auditlog",
        "ocrm.view_jobrun",
        "sysadmin.view_jobs",
        *_CUSTOMER_READ,
        "customers.unmask_pii",
        "ocrm.view_changerequest",
        "customers.view_customershare",
        "customers.view_matchcandidate",
        "customers.view_mergerecord",
        "customers.view_matchrule",
        "workbench.view_announcement",
        "workbench.audit_conversations",  # staff messages: search every conversation, export one (workbench.messaging)
    ],
    "system_admin": [
        "sysadmin.*",
        "ocrm.*",
        "auth.view_group",
        "auth.view_permission",
        "guardian.*",
        "customers.*",
        *_REMINDERS,
        *_REMINDER_RULES,
        *_ANNOUNCE_PUBLISH,
        *_ANNOUNCE_APPROVE,
    ],
}

# The rate board (customers.fx): every bank role reads the bank's posted rates; the product
# managers post them (maker) and approve each other's postings (checker; never their own).
for _role_permissions in ROLE_PERMISSIONS.values():
    _role_permissions.append("customers.view_fxrate")
ROLE_PERMISSIONS["product_manager"] += ["customers.post_fxrate", "customers.approve_fxrate"]
# The product catalog (marketing.products): product managers write versions and check each other's.
ROLE_PERMISSIONS["product_manager"] += [
    "marketing.view_productversion",
    "marketing.maintain_product",
    "marketing.approve_product",
]

# Never granted by a role, not even through "app.*": a bank gives it to named people (docs/pii.md).
NOT_BY_DEFAULT = {"ocrm.export_clear_pii"}

# Apps whose permissions no bank role holds: the beat's schedules are global (every bank's jobs),
# so only the platform operator edits them (a bank's administrator once disabled another bank's jobs).
REVOKED_FROM_BANK_ROLES = ("django_celery_beat",)

# ocrm.* would hand a bank's administrator the platform operator's permission: bank roles never hold it.
PLATFORM_ONLY_PERMISSIONS = {"ocrm.operate_platform"}

# Not a bank role: the people who run the platform itself (the global beat schedules in Django
# admin, every bank's job runs and the tracebacks of failed runs). It is outside ROLE_LABELS, so
# no staff page, import or admin form of a bank can grant it; `manage.py platform_operator`
# (run on the server) does. Its members belong to no bank, so no bank's pages show them.
PLATFORM_ROLES = {
    "platform_operator": [
        "ocrm.operate_platform",
        "ocrm.view_jobrun",
        "ocrm.view_jobschedule",
        "sysadmin.view_jobs",
        "django_celery_beat.*",
    ],
}

# Roles whose members may open Django admin (Staff.is_staff).
ADMIN_ROLES = {"system_admin", "platform_operator"}


def sync_roles(apps=None, using="default"):
    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(specs):
        """ "app.codename" and "app.*" specs as one queryset."""
        perms = Permission.objects.using(using).none()
        for spec in specs:
            app_label, codename = spec.split(".", 1)
            match = {"content_type__app_label": app_label} | ({} if codename == "*" else {"codename": codename})
            perms |= Permission.objects.using(using).filter(**match)
        return perms

    never_by_role = permissions(NOT_BY_DEFAULT)
    not_for_banks = permissions([*(f"{app}.*" for app in REVOKED_FROM_BANK_ROLES), *PLATFORM_ONLY_PERMISSIONS])
    for role, wanted in {**ROLE_PERMISSIONS, **PLATFORM_ROLES}.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        perms = permissions(wanted).exclude(pk__in=never_by_role)
        if role in ROLE_PERMISSIONS:
            perms = perms.exclude(pk__in=not_for_banks)
            # What a bank role held before and must no longer hold (add() below never takes away).
            group.permissions.remove(*not_for_banks)
        group.permissions.add(*perms)


# Work reports (workbench.workreports): managers write their own; supervisors write theirs and read
# and comment on their subtree's (上级反馈); auditors read.
_WORK_REPORTS = ["workbench.view_workreport", "workbench.add_workreport", "workbench.change_workreport"]
ROLE_PERMISSIONS["customer_manager"] += _WORK_REPORTS
ROLE_PERMISSIONS["branch_supervisor"] += [*_WORK_REPORTS, "workbench.comment_workreport"]
ROLE_PERMISSIONS["auditor"] += ["workbench.view_workreport"]

# Campaigns (marketing.campaigns): marketing managers design, approve (another than the maker) and
# evaluate; customer managers and supervisors record their own customers' responses.
_CAMPAIGN_RESPOND = ["marketing.respond_campaign"]
ROLE_PERMISSIONS["marketing_manager"] += [
    "marketing.view_campaign",
    "marketing.add_campaign",
    "marketing.change_campaign",
    "marketing.approve_campaign",
    *_CAMPAIGN_RESPOND,
]
ROLE_PERMISSIONS["customer_manager"] += _CAMPAIGN_RESPOND
ROLE_PERMISSIONS["branch_supervisor"] += _CAMPAIGN_RESPOND

# Profit sharing (crossborder.profitsharing): cross-border officers keep the rules and prepare and
# approve (another than the maker) the statements of their bank's side; auditors read.
_PROFIT_READ = ["crossborder.view_profitsharerule", "crossborder.view_profitstatement", "crossborder.view_revenueevent"]
ROLE_PERMISSIONS["crossborder_officer"] += [
    *_PROFIT_READ,
    "crossborder.add_profitsharerule",
    "crossborder.change_profitsharerule",
    "crossborder.approve_profitsharerule",
    "crossborder.approve_profitstatement",
]
ROLE_PERMISSIONS["system_admin"] += ["crossborder.approve_profitstatement", *_PROFIT_READ]
ROLE_PERMISSIONS["branch_supervisor"] += ["crossborder.view_profitstatement"]
ROLE_PERMISSIONS["auditor"] += _PROFIT_READ
# Cross-border services (crossborder): officers handle their branch's received requests; the bank's
# system administrators accept, suspend and resume agreements with other banks.
ROLE_PERMISSIONS["crossborder_officer"] += ["crossborder.handle_crossborder_request"]
ROLE_PERMISSIONS["system_admin"] += ["crossborder.manage_crossborder_agreement"]
# The channel API (workbench.channelapi): the bank's system administrators register, rotate and
# revoke channel clients and replay dead webhook deliveries.
ROLE_PERMISSIONS["system_admin"] += ["workbench.manage_channelclients"]
# Configuration in Django admin that belongs to the bank's administrators (each admin is scoped to
# their bank): service request types, the channel field classification, the pipeline's stages;
# the requests, opportunities and campaigns behind them read-only.
ROLE_PERMISSIONS["system_admin"] += [
    "workbench.view_servicerequesttype",
    "workbench.add_servicerequesttype",
    "workbench.change_servicerequesttype",
    "workbench.view_servicerequest",
    "workbench.view_channelfieldpolicy",
    "workbench.change_channelfieldpolicy",
    "marketing.view_pipelinestage",
    "marketing.add_pipelinestage",
    "marketing.change_pipelinestage",
    "marketing.view_opportunity",
    "marketing.view_campaign",
]
# The ACRM analyses (reports.analyses): contribution/Pareto, segments, churn warning over the
# snapshots, within each one's scope (a manager their own book, a supervisor the subtree);
# the potential-risk analysis of loans is for the credit side (supervisors, auditors).
ROLE_PERMISSIONS["customer_manager"] += ["reports.view_analyses"]
ROLE_PERMISSIONS["branch_supervisor"] += ["reports.view_analyses", "reports.view_credit_risk"]
ROLE_PERMISSIONS["marketing_manager"] += ["reports.view_analyses"]
ROLE_PERMISSIONS["auditor"] += ["reports.view_analyses", "reports.view_credit_risk"]
# Performance appraisal (reports.appraisal): the bank's administrators keep the KPI schemes and
# approve each other's (never their own); managers read their own scorecard; supervisors read their
# subtree's scores and propose and approve adjustments (another than the maker); auditors read.
_KPI_READ = ["reports.view_kpischeme", "reports.view_score", "reports.view_team_scores", "reports.view_scoreadjustment"]
ROLE_PERMISSIONS["system_admin"] += [
    *_KPI_READ,
    "reports.add_kpischeme",
    "reports.change_kpischeme",
    "reports.approve_kpischeme",
    "reports.view_managertarget",
    "reports.add_managertarget",
]
ROLE_PERMISSIONS["customer_manager"] += ["reports.view_score"]
ROLE_PERMISSIONS["branch_supervisor"] += [
    "reports.view_score",
    "reports.view_team_scores",
    "reports.view_scoreadjustment",
    "reports.adjust_score",
    "reports.approve_scoreadjustment",
]
ROLE_PERMISSIONS["auditor"] += [*_KPI_READ, "reports.view_managertarget"]

# The report pages (reports.catalogue), each role within its own data scope: a manager's own book,
# a supervisor's subtree, the bank for head-office roles; subscriptions deliver into "my exports".
_REPORT_PAGES = ["reports.view_reports", "reports.subscribe_reports"]
ROLE_PERMISSIONS["customer_manager"] += _REPORT_PAGES
ROLE_PERMISSIONS["branch_supervisor"] += _REPORT_PAGES
ROLE_PERMISSIONS["marketing_manager"] += _REPORT_PAGES
ROLE_PERMISSIONS["product_manager"] += _REPORT_PAGES
ROLE_PERMISSIONS["crossborder_officer"] += _REPORT_PAGES
ROLE_PERMISSIONS["auditor"] += ["reports.view_reports"]
ROLE_PERMISSIONS["system_admin"] += _REPORT_PAGES
# Service requests (workbench.servicerequests): managers and supervisors prepare, send, change and
# cancel requests for the customers in their scope.
ROLE_PERMISSIONS["customer_manager"] += ["workbench.add_servicerequest"]
ROLE_PERMISSIONS["branch_supervisor"] += ["workbench.add_servicerequest"]
# The knowledge base (marketing.knowledge): every bank role reads the articles meant for it;
# marketing managers write, publish and withdraw them.
for _role_permissions in ROLE_PERMISSIONS.values():
    _role_permissions.append("marketing.view_article")
ROLE_PERMISSIONS["marketing_manager"] += [
    "marketing.add_article",
    "marketing.change_article",
    "marketing.publish_article",
    "marketing.view_articlecategory",
    "marketing.add_articlecategory",
]
# The revenue feed upload page (crossborder.profitsharing.feed.upload): the bank's system
# administrators and cross-border officers (who keep the profit-sharing rules) load revenue files.
ROLE_PERMISSIONS["system_admin"] += ["crossborder.add_revenueevent"]
ROLE_PERMISSIONS["crossborder_officer"] += ["crossborder.add_revenueevent"]
# Service requests' back office (workbench.servicerequests): the roles that perform processing steps
# (tellers; branch supervisors review applications) open their queue and the step pages (which
# requests: the step's role held, the processing branch in the subtree). Product managers define the
# types; another product manager approves each change.
ROLE_PERMISSIONS["teller"] += ["workbench.process_servicerequest"]
ROLE_PERMISSIONS["branch_supervisor"] += ["workbench.process_servicerequest"]
ROLE_PERMISSIONS["product_manager"] += [
    "workbench.view_servicerequesttype",
    "workbench.add_servicerequesttype",
    "workbench.change_servicerequesttype",
    "workbench.approve_servicerequesttype",
]
