"""The permission sweep: EVERY URL pattern of the project (the whole urlconf, admin
included) is requested by an anonymous visitor, by a bank-A user of every role, by bank
B's administrator and by a superuser, with objects of bank A and of bank B filled into
its parameters.

Rules:
* nothing answers 500;
* anonymous visitors are sent to the log-in page (or get 404/405), except on the
  allow-list (log-in, health check, language switch, static files);
* admin/ is for is_staff users only; everyone else is sent to admin's log-in;
* nobody is served (2xx) an object of another bank, nor an object outside their data
  scope (Model.objects.visible_to) where the model has one;
* a GET writes no row to the database;
* a POST by someone who may not (anonymous, another bank, a user whose GET was refused,
  a user without the view's permission on a POST-only endpoint) is refused (403/404, or
  the log-in redirect) and writes no row.

"Writes no row" is read from PostgreSQL's counters of the test's own transaction
(pg_stat_xact_user_tables: rows inserted, updated, deleted per table), before and after
each route's GETs and its refused POSTs. They count every row a statement wrote, also one
that a savepoint rolled back afterwards: a request that writes and then refuses is reported
even when the tables end up unchanged (it must refuse before it writes). The audit log and
sessions are exempt (WRITE_CHECK_SKIP_PREFIXES).

One test per route (test_permission_sweep[site:customers:detail], [admin:admin:...]), so
a failure names its route and parallel workers share the routes; the data is built once
per module (and worker) and each route runs in a savepoint of it. tests/conftest.py adds
up what every route tried: at least one refused POST and one page read for leaks per route
of an area, on average.

The sweep is data-driven: ROUTE_PARAMS says how to fill each URL parameter of each
route (admin's model pages are filled from MODEL_OBJECTS by their ModelAdmin's model).
A new URL whose parameter the tables do not know FAILS test_every_url_parameter_is_known:
add it to ROUTE_PARAMS (and its model to MODEL_OBJECTS / build_sweep_data) when you add the URL.
"""

import dataclasses
import datetime
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.shortcuts import resolve_url
from django.templatetags.static import static
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.regex_helper import normalize
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from crossborder.profitsharing import models as profit_models
from crossborder.profitsharing.models import ProfitStatement
from crossborder.requests import models as xborder_models
from crossborder.requests.models import CrossBorderRequest, ServiceType
from customers import models as cm_models
from customers.consent.models import ContactPolicy
from customers.ecif.feeds.models import FeedError, FeedLoad
from customers.ecif.matching.models import MatchCandidate, MatchRule, MergeRecord
from customers.maintenance.models import MaintenanceBatch
from customers.master.models import CustomerDocument
from customers.master.services import ACTION_UPDATE
from customers.ownership.assignment.models import AssignmentChange, AttributionRule
from customers.ownership.sharing.models import CustomerShare
from marketing.campaigns.models import Campaign, CampaignMember
from marketing.knowledge.models import Article, ArticleAttachment, ArticleVersion  # the knowledge base (marketing.knowledge)
from marketing.pipeline import services as pipeline_services  # the opportunity pages (marketing.pipeline)
from marketing.planning.models import PlanIllustration
from marketing.products.models import Bundle, BundleRule, ProductVersion
from marketing.prospects import services as prospect_services  # the prospect pages (marketing.prospects)
from ocrm.admin import ScopedAdminMixin
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.celery import app
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification
from ocrm.outbox.models import DeniedAddress, MessageTemplate, OutboundMessage
from ocrm.outbox.models import Gateway as OutboxGateway
from sysadmin.accounts.models import PasswordHistory
from sysadmin.imports.models import ImportBatch
from sysadmin.org.admin import OrgScopedAdmin
from sysadmin.org.models import BankCode, Holiday, Staff
from sysadmin.parameters.models import SystemParameter
from tests.conftest import WorkerProcess
from tests.factories import build_org, make_customer, make_product, make_staff
from tests.reports.factories_appraisal import appraisal_rows  # the appraisal pages (reports.appraisal)
from tests.support import admin_forms
from tests.support.shared_data import shared_rows
from workbench.announcements.models import Announcement, AnnouncementAttachment, AnnouncementBranch, AnnouncementReceipt
from workbench.calendar.models import Appointment
from workbench.channelapi import credentials as channel_credentials
from workbench.channelapi.models import ChannelFieldPolicy
from workbench.inbox.services import may_use_inbox
from workbench.messaging.models import Conversation, Message, Participant
from workbench.reminders.models import Reminder, ReminderRule
from workbench.servicerequests import services as svcreq_services
from workbench.servicerequests.models import (
    ServiceRequestAttachment,  # the step pages' files
    ServiceRequestType,
)
from workbench.todo.models import Task
from workbench.workreports.models import WorkReport

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]


# --- the urlconf, flattened ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern text for an unnamed pattern
    text: str  # the pattern as written, e.g. "admin/sysadmin/branch/<path:object_id>/change/"
    fmt: str  # %-format of the path without the leading slash
    params: tuple
    converters: dict
    callback: object

    @property
    def is_admin(self):
        return self.key.startswith("admin:") or self.text.startswith("admin/")

    @property
    def model_admin(self):
        return getattr(self.callback, "model_admin", None)

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)


def iter_routes(patterns=None, regex="", text="", namespaces=(), converters=None):
    """Every leaf pattern of the urlconf, with the prefixes of the includes above it."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        piece = entry.pattern.regex.pattern.removeprefix("^")
        here_text = text + str(entry.pattern)
        here_converters = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from iter_routes(entry.url_patterns, regex + piece, here_text, inner, here_converters)
            continue
        (fmt, params), *_ = normalize(regex + piece)
        key = ":".join((*namespaces, entry.name)) if entry.name else here_text
        yield Route(key, here_text, fmt, tuple(params), here_converters, entry.callback)


# --- what fills the URL parameters ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fill:
    """How to fill one URL parameter: `make(data, side)` -> a model instance or a value.
    side is "a" or "b"; a shared fill (per_bank=False) gives the same value for both."""

    make: object
    per_bank: bool = True
    url_attr: str = "pk"  # what of a model instance goes into the URL (e.g. a customer's number)


def bank_object(attr):
    return Fill(lambda data, side: getattr(getattr(data, side), attr))


def by_number(attr):
    """A bank's object addressed in URLs by its number (customers: "<str:number>/...")."""
    return Fill(lambda data, side: getattr(getattr(data, side), attr), url_attr="number")


def by_reference(attr):
    """A bank's object addressed in URLs by its reference (service requests)."""
    return Fill(lambda data, side: getattr(getattr(data, side), attr), url_attr="reference")


def shared(value_or_attr, attr=True):
    if attr:
        return Fill(lambda data, side: getattr(data.shared, value_or_attr), per_bank=False)
    return Fill(lambda data, side: value_or_attr, per_bank=False)


# One object of each bank (or one shared object) for every model that URLs point at.
MODEL_OBJECTS = {
    "sysadmin.bank": bank_object("bank"),
    "sysadmin.branch": bank_object("branch"),
    "sysadmin.staff": bank_object("staff"),
    "sysadmin.holiday": bank_object("holiday"),
    "sysadmin.bankcode": bank_object("bank_code"),
    "sysadmin.systemparameter": bank_object("parameter"),
    "sysadmin.passwordhistory": bank_object("password_history"),
    "sysadmin.importbatch": bank_object("import_batch"),
    "ocrm.auditlog": bank_object("audit_entry"),
    "ocrm.jobrun": bank_object("job_run"),
    "ocrm.notification": bank_object("notification"),
    "ocrm.changerequest": bank_object("change_request"),
    "ocrm.exportfile": bank_object("export_file"),
    **{f"ocrm.{name}": bank_object(name) for name in ("gateway", "messagetemplate", "outboundmessage", "deniedaddress")},
    "customers.contactpolicy": bank_object("contactpolicy"),
    "customers.customerdocument": bank_object("customer_document"),
    "customers.maintenancebatch": bank_object("maintenance_batch"),
    "customers.feedload": bank_object("feed_load"),
    "customers.feederror": bank_object("feed_error"),
    **{f"customers.{name}": bank_object(name) for name in ("matchrule", "matchcandidate", "mergerecord")},
    "customers.customershare": bank_object("customer_share"),
    "workbench.workreport": bank_object("work_report"),
    **{f"customers.{name}": bank_object(name) for name in ("attributionrule", "assignmentchange")},
    **{
        f"customers.{name}": bank_object(name)
        for name in (  # customers/admin.py's model pages
            "customer",
            "product",
            "fxrate",
            "holding",
            "transaction",
            "servicecontact",
            "customernote",
            "tag",
            "customergroup",
            "household",
            "relationship",
            "lifecyclechange",
            "ratingchange",
        )
    },
    "workbench.task": bank_object("task"),
    "marketing.planillustration": bank_object("plan_illustration"),
    "workbench.appointment": bank_object("appointment"),
    "workbench.reminder": bank_object("reminder"),
    "workbench.reminderrule": bank_object("reminder_rule"),
    **{f"workbench.{name}": bank_object(name) for name in ("announcement", "announcementattachment", "announcementreceipt")},
    "workbench.conversation": bank_object("conversation"),
    "marketing.campaign": bank_object("campaign"),
    "marketing.campaignmember": bank_object("campaign_member"),
    "marketing.productversion": bank_object("product_version"),
    "marketing.bundle": bank_object("bundle"),
    "workbench.message": bank_object("message"),
    "marketing.opportunity": bank_object("opportunity"),
    "marketing.pipelinestage": bank_object("pipeline_stage"),
    "marketing.prospect": bank_object("prospect"),
    "marketing.article": bank_object("article"),
    "marketing.articleattachment": bank_object("article_attachment"),
    "crossborder.crossborderrequest": bank_object("xborder_request"),
    "crossborder.profitstatement": bank_object("profit_statement"),
    "reports.kpischeme": bank_object("kpi_scheme"),  # appraisal (reports.appraisal)
    "reports.score": bank_object("kpi_score"),
    "crossborder.profitsharerule": bank_object("profit_rule"),
    "crossborder.requestattachment": bank_object("xborder_attachment"),
    "crossborder.revenuefeedupload": bank_object("xb_feed_upload"),
    **{f"workbench.{name}": bank_object(name) for name in ("channelclient", "channelfieldpolicy")},  # channel API
    "workbench.servicerequesttype": bank_object("service_request_type"),
    "workbench.servicerequest": bank_object("service_request"),
    "workbench.servicerequestattachment": bank_object("service_request_attachment"),  # the step pages' files
    "auth.group": shared("group"),
    "django_celery_beat.periodictask": shared("periodic_task"),
    "django_celery_beat.crontabschedule": shared("crontab"),
    "django_celery_beat.intervalschedule": shared("interval"),
    "django_celery_beat.solarschedule": shared("solar"),
    "django_celery_beat.clockedschedule": shared("clocked"),
}


def model(label):
    return MODEL_OBJECTS[label]


# route key -> {parameter: Fill}. Admin's standard model pages need no entry (see fills_for).
ROUTE_PARAMS = {
    **{
        f"reports:{name}": {"pk": model("reports.kpischeme")}
        for name in ("kpi_scheme", "kpi_scheme_edit", "kpi_scheme_submit", "kpi_scheme_version", "kpi_target_add")
    },
    **{f"reports:{name}": {"pk": model("reports.score")} for name in ("kpi_score", "kpi_score_adjust")},
    "reports:kpi_line_source": {"pk": model("reports.score"), "line": bank_object("kpi_score_line")},
    **{
        f"crossborder:{name}": {"pk": model("crossborder.profitstatement")}
        for name in ("profit_statement", "profit_statement_approve")
    },
    **{
        f"crossborder:{name}": {"pk": model("crossborder.profitsharerule")}
        for name in ("profit_rule", "profit_rule_edit", "profit_rule_submit")
    },
    "crossborder:revenue_feed_upload_detail": {"pk": model("crossborder.revenuefeedupload")},
    "notification_read": {"pk": model("ocrm.notification")},
    **{f"workbench:channel_client_{name}": {"pk": model("workbench.channelclient")} for name in ("rotate", "revoke")},
    "sysadmin:branch_detail": {"pk": model("sysadmin.branch")},
    "sysadmin:branch_edit": {"pk": model("sysadmin.branch")},
    "sysadmin:staff_detail": {"pk": model("sysadmin.staff")},
    "sysadmin:staff_edit": {"pk": model("sysadmin.staff")},
    "sysadmin:staff_unlock": {"pk": model("sysadmin.staff")},
    "sysadmin:import_template": {"kind": shared("branches", attr=False)},
    "sysadmin:import_detail": {"pk": model("sysadmin.importbatch")},
    "sysadmin:import_errors_xlsx": {"pk": model("sysadmin.importbatch")},
    "sysadmin:import_apply": {"pk": model("sysadmin.importbatch")},
    "jobs:detail": {"pk": model("ocrm.jobrun")},
    "jobs:progress": {"pk": model("ocrm.jobrun")},
    "sysadmin:audit_detail": {"pk": model("ocrm.auditlog")},
    "api:channel-customer-summary": {"number": by_number("customer")},  # signed channel calls only
    "customers:edit": {"number": by_number("customer")},
    "marketing:plan": {"number": by_number("customer")},
    "marketing:plan_illustrations": {"number": by_number("customer")},
    "marketing:pipeline_customer": {"number": by_number("customer")},
    "marketing:plan_illustration": {"number": by_number("customer"), "pk": model("marketing.planillustration")},
    "marketing:plan_print": {"number": by_number("customer"), "pk": model("marketing.planillustration")},
    "customers:contacts": {"number": by_number("customer")},
    "customers:detail": {"number": by_number("customer")},
    "marketing:products_eligible": {"number": by_number("customer")},
    "customers:transactions": {"number": by_number("customer")},
    "customers:reveal": {"number": by_number("customer")},
    "customers:document": {"number": by_number("customer"), "pk": model("customers.customerdocument")},
    **{
        f"customers:{name}": {"number": by_number("customer")}
        for name in ("note_add", "contact_log", "document_upload", "relationship_add", "tag_add")
    },
    "customers:relationship_remove": {"number": by_number("customer"), "pk": model("customers.relationship")},
    "customers:tag_remove": {"number": by_number("customer"), "pk": model("customers.tag")},
    "customers:match_review": {"pk": model("customers.matchcandidate")},
    **{f"customers:{name}": {"pk": model("customers.mergerecord")} for name in ("merge_detail", "unmerge")},
    "customers:change_request_approve": {"pk": model("ocrm.changerequest")},
    **{
        f"customers:{name}": {"pk": model("customers.maintenancebatch")}
        for name in ("batch_detail", "batch_apply", "batch_errors")
    },
    "customers:change_request_reject": {"pk": model("ocrm.changerequest")},
    **{
        f"customers:{name}": {"pk": model("customers.feedload")}
        for name in ("feed_detail", "feed_progress", "feed_errors_xlsx", "feed_errors_csv")
    },
    "customers:share": {"number": by_number("customer")},
    "customers:consent": {"number": by_number("customer")},
    "customers:consent_section": {"number": by_number("customer")},
    "customers:section": {"number": by_number("customer"), "key": shared("notes", attr=False)},
    **{f"outbox:{name}": {"pk": model("ocrm.outboundmessage")} for name in ("message_detail", "message_resend")},
    **{f"outbox:{name}": {"pk": model("ocrm.messagetemplate")} for name in ("template_edit", "template_preview")},
    **{f"outbox:{name}": {"gateway_id": model("ocrm.gateway")} for name in ("callback_report", "callback_inbound")},
    "customers:share_revoke": {"pk": model("customers.customershare")},
    **{f"customers:{name}": {"number": by_number("customer")} for name in ("claim", "transfer")},
    **{
        f"customers:{name}": {"pk": model("ocrm.changerequest")}
        for name in ("assignment_withdraw", "assignment_approve", "assignment_reject")
    },
    "workbench:request_detail": {"pk": model("ocrm.changerequest")},
    "workbench:dashboard_card": {"card": shared("book", attr=False)},
    **{
        f"workbench:{name}": {"pk": model("workbench.workreport")}
        for name in ("workreport_detail", "workreport_edit", "workreport_comment")
    },
    "workbench:reject": {"pk": model("ocrm.changerequest")},
    "workbench:withdraw": {"pk": model("ocrm.changerequest")},
    **{f"workbench:{name}": {"pk": model("workbench.task")} for name in ("task", "task_complete")},
    **{
        f"workbench:{name}": {"pk": model("workbench.appointment")}
        for name in ("appointment", "appointment_move", "appointment_cancel")
    },
    "workbench:staff_calendar": {"staff_id": model("sysadmin.staff")},
    "workbench:customer_tasks": {"number": by_number("customer")},
    "crossborder:request": {"pk": model("crossborder.crossborderrequest")},
    "crossborder:request_attachment_add": {"pk": model("crossborder.crossborderrequest")},
    "crossborder:request_attachment": {
        "pk": model("crossborder.crossborderrequest"),
        "attachment_id": model("crossborder.requestattachment"),
    },
    "crossborder:request_action": {"pk": model("crossborder.crossborderrequest"), "action": shared("accept", attr=False)},
    "crossborder:agreement_action": {"action": shared("suspend", attr=False)},
    "workbench:calendar_feed": {"token": shared("not-a-feed-token", attr=False)},  # a wrong token: 404 for everyone
    **{
        f"workbench:{name}": {"pk": model("workbench.reminder")}
        for name in ("reminder", "reminder_snooze", "reminder_dismiss", "reminder_task")
    },
    **{
        f"workbench:messaging_{name}": {"pk": model("workbench.conversation")}
        for name in (
            "conversation",
            "earlier",
            "since",
            "read",
            "send",
            "hide",
            "link_customer",
            "audit_conversation",
            "audit_export",
        )
    },
    "workbench:messaging_attachment": {"pk": model("workbench.message")},
    "marketing:opportunity_move": {"pk": model("marketing.opportunity")},
    **{f"marketing:prospect_{name}": {"pk": model("marketing.prospect")} for name in ("detail", "link", "convert", "drop")},
    **{f"marketing:article{n}": {"pk": model("marketing.article")} for n in ("", "_edit", "_publish", "_withdraw", "_helpful")},
    "marketing:article_restore": {"pk": model("marketing.article"), "number": shared(1, attr=False)},
    "marketing:article_attachment_add": {"pk": model("marketing.article")},
    **{
        f"marketing:{name}": {"pk": model("marketing.article"), "attachment_id": model("marketing.articleattachment")}
        for name in ("article_attachment", "article_attachment_remove")
    },
    "marketing:campaign_task_response": {"pk": bank_object("campaign_task")},
    "workbench:messaging_audit_attachment": {"pk": model("workbench.message")},
    "export_progress": {"pk": model("ocrm.exportfile")},
    **{
        f"marketing:{name}": {"pk": model("marketing.campaign")}
        for name in (
            "campaign",
            "campaign_dry_run",
            "campaign_submit",
            "campaign_upload",
            "campaign_excluded",
            "campaign_evaluation",
        )
    },
    "marketing:campaign_respond": {"pk": model("marketing.campaignmember")},
    "marketing:catalog_product": {"pk": model("customers.product")},
    "marketing:catalog_version_submit": {"pk": model("marketing.productversion")},
    "marketing:catalog_bundle": {"pk": model("marketing.bundle")},
    "export_download": {"pk": model("ocrm.exportfile")},
    "export_cancel": {"pk": model("ocrm.exportfile")},
    **{
        f"workbench:{name}": {"pk": model("workbench.announcement")}
        for name in (
            "announcement_detail",
            "announcement_acknowledge",
            "announcement_manage",
            "announcement_attach",
            "announcement_publish",
            "announcement_withdraw",
            "announcement_reach",
        )
    },
    "workbench:announcement_attachment": {"pk": model("workbench.announcementattachment")},
    "workbench:announcement_attachment_remove": {"pk": model("workbench.announcementattachment")},
    "customers:fx_detail": {"pk": model("customers.fxrate")},  # the rate board's postings (customers.fx)
    # Django admin beyond the standard model pages.
    "admin:app_list": {"app_label": shared("sysadmin", attr=False)},
    # "View on site" of a customer (whose page's address names its number): scoped like admin's pages.
    "admin:view_on_site": {"content_type_id": shared("customer_type"), "object_id": model("customers.customer")},
    "admin:auth_user_password_change": {"id": model("sysadmin.staff")},  # UserAdmin's fixed name, used for Staff
    "admin:sysadmin_branch_permissions": {"object_pk": model("sysadmin.branch")},
    "admin:sysadmin_branch_permissions_manage_user": {"object_pk": model("sysadmin.branch"), "user_id": model("sysadmin.staff")},
    "admin:sysadmin_branch_permissions_manage_group": {"object_pk": model("sysadmin.branch"), "group_id": model("auth.group")},
    "admin/(?P<url>.*)$": {"url": shared("no-such-page/", attr=False)},  # admin's catch-all
    # The channel API's service requests (workbench.servicerequests.api): a signed channel client only.
    **{
        f"api:{name}": {"number": by_number("customer"), "reference": by_reference("service_request")}
        for name in ("service-request", "service-request-confirm", "service-request-decline")
    },
    "api:service-requests-pending": {"number": by_number("customer")},
    "workbench:service_request": {"pk": model("workbench.servicerequest")},
    "reports:analyses_churn_customer": {"number": by_number("customer")},  # one customer's churn score (reports.analyses)
    # Preparing a request from the customer, its change/send/cancel, the 360 section (workbench.servicerequests).
    "workbench:service_request_create": {"number": by_number("customer")},
    "workbench:customer_service_requests": {"number": by_number("customer")},
    **{f"workbench:service_request_{name}": {"pk": model("workbench.servicerequest")} for name in ("edit", "send", "cancel")},
    "api:channel-service-contact": {"number": by_number("customer")},  # a service contact from a channel
    "api:channel-transaction": {"number": by_number("customer")},  # a non-financial transaction from a channel
    "api:appointment-book": {"number": by_number("customer")},  # an appointment booked from a channel
    # A request's steps and saved progress for a channel (workbench.channelapi.progress).
    "api:channel-request-progress": {"number": by_number("customer"), "reference": by_reference("service_request")},
    # The back office of service requests: a role's queue, the step page and its buttons, the files; request types.
    "workbench:service_request_queue": {"role": shared("teller", attr=False)},
    **{
        f"workbench:service_request_step{name}": {"pk": model("workbench.servicerequest")}
        for name in ("", "_start", "_save", "_attach", "_complete", "_return", "_reject")
    },
    "workbench:service_request_attachment": {"pk": model("workbench.servicerequestattachment")},
    "workbench:service_request_type_edit": {"pk": model("workbench.servicerequesttype")},
}

# Admin's own model pages (change, delete, history, the bare-id redirect) take the object of
# the ModelAdmin's model.
ADMIN_OBJECT_PARAMS = {"object_id", "object_pk", "id"}

# Anonymous visitors may open these; they are still checked for errors.
ANONYMOUS_ALLOWED = {"login", "healthz", "set_language", "admin:login", "metrics"}  # metrics: token only (403)
# The channel API authenticates by signature, not session: anyone unsigned gets 401/403; schema and docs are public.
ANONYMOUS_ALLOWED |= {"api:channel-whoami", "api:channel-echo", "api:channel-customer-lookup", "api:schema", "api:docs"}
ANONYMOUS_ALLOWED |= {"api:channel-customer-summary"}  # signed channel calls (workbench.channelapi.summary)
# Service requests of the channel API (workbench.servicerequests.api): signed channel calls only, unsigned gets 401.
ANONYMOUS_ALLOWED |= {
    "api:service-requests-pending",
    "api:service-request",
    "api:service-request-confirm",
    "api:service-request-decline",
}
ANONYMOUS_ALLOWED |= {"api:channel-service-contact"}  # signed channel calls (workbench.channelapi.contacts)
ANONYMOUS_ALLOWED |= {"api:channel-transaction", "api:appointment-book"}  # signed channel calls (channelapi, servicerequests.api)
ANONYMOUS_ALLOWED |= {"api:channel-request-progress"}  # signed channel calls (workbench.channelapi.progress)
# admin's "view on site" answers 404 for models without get_absolute_url (none of ours has one).
SUPERUSER_MAY_GET_404 = {"admin:view_on_site"}
# An export is its owner's only (it may hold clear personal data): the superuser gets 404 too.
SUPERUSER_MAY_GET_404 |= {"export_progress", "export_download"}
# A work report is edited by its author only (workbench.workreports): anyone else, the superuser too, gets 404.
SUPERUSER_MAY_GET_404 |= {"workbench:workreport_edit"}
# Answers 503 (not an error of the page) when a dependency is down, e.g. no Celery worker here.
MAY_ANSWER_503 = {"healthz"}

# POST-only endpoints whose view names no permission_required: who may post. A tuple of
# permissions means "holds them all, and every object of the URL is in the user's scope".
ANY_USER = "any authenticated user"
POST_ACCESS = {
    "logout": ANY_USER,
    "set_language": ANY_USER,
    "notifications_read_all": ANY_USER,  # marks the user's own notifications only
    "list_default_filter": ANY_USER,  # the user's own default filter of a list they may open (ocrm.lists.defaults)
    "mfa_recovery_codes": ANY_USER,  # the user's own recovery codes, once verified (sysadmin.accounts.views)
    "notification_read": lambda user, objects: objects["pk"].recipient_id == user.pk,
    "sysadmin:import_apply": ("sysadmin.run_imports",),
    "customers:batch_apply": ("customers.maintain_batch",),
    "jobs:start": ("sysadmin.view_jobs", "ocrm.add_jobrun"),
    "export_cancel": lambda user, objects: objects["pk"].owner_id == user.pk,
    # A maker withdraws their own claim or assignment request (customers.ownership.assignment.views).
    "customers:assignment_withdraw": lambda user, objects: objects["pk"].maker_id == user.pk,
    # The approvals inbox: anyone who may decide something (workbench.inbox.services.may_use_inbox);
    # each request is then re-checked by ocrm.approvals.services (scope, checker permission, not one's own).
    "workbench:approve": lambda user, objects: _may_use_inbox(user),
    "workbench:reject": lambda user, objects: _may_use_inbox(user) and not outside_scope(user, objects),
    # "My requests": a maker withdraws their own request of any kind (ocrm.approvals.services.withdraw).
    "workbench:withdraw": lambda user, objects: objects["pk"].maker_id == user.pk,
    # Snooze or dismiss an item of one's own today list (workbench.dashboard): one's own row only.
    "workbench:dashboard_set_aside": ANY_USER,
    # "Read and understood": whoever the announcement is addressed to (workbench.announcements.services.acknowledge).
    "workbench:announcement_acknowledge": lambda user, objects: _reads(user, objects["pk"]),
    # Staff messaging: the participants of the conversation only (workbench.messaging.services).
    **{
        f"workbench:messaging_{name}": lambda user, objects: _takes_part(user, objects["pk"])
        for name in ("read", "hide", "link_customer")
    },
    # The gateways' callbacks: nobody without the gateway's signature (ocrm.outbox.callbacks); a log-in is no key.
    "outbox:callback_report": lambda user, objects: False,
    "outbox:callback_inbound": lambda user, objects: False,
    # The step buttons of service requests: those who take part in processing the request (a role of its
    # steps held, its processing branch in their subtree: workbench.servicerequests.services.participant_queryset).
    **{
        f"workbench:service_request_step_{name}": lambda user, objects: svcreq_services.performer_may_see(user, objects["pk"])
        for name in ("start", "save", "attach", "complete", "return", "reject")
    },
}


def _reads(user, announcement):
    return Announcement.objects.for_reader(user).filter(pk=announcement.pk).exists()


def _takes_part(user, conversation):
    return conversation.participants.filter(user=user).exists()


def _audits_conversations(user, obj):
    return user.has_perm("workbench.audit_conversations") and obj.bank_id == user.bank_id


def _may_use_inbox(user):

    return may_use_inbox(user)


# Pages that deliberately show a little more than Model.objects.visible_to (never across banks):
# route key -> callable(user, obj) that says which extra objects the user may see there.
SCOPE_WIDENED = {
    # Everyone opens their own calendar by its address too (workbench.calendar.views.owner_for).
    "workbench:staff_calendar": lambda user, obj: obj.pk == user.pk,
    # Every user sees the branch they work at (sysadmin.org.views.branches_for_pages).
    "sysadmin:branch_detail": lambda user, obj: obj.pk == user.branch_id,
    # A manager opens the claim page of an unassigned customer of their own branch (the branch
    # pool, customers.ownership.assignment.services.pool_for), which their own-customers scope does not show.
    # Readers see the announcements addressed to them (Announcement.objects.for_reader), besides
    # those they manage (visible_to: a preview); an attachment goes with its announcement.
    "workbench:announcement_detail": _reads,
    "workbench:announcement_acknowledge": _reads,
    "workbench:announcement_attachment": lambda user, obj: _reads(user, obj.announcement),
    "customers:claim": lambda user, obj: (
        obj.primary_manager_id is None and obj.bank_id == user.bank_id and obj.branch_id == user.branch_id
    ),
    # An auditor reads, exports and downloads from every conversation of the bank (workbench.messaging).
    "workbench:messaging_audit_conversation": lambda user, obj: _audits_conversations(user, obj),
    "workbench:messaging_audit_export": lambda user, obj: _audits_conversations(user, obj),
    "workbench:messaging_audit_attachment": lambda user, obj: _audits_conversations(user, obj),
    # The back office processes requests of customers it does not see (workbench.servicerequests.services).
    **{
        f"workbench:service_request_step{name}": lambda user, obj: svcreq_services.performer_may_see(user, obj)
        for name in ("", "_start", "_save", "_attach", "_complete", "_return", "_reject")
    },
}
# The same for admin's pages of a model (keyed by model label).
ADMIN_SCOPE_WIDENED = {
    # A bank's administrator reads the bank's notifications in admin (ocrm/notifications/admin.py);
    # the recipient's own inbox is Notification.objects.visible_to.
    "ocrm.notification": lambda user, obj: user.is_staff and obj.bank_id == user.bank_id,
}

# Tables a GET may legitimately write to: the audit trail (views of personal data are logged).
# And the first opening of an announcement (a read receipt: workbench.announcements.services.mark_opened).
WRITE_CHECK_SKIP_PREFIXES = ("ocrm_auditlog", "django_session", "workbench_announcementreceipt")


def fills_for(route):
    """{param: Fill} for the route, or raise KeyError naming the unknown parameter."""
    declared = ROUTE_PARAMS.get(route.key, {})
    fills = {}
    for param in route.params:
        if param in declared:
            fills[param] = declared[param]
        elif route.model_admin is not None and param in ADMIN_OBJECT_PARAMS:
            label = route.model_admin.model._meta.label_lower
            if label not in MODEL_OBJECTS:
                raise KeyError(f"{param} (admin of {label}: add the model to MODEL_OBJECTS)")
            fills[param] = MODEL_OBJECTS[label]
        else:
            raise KeyError(param)
    return fills


# --- the data -------------------------------------------------------------------------------------------


def matching_rows(bank, customer, other):
    """A match rule, a pending pair and a merge record of `customer`'s bank (customers.ecif.matching.services)."""
    first, second = sorted([customer, other], key=lambda c: c.pk)
    return {
        "matchrule": MatchRule.objects.create(
            bank=bank,
            name=f"Scored {bank.code}",
            kind="scored",
            applies_to="retail",
            fields={"name": 50, "birth_date": 50},
            upper_threshold=90,
            lower_threshold=70,
        ),
        "matchcandidate": MatchCandidate.objects.create(
            bank_id=bank.pk, customer_a=first, customer_b=second, score=80, comparison={"name": 0.8}
        ),
        "mergerecord": MergeRecord.objects.create(
            bank_id=bank.pk, survivor=customer, merged=other, merged_number=other.number, reason="sweep"
        ),
    }


def assignment_rows(bank, staff, customer):
    """The bank's attribution rule and one assignment-history row (customers.ownership.assignment.models)."""
    return {
        "attributionrule": AttributionRule.objects.create(bank=bank),
        "assignmentchange": AssignmentChange.objects.create(
            bank_id=bank.pk, customer=customer, kind="claim", to_manager=staff, to_branch=customer.branch
        ),
    }


def customer_admin_rows(bank, branch, staff, customer):
    """One row of each customers model that has an admin page, in `customer`'s bank."""

    product = make_product(bank, code=f"DD-{bank.code}")
    holding = cm_models.Holding.objects.create(
        bank_id=bank.pk, customer=customer, product=product, account_number=f"ACC-{bank.code}", currency="CNY", balance=100
    )
    other = make_customer(f"C-SWEEP2-{bank.code}", branch, staff, name_local="李娜", name_latin="Li Na")
    now = timezone.now()
    return {
        "product": product,
        "holding": holding,
        "fxrate": cm_models.FxRate.objects.create(bank=bank, currency="USD", rate="7.1", as_of=now.date()),
        "transaction": cm_models.Transaction.objects.create(
            bank_id=bank.pk,
            customer_id=customer.pk,
            holding=holding,
            occurred_at=now,
            amount=10,
            currency="CNY",
            direction="C",
            channel="counter",
            txn_type="deposit",
        ),
        "servicecontact": cm_models.ServiceContact.objects.create(
            bank_id=bank.pk, customer=customer, staff=staff, channel="phone", subject="Sweep call"
        ),
        "customernote": cm_models.CustomerNote.objects.create(bank_id=bank.pk, customer=customer, author=staff, text="Sweep"),
        "tag": cm_models.Tag.objects.create(bank=bank, name=f"VIP-{bank.code}"),
        "customergroup": cm_models.CustomerGroup.objects.create(bank=bank, name=f"Group {bank.code}", owner=staff),
        "household": cm_models.Household.objects.create(bank=bank, name=f"Household {bank.code}", primary_member=customer),
        "relationship": cm_models.Relationship.objects.create(
            bank_id=bank.pk, from_customer=customer, to_customer=other, kind="spouse"
        ),
        "lifecyclechange": cm_models.LifecycleChange.objects.create(bank_id=bank.pk, customer=customer, stage_to="active"),
        "ratingchange": cm_models.RatingChange.objects.create(bank_id=bank.pk, customer=customer, tier_to="mass", stars_to=1),
        **matching_rows(bank, customer, other),
        **assignment_rows(bank, staff, customer),
    }


def make_export_file(bank, owner):
    """A finished background export (ocrm.ExportFile) of `owner`, with its file."""
    export_file = ExportFile.objects.create(
        owner=owner,
        bank_id=bank.pk,
        title="Customers",
        url_name="customers:list",
        filename="customers",
        status=ExportFile.Status.DONE,
        row_count=1,
    )
    export_file.file.save("customers.xlsx", ContentFile(b"PK"))
    return export_file


def reminder_rows(bank, branch, staff, customer):
    """A reminder of the customer (workbench.reminders) and a rule an administrator added."""
    rule = ReminderRule.objects.create(bank=bank, name="Sweep rule", rule_kind="aum_drop", parameters={"percent": 20, "days": 30})
    reminder = Reminder.objects.create(
        bank=bank,
        kind="maturity",
        customer=customer,
        branch=branch,
        manager=staff,
        object_id=customer.pk,
        event_date=datetime.date(2026, 12, 14),
        lead=7,
        remind_on=datetime.date(2026, 12, 7),
        business_date=datetime.date(2026, 12, 7),
        deliver_at=datetime.datetime(2026, 12, 7, 1, tzinfo=datetime.UTC),
        status="delivered",
        details={"account": "****1234", "currency": "CNY", "amount": "1.00"},
    )
    return {"reminder": reminder, "reminder_rule": rule}


def announcement_rows(bank, branch, staff):
    """A published announcement to `branch`'s subtree, one attachment and one read receipt (workbench.announcements)."""
    announcement = Announcement.objects.create(
        bank=bank, branch=branch, title="Sweep notice", body="<p>Sweep</p>", created_by=staff, status="published"
    )
    AnnouncementBranch.objects.create(announcement=announcement, branch=branch)
    attachment = AnnouncementAttachment(
        bank=bank, announcement=announcement, original_name="n.pdf", content_type="application/pdf", size=5, uploaded_by=staff
    )
    attachment.file.save("n.pdf", ContentFile(b"%PDF-"))
    return {
        "announcement": announcement,
        "announcementattachment": attachment,
        "announcementreceipt": AnnouncementReceipt.objects.create(bank=bank, announcement=announcement, staff=staff),
    }


def crossborder_rows(bank, branch, staff, customer):
    """A cross-border request of the bank (within the bank; the sweep needs the row, not the routing)."""
    now = timezone.now()
    request = CrossBorderRequest.objects.create(
        bank=bank,
        from_branch=branch,
        to_bank=bank,
        to_branch=branch,
        service_type=ServiceType.objects.get(code="document_verification"),
        customer=customer,
        requested_by=staff,
        shared_parts=["profile"],
        submitted_at=now,
        sla_seconds=8 * 3600,
        due_at=now + datetime.timedelta(days=1),
    )
    return {"xborder_request": request}


def crossborder_attachment_rows(bank, staff):
    """A file on the bank's cross-border request (crossborder_rows made it)."""
    request = CrossBorderRequest.objects.filter(bank=bank).order_by("pk").first()
    attachment = xborder_models.RequestAttachment(
        request=request, side="requester", original_name="scan.pdf", content_type="application/pdf", size=5, uploaded_by=staff
    )
    attachment.file.save("scan.pdf", ContentFile(b"%PDF-"), save=False)
    attachment.save()
    return {"xborder_attachment": attachment}


def messaging_rows(bank, staff):
    """A one-to-one conversation of `staff` with a colleague, and a message with a file (workbench.messaging)."""
    colleague = Staff.objects.filter(bank=bank).exclude(pk=staff.pk).order_by("pk").first()
    conversation = Conversation.objects.create(bank=bank, created_by=staff, direct_key=f"{staff.pk}:{colleague.pk}")
    for person in (staff, colleague):
        Participant.objects.create(bank=bank, conversation=conversation, user=person)
    message = Message(bank=bank, conversation=conversation, sender=staff, body="Sweep message", attachment_name="scan.png")
    message.attachment_type, message.attachment_size = "image/png", 4
    message.attachment.save("scan.png", ContentFile(b"\x89PNG"), save=False)
    message.save()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_id=message.pk)
    return {"conversation": conversation, "message": message}


def outbox_rows(bank, customer):
    """The outbox's rows of one bank (ocrm.outbox) and the customer's contact policy (customers.consent)."""
    gateway = OutboxGateway.objects.create(bank=bank, name=f"sweep-{bank.code}", secret="sweep")
    template = MessageTemplate.objects.create(
        bank=bank, code="sweep", name="Sweep", texts={"zh-hans": {"body": "x"}, "en": {"body": "x"}}
    )
    message = OutboundMessage.objects.create(
        bank=bank, template=template, channel="sms", purpose="service", recipient_kind="customer",
        recipient_id=str(customer.pk), recipient_ref=customer.number, address="+8613800000000", body="x",
        state="failed", reason="sweep", dedupe_key="sweep", gateway=gateway,
    )  # fmt: skip
    return {
        "gateway": gateway,
        "messagetemplate": template,
        "outboundmessage": message,
        "deniedaddress": DeniedAddress.objects.create(bank=bank, address="+8613800000001"),
        "contactpolicy": ContactPolicy.objects.create(bank=bank, customer=customer),
    }


def campaign_rows(bank, branch, staff, customer):
    """A launched campaign of `branch` with `customer` as a target of `staff` (marketing.campaigns)."""
    campaign = Campaign.objects.create(
        bank=bank,
        name="Sweep campaign",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 31),
        branch=branch,
        seed="sweep",
        status=Campaign.Status.LAUNCHED,
        created_by=staff,
    )
    member = CampaignMember.objects.create(campaign=campaign, customer=customer, branch=branch, manager=staff, arm="target")
    return {"campaign": campaign, "campaign_member": member}


def pipeline_rows(bank, staff, customer):
    opportunity = pipeline_services.create_opportunity(
        customer=customer, owner=staff, title="Sweep deal", amount=100, currency="CNY", expected_close=datetime.date(2027, 1, 1)
    )
    return {"opportunity": opportunity, "pipeline_stage": opportunity.stage}


def catalog_rows(bank, staff):
    """A wealth product with a draft version, and a bundle with a rule (marketing.products)."""
    product = make_product(bank, code=f"WM-SWEEP-{bank.code}", product_type="wealth")
    version = ProductVersion.objects.create(bank_id=bank.pk, product=product, number=1, made_by=staff, rate="1.5")
    bundle = Bundle.objects.create(bank_id=bank.pk, code="SWEEP", name_local=f"Sweep bundle {bank.code}")
    BundleRule.objects.create(bundle=bundle, kind="min_age", value="18")
    return {"product_version": version, "bundle": bundle}


def prospect_rows(staff):
    values = {"name": "Sweep prospect", "email": f"sweep.{staff.username}@example.com", "source": "walk_in"}
    return {"prospect": prospect_services.capture(values, owner=staff, ignore_duplicates=True)}


def campaign_task_rows(bank, staff, customer):
    """The task the sweep campaign gave `staff` for `customer` (the task page's response panel)."""
    campaign = Campaign.objects.get(bank=bank, name="Sweep campaign")
    key = f"campaign:{campaign.pk}:customer:{customer.pk}"
    task = Task.objects.create(
        bank=bank, title="Sweep campaign task", assignee=staff, customer=customer, source="campaign", source_key=key
    )
    return {"campaign_task": task}


def article_rows(bank, staff):
    """A published knowledge article of the bank with its first version (marketing.knowledge)."""
    article = Article.objects.create(bank=bank, title=f"Sweep article {bank.code}", body="Sweep", status="published", owner=staff)
    ArticleVersion.objects.create(article=article, number=1, title=article.title, body=article.body, made_by=staff)
    attachment = ArticleAttachment(article=article, original_name="guide.pdf", content_type="application/pdf", size=5)
    attachment.sha256, attachment.uploaded_by = "0" * 64, staff
    attachment.file.save("guide.pdf", ContentFile(b"%PDF-"), save=False)
    attachment.save()
    return {"article": article, "article_attachment": attachment}


def channelapi_rows(bank):
    """A channel client and a field policy of one bank (workbench.channelapi)."""
    client, _secret = channel_credentials.register(bank, f"Sweep channel {bank.code}", "counter")
    return {
        "channelclient": client,
        "channelfieldpolicy": ChannelFieldPolicy.objects.create(bank=bank, kind="counter", fields=["number"]),
    }


def service_request_rows(bank, staff, customer):
    """A built-in request type and a request of `customer` sent to the channel (workbench.servicerequests)."""
    svcreq_services.seed_built_in_types(bank)
    request_type = ServiceRequestType.objects.get(bank=bank, code="product_application")
    request = svcreq_services.create_request(staff, customer, request_type, {"product": "Sweep fund", "amount": "100"})
    return {"service_request_type": request_type, "service_request": svcreq_services.send(staff, request)}


def service_request_attachment_rows(bank, staff, customer):
    """A file of a step of another request of `customer` (workbench.servicerequests: the step pages)."""
    request_type = ServiceRequestType.objects.get(bank=bank, code="product_application")
    request = svcreq_services.create_request(staff, customer, request_type, {"product": "Sweep loan"})
    attachment = ServiceRequestAttachment(
        request=request, step_index=0, content_type="image/png", size=8, sha256="0" * 64, uploaded_by=staff
    )
    attachment.file.save(f"sweep-{bank.code}.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    attachment.save()
    return {"service_request_attachment": attachment}


def build_sweep_data(org):
    """One object of each bank for every model the URLs point at, the users, and the markers."""

    def side(bank, branch, staff, country):
        customer = make_customer(f"C-SWEEP-{bank.code}", branch, staff)
        document = CustomerDocument(
            bank_id=bank.pk, customer=customer, doc_type="id_scan", original_name="scan.png", content_type="image/png", size=4
        )
        document.file.save("scan.png", ContentFile(b"\x89PNG"))
        feed_load = FeedLoad.objects.create(
            bank=bank,
            source_system="CORE",
            feed="customers",
            sha256="0" * 64,
            business_date=datetime.date(2026, 11, 20),
            original_name="c.csv",
            status="rejected",
            error="Sweep",
        )
        return SimpleNamespace(
            customer=customer,
            customer_document=document,
            plan_illustration=PlanIllustration.objects.create(
                bank=bank,
                customer=customer,
                version=1,
                created_by=staff,
                currency="CNY",
                risk_limit="R1",
                risk_note="Sweep",
                disclosure="Sweep",
            ),
            **customer_admin_rows(bank, branch, staff, customer),
            maintenance_batch=MaintenanceBatch.objects.create(bank=bank, uploaded_by=staff, original_name="c.xlsx"),
            feed_load=feed_load,
            feed_error=FeedError.objects.create(load=feed_load, row_number=2, field="name_local", reason="Sweep"),
            work_report=WorkReport.objects.create(
                bank=bank,
                author=staff,
                kind="daily",
                period_start=datetime.date(2026, 11, 20),
                period_end=datetime.date(2026, 11, 20),
            ),
            customer_share=CustomerShare.objects.create(
                bank=bank,
                customer=customer,
                shared_by=staff,
                shared_with=Staff.objects.filter(bank=bank).exclude(pk=staff.pk).order_by("pk").first(),
                expires_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
            ),
            change_request=ChangeRequest.objects.create(
                bank_id=bank.pk,
                branch_path=branch.path,
                action=ACTION_UPDATE,
                object_type="customers.customer",
                object_id=str(customer.pk),
                object_repr=str(customer),
                changes={"name_latin": ["Wang Wei", "W. Wei"]},
                maker=staff,
            ),
            bank=bank,
            branch=branch,
            staff=staff,
            export_file=make_export_file(bank, staff),
            holiday=Holiday.objects.create(bank=bank, country=country, date=datetime.date(2026, 10, 1), name="National Day"),
            bank_code=BankCode.objects.create(
                bank=bank, code=f"{bank.code}-X", name="Counterparty", bic="ABCDCNSH", country=country
            ),
            parameter=SystemParameter.objects.create(bank=bank, key="session.idle_minutes", value_type="int", value="45"),
            password_history=PasswordHistory.objects.create(staff=staff, password="pbkdf2_sha256$1$x$y"),
            import_batch=ImportBatch.objects.create(bank=bank, kind="branches", original_name="branches.xlsx"),
            audit_entry=AuditLog.objects.create(bank_id=bank.pk, action=AuditLog.Action.OTHER, object_repr="sweep"),
            job_run=JobRun.objects.create(job="sweep", bank_id=bank.pk, key=f"sweep:{bank.code}"),
            notification=Notification.objects.create(recipient=staff, bank_id=bank.pk, title="Sweep"),
            task=Task.objects.create(bank=bank, title="Sweep task", customer=customer, assignee=staff),
            appointment=Appointment.objects.create(
                bank=bank,
                title="Sweep appointment",
                customer=customer,
                owner=staff,
                start=datetime.datetime(2026, 12, 8, 2, tzinfo=datetime.UTC),
                end=datetime.datetime(2026, 12, 8, 3, tzinfo=datetime.UTC),
            ),
            **reminder_rows(bank, branch, staff, customer),
            **announcement_rows(bank, branch, staff),
            **messaging_rows(bank, staff),
            **crossborder_rows(bank, branch, staff, customer),
            **crossborder_attachment_rows(bank, staff),
            **outbox_rows(bank, customer),
            **campaign_rows(bank, branch, staff, customer),
            **campaign_task_rows(bank, staff, customer),
            **pipeline_rows(bank, staff, customer),
            **catalog_rows(bank, staff),
            **prospect_rows(staff),
            **article_rows(bank, staff),
            profit_statement=ProfitStatement.objects.create(
                bank=bank, counterpart=bank, period=datetime.date(2026, 10, 1), currency="CNY"
            ),
            profit_rule=profit_models.ProfitShareRule.objects.create(
                bank=bank, name="Sweep rule", revenue_type="fee", effective_from=datetime.date(2026, 1, 1)
            ),
            xb_feed_upload=profit_models.RevenueFeedUpload.objects.create(
                bank=bank, uploaded_by=staff, original_name="feed.csv", file="revenue-feed/sweep.csv", size=1, sha256="0" * 64
            ),
            **channelapi_rows(bank),
            **service_request_rows(bank, staff, customer),
            **service_request_attachment_rows(bank, staff, customer),
            **appraisal_rows(bank, branch, staff),
        )

    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    shared_objects = SimpleNamespace(
        group=Group.objects.get(name="teller"),
        customer_type=ContentType.objects.get_for_model(cm_models.Customer),
        interval=interval,
        crontab=CrontabSchedule.objects.create(minute="0", hour="3"),
        solar=SolarSchedule.objects.create(event="sunrise", latitude=31.23, longitude=121.47),
        clocked=ClockedSchedule.objects.create(clocked_time=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)),
        periodic_task=PeriodicTask.objects.create(name="sweep task", task="ocrm.sweep", interval=interval),
    )
    root = make_staff("root", bank=org.bank_a, branch=org.a_ho, is_superuser=True, is_staff=True)
    users = {
        "anonymous": None,
        **{f"a.{role}": user for role, user in org.role_users.items()},
        "b.system_admin": org.b_admin,
        "superuser": root,
    }
    # Text that only one bank's data holds: a page shown to the other bank's users must not contain it.
    markers = {org.bank_a.pk: ["甲银行", "a.mgr.bj", "A-BJ 支行"], org.bank_b.pk: ["乙银行", "b.mgr.hk", "B-HK 支行"]}
    return SimpleNamespace(
        org=org,
        shared=shared_objects,
        users=users,
        a=side(org.bank_a, org.a_sh, org.manager, "CN"),
        b=side(org.bank_b, org.b_hk, org.b_manager, "HK"),
        markers_not_for=lambda user: [m for bank_id, ms in markers.items() if bank_id != user.bank_id for m in ms],
    )


@pytest.fixture(scope="module")
def sweep_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once per module (and per parallel worker), read by every route's test: each test
    runs in a savepoint of this module's transaction (tests.support.shared_data)."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("sweep-media"))), shared_rows(django_db_blocker):
        data = build_sweep_data(build_org())
        data.clients = logged_in_clients(data.users)
        data.form_users = {"anonymous": None, **admin_form_users(data.org), "superuser": data.users["superuser"]}
        data.form_clients = logged_in_clients(data.form_users)
        yield data


@pytest.fixture(autouse=True)
def _clear_cache():
    """Replaces conftest's per-test clearing: the clients' sessions live in Redis for the whole
    module, which shared_rows clears before and after."""
    yield


def logged_in_clients(users):
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        if user is not None:
            clients[name].force_login(user)
    return clients


@dataclasses.dataclass
class Variant:
    route: Route
    url: str
    side: str | None  # "a"/"b" when the URL holds objects of that bank, None when nothing bank-bound
    objects: dict  # param -> instance or value

    def label(self):
        return f"{self.route.key} [{self.side or '-'}] {self.url}"


def variants_for(route, data):
    fills = fills_for(route)
    sides = ["a", "b"] if any(f.per_bank for f in fills.values()) else [None]
    variants = []
    for side in sides:
        objects = {p: fill.make(data, side or "a") for p, fill in fills.items()}
        raw = {p: (getattr(v, fills[p].url_attr) if isinstance(v, models.Model) else v) for p, v in objects.items()}
        kwargs = {p: (route.converters[p].to_url(v) if p in route.converters else str(v)) for p, v in raw.items()}
        url = "/" + route.fmt % kwargs
        match = resolve(urlsplit(url).path)
        assert match.func is route.callback, f"{route.key}: {url} resolves to {match.view_name or match.route}"
        variants.append(Variant(route, url, side, objects))
    return variants


# --- helpers for the rules -----------------------------------------------------------------------------------


def row_writes():
    """{table: (inserted, updated, deleted)}: the rows written so far in this transaction, from
    PostgreSQL's own per-transaction counters. They count every row a statement wrote, also
    one that a savepoint rolled back later, and cost one small query instead of reading every
    table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE schemaname = current_schema() AND n_tup_ins + n_tup_upd + n_tup_del > 0"
        )
        return {table: tuple(counts) for table, *counts in cursor.fetchall() if not table.startswith(WRITE_CHECK_SKIP_PREFIXES)}


def written_tables(before, after):
    """What was written between two row_writes() readings, e.g. "sysadmin_holiday (1 inserted)"."""
    written = []
    for table in sorted(after):
        delta = [now - then for now, then in zip(after[table], before.get(table, (0, 0, 0)), strict=True)]
        if any(delta):
            what = [f"{n} {verb}" for n, verb in zip(delta, ("inserted", "updated", "deleted"), strict=True) if n]
            written.append(f"{table} ({', '.join(what)})")
    return written


def request(client, method, url):
    """(status, location, text); an exception the view let escape counts as a 500. Each request
    runs in a savepoint so that a database error in one view cannot poison the rest of the sweep."""
    try:
        with transaction.atomic():
            response = client.get(url) if method == "GET" else client.post(url, {})
            text = ""
            if response.get("Content-Type", "").startswith(("text/", "application/json")):
                body = b"".join(response.streaming_content) if response.streaming else response.content
                text = body.decode(response.charset or "utf-8", errors="replace")
    except Exception as exc:  # the sweep reports every escaping exception as a 500
        return 500, f"{type(exc).__name__}: {exc}"[:200], ""
    return response.status_code, response.get("Location", ""), text


def login_paths(route):
    if route.is_admin:
        # admin sends a non-staff user to its log-in, or to its index, which does the same.
        return {reverse("admin:login"), reverse("admin:index")}
    return {resolve_url(settings.LOGIN_URL)}


def is_login_redirect(status, location, route):
    return status in (301, 302) and urlsplit(location).path in login_paths(route)


def bank_id_of(obj):
    if obj._meta.label_lower == "sysadmin.bank":
        return obj.pk
    return getattr(obj, "bank_id", None)


def outside_scope(user, objects, route=None):
    """Parameters whose object the user may not see: another bank's, or outside visible_to."""
    if user.is_superuser:
        return []
    hidden = []
    widened = None
    if route is not None:
        widened = SCOPE_WIDENED.get(route.key)
        if widened is None and route.model_admin is not None:
            widened = ADMIN_SCOPE_WIDENED.get(route.model_admin.model._meta.label_lower)
    for param, obj in objects.items():
        if not isinstance(obj, models.Model):
            continue
        if bank_id_of(obj) not in (None, user.bank_id):
            hidden.append(param)
            continue
        queryset = type(obj)._default_manager.all()
        if hasattr(queryset, "visible_to") and not queryset.visible_to(user).filter(pk=obj.pk).exists():
            if not (widened and widened(user, obj)):
                hidden.append(param)
    return hidden


def may_post(route, user, objects):
    """Whether the user may use a POST-only endpoint: from POST_ACCESS, else the view's
    permission_required plus the data scope of its objects. None = nobody declared it."""
    access = POST_ACCESS.get(route.key, getattr(route.view_class, "permission_required", None))
    if access is None:
        return None
    if access == ANY_USER:
        return True
    if callable(access):
        return access(user, objects)
    perms = (access,) if isinstance(access, str) else tuple(access)
    return user.has_perms(perms) and not outside_scope(user, objects, route)


def refused(client, status, location, route, post_only):
    """403/404 (405 where GET is the page's method), the log-in redirect, or a redirect to a
    page that itself refuses (admin's bare-id URL redirects to the change page, which 404s)."""
    if status in (403, 404) or (status == 405 and not post_only) or is_login_redirect(status, location, route):
        return True
    if status in (301, 302):
        follow_status, _location, _text = request(client, "GET", location)
        return not 200 <= follow_status < 300
    return False


# --- the sweep ---------------------------------------------------------------------------------------------------


def run_sweep(data, routes):
    """Request every route as every user; returns (violations, counts of what was tried)."""
    violations, counts = [], {"get": 0, "post": 0, "pages read": 0}

    def violation(rule, variant, who, status, location, note=""):
        violations.append(f"{rule}: {variant.label()} as {who} -> {status} {location} {note}".rstrip())

    for route in routes:
        variants = variants_for(route, data)
        before = row_writes()
        get_status = sweep_gets(route, variants, data, counts, violation)
        after_get = row_writes()
        if written := written_tables(before, after_get):
            violations.append(f"GET wrote to the database: {route.key} ({'; '.join(written)})")
        if not sweep_refused_posts(route, variants, data, get_status, counts, violation):
            violations.append(
                f"UNDECLARED POST-only endpoint {route.key}: add it to POST_ACCESS or give its view a permission_required"
            )
        if written := written_tables(after_get, row_writes()):
            violations.append(f"refused POST wrote to the database: {route.key} ({'; '.join(written)})")
    return violations, counts


def sweep_gets(route, variants, data, counts, violation):
    """GET every variant of the route as every user; returns {(url, who): status}."""
    get_status = {}
    for variant in variants:
        for who, user in data.users.items():
            client = data.clients[who]
            status, location, text = request(client, "GET", variant.url)
            counts["get"] += 1
            get_status[(variant.url, who)] = status
            check_get(route, variant, who, user, status, location, client, violation)
            if text and status == 200 and user is not None and not user.is_superuser:
                counts["pages read"] += 1
                for marker in data.markers_not_for(user):
                    if marker in text:
                        violation("page shows another bank's data", variant, who, status, location, repr(marker))
    return get_status


def sweep_refused_posts(route, variants, data, get_status, counts, violation):
    """POST as every user who must be refused, and check the refusal; False when the route is a
    POST-only endpoint that declares no access rule (nothing can be checked then)."""
    post_only = all(get_status[(v.url, "superuser")] == 405 for v in variants)
    for variant in variants:
        for who, user in data.users.items():
            expect = refused_post_expected(route, variant, who, user, get_status[(variant.url, who)], post_only)
            if expect is None:
                continue
            if expect == "undeclared":
                return False
            client = data.clients[who]
            status, location, _text = request(client, "POST", variant.url)
            counts["post"] += 1
            if status >= 500 or not refused(client, status, location, route, post_only):
                violation(f"POST not refused ({expect})", variant, who, status, location)
    return True


def check_get(route, variant, who, user, status, location, client, violation):
    allowed_anonymous = route.key in ANONYMOUS_ALLOWED
    if status >= 500 and not (route.key in MAY_ANSWER_503 and status == 503):
        violation("500", variant, who, status, location)
        return
    if user is None:
        if not allowed_anonymous and not (is_login_redirect(status, location, route) or status in (404, 405)):
            violation("anonymous not sent to log-in", variant, who, status, location)
        return
    if route.is_admin and not user.is_staff and not allowed_anonymous:
        if not is_login_redirect(status, location, route):
            violation("admin open to a non-staff user", variant, who, status, location)
        return
    if who == "superuser" and variant.side and status == 404 and route.key not in SUPERUSER_MAY_GET_404:
        # The superuser sees everything: a 404 means the sweep filled the URL with the wrong kind of object.
        violation("superuser gets 404: is the ROUTE_PARAMS entry right?", variant, who, status, location)
    hidden = outside_scope(user, variant.objects, route)
    if not hidden:
        return
    if 200 <= status < 300:
        violation("served outside the user's scope", variant, who, status, location, f"({', '.join(hidden)})")
    elif 300 <= status < 400 and not is_login_redirect(status, location, route):
        # A redirect is fine only if where it leads does not serve the object either.
        follow_status, _location, _text = request(client, "GET", location)
        if 200 <= follow_status < 300:
            violation(
                "redirected to a page serving an out-of-scope object", variant, who, status, f"{location} -> {follow_status}"
            )


def refused_post_expected(route, variant, who, user, get_status, post_only):
    """Why this POST must be refused, or None when the user may post (not tried)."""
    if route.key in ANONYMOUS_ALLOWED:
        return None
    if user is None:
        return "anonymous"
    if route.is_admin and not user.is_staff:
        return "admin, not staff"
    if outside_scope(user, variant.objects, route):
        return "object outside the user's scope"
    if get_status in (403, 404):
        return f"GET answered {get_status}"
    if post_only and not route.is_admin:
        allowed = may_post(route, user, variant.objects)
        if allowed is None:
            return "undeclared"
        if not allowed:
            return "no permission for this POST-only endpoint"
    return None


# --- the tests -------------------------------------------------------------------------------------------------------


def all_routes():
    return list(iter_routes())


def test_the_walk_finds_the_whole_urlconf():
    keys = {route.key for route in all_routes()}
    assert {
        "home",
        "login",
        "healthz",
        "set_language",
        "admin:index",
        "admin:sysadmin_branch_change",
        "admin:sysadmin_staff_changelist",
    } <= keys
    # Every route builds a URL that resolves back to the same view (checked in variants_for).
    assert len(keys) > 50


def test_every_url_parameter_is_known():
    """A new URL with a parameter must be added to the sweep (ROUTE_PARAMS / MODEL_OBJECTS)."""
    unknown = []
    for route in all_routes():
        try:
            fills_for(route)
        except KeyError as exc:
            unknown.append(f"{route.key} ({route.text}): parameter {exc.args[0]}")
    assert not unknown, "URL parameters the permission sweep cannot fill; add them to ROUTE_PARAMS:\n" + "\n".join(unknown)


def test_the_sweep_notices_a_leak(sweep_data):
    """The rules themselves can fail: an object of bank B served to a bank-A user is reported."""
    route = next(r for r in all_routes() if r.key == "admin:sysadmin_branch_change")
    variant = variants_for(route, sweep_data)[1]
    assert variant.side == "b"
    found = []
    check_get(
        route, variant, "a.system_admin", sweep_data.org.admin, 200, "", None, lambda rule, *args, **kwargs: found.append(rule)
    )
    assert found == ["served outside the user's scope"]


def test_the_sweep_catches_an_unscoped_admin(sweep_data, monkeypatch):
    """Take the scope away from admin: the sweep must report the other bank's rows on the
    list page and the other bank's object on the change page."""
    monkeypatch.setattr(ScopedAdminMixin, "scope_queryset", lambda self, request, queryset: queryset)
    wanted = {"admin:sysadmin_staff_changelist", "admin:sysadmin_staff_change"}
    violations, _counts = run_sweep(sweep_data, [r for r in all_routes() if r.key in wanted])
    assert any(v.startswith("page shows another bank's data: admin:sysadmin_staff_changelist") for v in violations)
    assert any(v.startswith("served outside the user's scope: admin:sysadmin_staff_change [b]") for v in violations)


def route_named(key):
    return next(r for r in all_routes() if r.key == key)


def note_written_by(data):
    """A row no request of the sweep writes by itself: the patched views below write one."""
    return Notification.objects.create(recipient=data.org.admin, bank_id=data.org.bank_a.pk, title="written by the view")


def test_the_sweep_notices_a_get_that_writes(sweep_data, monkeypatch):
    """A GET view patched to write a row is reported, naming the route and the table; the
    same route unpatched is clean (reads and the sweep's own queries count as nothing)."""
    route = route_named("jobs:list")
    assert run_sweep(sweep_data, [route])[0] == []
    view = route.view_class
    original_get = view.get

    def get_that_writes(self, request, *args, **kwargs):
        note_written_by(sweep_data)
        return original_get(self, request, *args, **kwargs)

    monkeypatch.setattr(view, "get", get_that_writes)
    violations, _counts = run_sweep(sweep_data, [route])
    assert len(violations) == 1, violations
    assert re.fullmatch(r"GET wrote to the database: jobs:list \(ocrm_notification \([1-9]\d* inserted\)\)", violations[0])


def test_a_refused_post_that_writes_counts_even_when_its_savepoint_rolls_back(sweep_data, monkeypatch):
    """The rule: the sweep counts rows WRITTEN (pg_stat_xact_user_tables), not what the tables
    hold afterwards. A refused request must refuse before it writes, so a view that writes,
    then refuses and leaves its savepoint to take the row back, is reported although the
    tables end up unchanged: the next change to that view (a caught exception, a response
    returned instead of raised) would keep the row."""

    route = route_named("jobs:list")
    view = route.view_class
    original_dispatch = view.dispatch

    def dispatch_that_writes_then_refuses(self, request, *args, **kwargs):
        if request.method != "POST":
            return original_dispatch(self, request, *args, **kwargs)
        with transaction.atomic():
            note_written_by(sweep_data)
            raise PermissionDenied  # rolls the savepoint back; Django answers 403

    monkeypatch.setattr(view, "dispatch", dispatch_that_writes_then_refuses)
    violations, counts = run_sweep(sweep_data, [route])
    assert counts["post"] >= 1
    assert not Notification.objects.filter(title="written by the view").exists()  # rolled back...
    assert len(violations) == 1, violations  # ...and reported all the same
    wrote = r"refused POST wrote to the database: jobs:list \(ocrm_notification \([1-9]\d* inserted\)\)"
    assert re.fullmatch(wrote, violations[0])


def test_row_writes_counts_inserts_updates_and_deletes_in_this_transaction(sweep_data):
    """The counters the rules read: per table, also for rows a savepoint rolled back."""
    before = row_writes()
    note = Notification.objects.create(recipient=sweep_data.org.manager, bank_id=sweep_data.org.bank_a.pk, title="counted")
    Notification.objects.filter(pk=note.pk).update(title="counted twice")
    with transaction.atomic():
        Notification.objects.filter(pk=note.pk).delete()
        transaction.set_rollback(True)
    assert written_tables(before, row_writes()) == ["ocrm_notification (1 inserted, 1 updated, 1 deleted)"]
    assert Notification.objects.filter(pk=note.pk).exists()


def route_id(route):
    """The test id: the area and the route, e.g. "site:customers:detail", "admin:admin:sysadmin_branch_change"."""
    return f"{'admin' if route.is_admin else 'site'}:{route.key}"


ROUTES = all_routes()


# Routes that wait for a Celery worker's answer: each of the health check's requests pings the
# workers and waits 3 s when none answers, ~45 s for the route; a real worker answers at once.
NEEDS_A_WORKER = {"healthz"}


@pytest.fixture
def worker_for(route):
    if route.key not in NEEDS_A_WORKER:
        yield None
        return

    app.control.purge()  # it must not run what earlier tests of this process queued
    worker = WorkerProcess().start()
    yield worker
    worker.discard()
    app.control.purge()


@pytest.mark.parametrize("route", ROUTES, ids=[route_id(r) for r in ROUTES])
def test_permission_sweep(sweep_data, route, worker_for, record_property):
    violations, counts = run_sweep(sweep_data, [route])
    assert not violations, f"{len(violations)} permission-sweep violation(s):\n" + "\n".join(violations[:150])
    # The sweep really ran: every user on every variant of the route, refused POSTs tried.
    assert counts["get"] == len(variants_for(route, sweep_data)) * len(sweep_data.users)
    assert counts["post"] >= (0 if route.key in ANONYMOUS_ALLOWED else 1)
    # Totals per area, checked once every route has run (tests.conftest: at least one refused
    # POST tried and one page read for leaks per route, on average over the area).
    area = route_id(route).split(":", 1)[0]
    record_property("permission_sweep", {"area": area, "routes": sum(r.is_admin == (area == "admin") for r in ROUTES), **counts})


def test_static_files_are_served_to_anonymous_visitors():
    static_response = Client().get(static("ocrm/ocrm.css"))
    assert static_response.status_code == 200, f"static files not served to anonymous visitors: {static_response.status_code}"


# --- Django admin's forms, posted back as a browser would (security finding 11.2's sweep) ---------------------------
#
# Every add, change and delete page of every registered ModelAdmin is posted a VALID-LOOKING form
# (what the superuser's page of an object of bank A or B holds, so every field, inline and
# management form is there) by every role of both banks, a staff member with view permissions
# only, anonymous and the superuser. Each POST runs in a savepoint that is rolled back, and:
# * a POST by someone without the page's permission (not staff, or no add/change/delete permission
#   on the model) writes no row at all;
# * a POST by a bank's user never writes a row of the page's model (or of its inlines) that belongs
#   to, or points at, another bank — also when the form holds the other bank's values ("crossed":
#   bank B's form posted to bank A's object, bank B's form posted to the add page);
# * nothing answers 500.

ADMIN_FORM_PAGES = ("add", "change", "delete")
STRONG_PASSWORD = "Sweep-Passw0rd-2026!"  # for add forms that ask for one (staff)


def admin_form_routes():
    return [r for r in ROUTES if r.model_admin is not None and r.key.rsplit("_", 1)[-1] in ADMIN_FORM_PAGES]


def admin_form_users(org):
    """Every role of both banks (bank B's missing ones made here), and a staff member who may only view."""
    users = {f"a.{role}": user for role, user in org.role_users.items()}
    known_b = {"system_admin": org.b_admin, "customer_manager": org.b_manager, "branch_supervisor": org.b_supervisor}
    for role in org.role_users:
        users[f"b.{role}"] = known_b.get(role) or make_staff(f"b.sweep.{role}", branch=org.b_hk, roles=[role])
    users["a.staff_viewer"] = make_staff("a.sweep.viewer", branch=org.a_ho, roles=["auditor"], is_staff=True)
    return users


def model_label(model):
    return model._meta.label_lower


def route_models(route):
    """The page's model and the models of its inlines: the rows its form writes."""
    model_admin = route.model_admin
    try:
        inlines = model_admin.get_inlines(None, None)
    except (AttributeError, TypeError):
        inlines = model_admin.inlines
    return [model_admin.model, *(inline.model for inline in inlines)]


def snapshot(models_):
    """{model label: {pk: (instance, values)}} of the tables the page writes (small in the sweep's data)."""
    taken = {}
    for model_ in models_:
        names = [f.attname for f in model_._meta.concrete_fields]
        taken[model_label(model_)] = {obj.pk: (obj, tuple(getattr(obj, n) for n in names)) for obj in model_._base_manager.all()}
    return taken


def banks_of_row(obj):
    """The banks a row belongs to or points at (through its foreign keys)."""
    banks = set()
    if (own := bank_id_of(obj)) is not None:
        banks.add(own)
    for field in obj._meta.concrete_fields:
        target_id = getattr(obj, field.attname) if field.is_relation and field.many_to_one else None
        if target_id is None:
            continue
        target = field.related_model._base_manager.filter(pk=target_id).first()
        if target is not None and (bank := bank_id_of(target)) is not None:
            banks.add(bank)
    return banks


def rows_changed(before, after):
    """[(model label, pk, what, banks)] of the rows inserted, updated or deleted between two snapshots."""
    changed = []
    for label, rows_after in after.items():
        rows_before = before.get(label, {})
        for pk, (obj, values) in rows_after.items():
            if pk not in rows_before:
                changed.append((label, pk, "inserted", banks_of_row(obj)))
            elif rows_before[pk][1] != values:
                changed.append((label, pk, "updated", banks_of_row(obj) | banks_of_row(rows_before[pk][0])))
        changed += [(label, pk, "deleted", banks_of_row(obj)) for pk, (obj, _v) in rows_before.items() if pk not in rows_after]
    return changed


def page_permission(route):
    opts = route.model_admin.model._meta
    return f"{opts.app_label}.{route.key.rsplit('_', 1)[-1]}_{opts.model_name}"


def fresh_values(model_, data):
    """The add form's values made new where the model wants them unique (codes, names, dates)."""
    unique = {f.name for f in model_._meta.concrete_fields if f.unique and not f.primary_key}
    for constraint in model_._meta.constraints:
        unique |= set(getattr(constraint, "fields", ()))
    for group in model_._meta.unique_together:
        unique |= set(group)
    for name in unique:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            continue
        field = model_._meta.get_field(name)
        if isinstance(field, models.DateField):
            day = datetime.date.fromisoformat(value[:10].replace("/", "-"))  # the page's language may write 2026/10/01
            data[name] = (day + datetime.timedelta(days=1)).isoformat()
        elif isinstance(field, models.CharField) and not field.choices:
            data[name] = (value + "X")[-(field.max_length or 100) :] if len(value) >= (field.max_length or 100) else value + "X"
    return data


def posted_forms(route, data):
    """[(label, url, side of the URL's object, form data)] of what is posted to this page; side is
    None where the URL holds no bank's object (add pages, shared objects)."""
    page = route.key.rsplit("_", 1)[-1]
    superuser = data.clients["superuser"]
    model_ = route.model_admin.model
    form_id = f"{model_._meta.model_name}_form"
    objects = {v.side: v for v in variants_for(route_named(route.key.removesuffix(page) + "change"), data)}

    def object_form(side):
        return admin_forms.form_data(superuser.get(objects[side].url).content.decode(), form_id)

    if page == "delete":
        return [(f"delete [{v.side or 'shared'}]", v.url, v.side, {"post": "yes"}) for v in variants_for(route, data)]
    if page == "change":
        if None in objects:
            return [("change [shared]", objects[None].url, None, object_form(None))]
        forms = {"a": object_form("a"), "b": object_form("b")}
        relations = {f.name for f in model_._meta.get_fields() if f.is_relation and f.concrete}
        crossed = {**forms["a"], **{k: v for k, v in forms["b"].items() if k in relations}}  # what points at bank B
        return [
            ("change [a]", objects["a"].url, "a", forms["a"]),
            ("change [a] with bank B's values", objects["a"].url, "a", crossed),
            ("change [b]", objects["b"].url, "b", forms["b"]),
        ]
    [variant] = variants_for(route, data)
    add_page = superuser.get(variant.url)
    if add_page.status_code != 200:
        return [("add (refused to the superuser)", variant.url, None, {})]
    blank = admin_forms.form_data(add_page.content.decode(), form_id)
    posted = []
    for side in objects:
        filled = object_form(side)
        form = {k: (filled[k] if k in filled and "-" not in k else v) for k, v in blank.items()}
        form.update({k: STRONG_PASSWORD for k in form if "password" in k and k != "usable_password"})
        posted.append((f"add with the values of [{side or 'shared'}]", variant.url, None, fresh_values(model_, form)))
    return posted


def post_and_roll_back(client, url, form, models_):
    """(status, location, row counters written, rows of the page's models changed); nothing is kept."""
    with transaction.atomic():
        before_rows, before = snapshot(models_), row_writes()
        try:
            with transaction.atomic():
                response = client.post(url, form)
            status, location = response.status_code, response.get("Location", "")
        except Exception as exc:  # the sweep reports every escaping exception as a 500
            status, location = 500, f"{type(exc).__name__}: {exc}"[:200]
        written, changed = written_tables(before, row_writes()), rows_changed(before_rows, snapshot(models_))
        transaction.set_rollback(True)
    return status, location, written, changed


def sweep_admin_form(route, data):
    """Post the page's forms as every user; returns (violations, number of POSTs)."""
    violations, posts = [], 0
    models_ = route_models(route)
    permission = page_permission(route)
    for label, url, side, form in posted_forms(route, data):
        for who, user in data.form_users.items():
            status, location, written, changed = post_and_roll_back(data.form_clients[who], url, form, models_)
            posts += 1
            where = f"{route.key} {label} as {who} -> {status} {location}".rstrip()
            if status >= 500:
                violations.append(f"500: {where}")
            if user is not None and user.is_superuser:
                continue
            if written and (user is None or not user.is_staff or not user.has_perm(permission)):
                violations.append(f"write without the permission {permission}: {where} ({'; '.join(written)})")
            if user is None:
                continue
            if written and side is not None and getattr(data, side).bank.pk != user.bank_id:
                violations.append(f"write through another bank's object: {where} ({'; '.join(written)})")
            foreign = [(label_, pk, what) for label_, pk, what, banks in changed if banks - {user.bank_id}]
            if foreign:
                violations.append(f"cross-bank write: {where} {foreign}")
    return violations, posts


ADMIN_FORM_ROUTES = admin_form_routes()


@pytest.mark.parametrize("route", ADMIN_FORM_ROUTES, ids=[route_id(r) for r in ADMIN_FORM_ROUTES])
def test_admin_forms_sweep(sweep_data, route):
    """One test per admin add/change/delete page (see the section's comment)."""
    violations, posts = sweep_admin_form(route, sweep_data)
    assert not violations, f"{len(violations)} admin form violation(s):\n" + "\n".join(violations[:100])
    assert posts >= len(sweep_data.form_users)


def test_the_admin_forms_sweep_covers_every_model_page():
    pages = {(r.model_admin.model, r.key.rsplit("_", 1)[-1]) for r in ADMIN_FORM_ROUTES}
    assert {(model_, page) for model_ in admin.site._registry for page in ADMIN_FORM_PAGES} == pages


def test_the_admin_forms_sweep_notices_a_cross_bank_write(sweep_data, monkeypatch):
    """Take the scope away from admin's rows and choices: bank A's administrator then changes bank B's
    holiday, and points bank A's holiday at bank B; both are reported."""
    monkeypatch.setattr(ScopedAdminMixin, "scope_queryset", lambda self, request, queryset: queryset)
    monkeypatch.setattr(OrgScopedAdmin, "related_queryset", lambda self, request, model_: model_._default_manager.all())
    violations, _posts = sweep_admin_form(route_named("admin:sysadmin_holiday_change"), sweep_data)
    assert any(v.startswith("write through another bank's object") and " as a.system_admin " in v for v in violations), violations
    assert any(v.startswith("cross-bank write") and "bank B's values as a.system_admin" in v for v in violations), violations


def test_the_admin_forms_sweep_notices_a_write_without_the_permission(sweep_data, monkeypatch):
    """Let every staff member change holidays: the staff member who may only view is reported."""
    monkeypatch.setattr(admin.ModelAdmin, "has_change_permission", lambda self, request, obj=None: True)
    violations, _posts = sweep_admin_form(route_named("admin:sysadmin_holiday_change"), sweep_data)
    assert any(v.startswith("write without the permission sysadmin.change_holiday") and "a.staff_viewer" in v for v in violations)
