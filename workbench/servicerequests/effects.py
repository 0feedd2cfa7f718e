"""What a status change of a service request sets off besides the manager's in-app notice and the
channels' webhook (services.notify_status_change), registered from WorkbenchConfig.ready() with
services.on_status_change:

* the customer's SMS through the outbox (ocrm.outbox.services.send): the template
  `svcreq-<type code>-<status>` when the bank has one, else `svcreq-<status>`; none for a status
  without a template. The texts are per language (the outbox picks the customer's), quiet hours
  and the contact policy are the outbox's. The "sent" message carries the confirmation code: the
  first 8 characters of the content hash the customer confirms (the channel shows the same code
  next to the content). Dedupe key per request, status and version: a retried job sends once.
* a task for the manager who prepared it when the customer declined it, it expired or it was
  rejected (workbench.todo, source "service request", one per request and status).

Both are queued inside the status change's transaction: a rolled-back change sends nothing."""

from django.utils import translation
from django.utils.translation import gettext as _

from ocrm.outbox import services as outbox
from ocrm.outbox.models import Category, Channel, MessageTemplate, Purpose
from workbench.servicerequests.models import ServiceRequest

S = ServiceRequest.Status
SMS_STATUSES = (S.SENT, S.CONFIRMED, S.COMPLETED, S.REJECTED, S.EXPIRED, S.CANCELLED)
TASK_STATUSES = (S.DECLINED, S.EXPIRED, S.REJECTED)


def confirmation_code(request):
    return request.content_hash[:8].upper()


def _template(request, status):
    codes = [f"svcreq-{request.request_type.code}-{status}", f"svcreq-{status}"]
    found = {row.code: row for row in MessageTemplate.objects.filter(bank_id=request.bank_id, code__in=codes, is_active=True)}
    return next((found[code] for code in codes if code in found), None)


def sms_status_change(request):
    status = S(request.status)
    if status not in SMS_STATUSES:
        return None
    template = _template(request, status)
    if template is None:
        return None
    context = {"reference": request.reference, "code": confirmation_code(request)}
    context = {name: value for name, value in context.items() if name in (template.variables or [])}
    return outbox.send(
        template,
        request.customer,
        context,
        purpose=Purpose.SERVICE,
        dedupe_key=f"svcreq:{request.reference}:{status}:{request.version}",
    )


def task_status_change(request):
    from workbench.todo import services as todo  # noqa: PLC0415 - kept lazy for app loading
    from workbench.todo.models import Task  # noqa: PLC0415

    status = S(request.status)
    manager = request.created_by
    if status not in TASK_STATUSES or not manager.is_active:
        return None
    with translation.override(manager.language or None):
        title = _("Follow up service request %(reference)s: %(status)s") % {
            "reference": request.reference,
            "status": status.label,
        }
    return todo.create_task(
        assignee=manager,
        title=title,
        customer=request.customer,
        due_date=todo.local_today(manager),
        source=Task.Source.SERVICE_REQUEST,
        source_key=f"svcreq:{request.reference}:{status}",
    )


# The default SMS templates (seeded per bank with the built-in types; administrators change them on
# the outbox's template pages, or add `svcreq-<type code>-<status>` for one type).
TEMPLATES = {
    S.SENT: (
        ["reference", "code"],
        "您有一笔待确认的业务申请 {{ reference }},确认码 {{ code }},请在手机银行或柜台核对后确认。",
        "Request {{ reference }} awaits your confirmation; code {{ code }}."
        " Check and confirm it in mobile banking or at the counter.",
    ),
    S.CONFIRMED: (
        ["reference"],
        "您已确认业务申请 {{ reference }},我们将尽快办理。",
        "You confirmed request {{ reference }}; we are processing it.",
    ),
    S.COMPLETED: (["reference"], "您的业务申请 {{ reference }} 已办理完成。", "Your request {{ reference }} is completed."),
    S.REJECTED: (
        ["reference"],
        "很抱歉,您的业务申请 {{ reference }} 未能办理,请联系您的客户经理。",
        "We could not carry out request {{ reference }}; please contact your relationship manager.",
    ),
    S.EXPIRED: (
        ["reference"],
        "您的业务申请 {{ reference }} 已过期未确认,如需办理请联系您的客户经理。",
        "Request {{ reference }} expired unconfirmed; contact your relationship manager to renew it.",
    ),
    S.CANCELLED: (["reference"], "业务申请 {{ reference }} 已取消。", "Request {{ reference }} was cancelled."),
}


def seed_templates(bank):
    for status, (variables, zh, en) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            bank=bank,
            code=f"svcreq-{status}",
            defaults={
                "name": f"Service request {status}",
                "channel": Channel.SMS,
                "purpose": Purpose.SERVICE,
                "category": Category.STANDARD,
                "variables": variables,
                "texts": {"zh-hans": {"body": zh}, "en": {"body": en}},
            },
        )
