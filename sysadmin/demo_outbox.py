"""The outbox's part of the demo bank: each demo bank gets a console gateway for SMS and one for
e-mail (ocrm.outbox.gateways.ConsoleGateway: each message a JSON line in
var/outbox-console.jsonl and the log, no real gateway needed for `make run`) and a few message
templates in Chinese and English (a service notice, a one-time code sent as transactional, a
marketing message, an e-mail notice), so the SMS pages and the dispatch job have something real."""

from ocrm.outbox.models import Category, Channel, DeniedAddress, Gateway, MessageTemplate, OutboundMessage, Purpose
from ocrm.seed import SeedPart
from sysadmin.org.models import Bank

DEMO_BANK_CODES = ["OGB", "HCB"]

GATEWAYS = [
    {"name": "console-sms", "channel": Channel.SMS, "price_per_segment": "0.0500"},
    {"name": "console-email", "channel": Channel.EMAIL, "price_per_segment": "0"},
]

TEMPLATES = [
    {
        "code": "service-notice",
        "name": "Service notice",
        "channel": Channel.SMS,
        "purpose": Purpose.SERVICE,
        "category": Category.STANDARD,
        "variables": ["name"],
        "texts": {
            "zh-hans": {"body": "{{ name }}您好,您的业务已办理完成,如有疑问请联系您的客户经理。"},
            "en": {
                "body": (
                    "Dear {{ name }}, your request has been completed."
                    " Please contact your relationship manager with any questions."
                )
            },
        },
    },
    {
        "code": "one-time-code",
        "name": "One-time code",
        "channel": Channel.SMS,
        "purpose": Purpose.SERVICE,
        "category": Category.TRANSACTIONAL,
        "variables": ["code"],
        "texts": {
            "zh-hans": {"body": "您的验证码是 {{ code }},5分钟内有效,请勿告诉他人。"},
            "en": {"body": "Your one-time code is {{ code }}. It is valid for 5 minutes; do not share it."},
        },
    },
    {
        "code": "savings-offer",
        "name": "New savings product",
        "channel": Channel.SMS,
        "purpose": Purpose.MARKETING,
        "category": Category.STANDARD,
        "variables": ["name"],
        "texts": {
            "zh-hans": {"body": "{{ name }}您好,新一期理财产品现已发售,详情请咨询网点。回复STOP退订"},
            "en": {
                "body": ("Dear {{ name }}, our new savings product is now available. Ask at your branch. Reply STOP to opt out")
            },
        },
    },
    {
        "code": "service-notice-email",
        "name": "Service notice (e-mail)",
        "channel": Channel.EMAIL,
        "purpose": Purpose.SERVICE,
        "category": Category.STANDARD,
        "variables": ["name"],
        "texts": {
            "zh-hans": {
                "subject": "业务办理完成通知",
                "body": "{{ name }}您好:\n\n您的业务已办理完成。如有疑问请联系您的客户经理。",
            },
            "en": {
                "subject": "Your request is complete",
                "body": "Dear {{ name }},\n\nYour request has been completed."
                " Please contact your relationship manager with any questions.",
            },
        },
    },
]


def _banks():
    return Bank.objects.filter(code__in=DEMO_BANK_CODES)


def load_part(options, write):
    gateways = templates = 0
    for bank in _banks():
        for spec in GATEWAYS:
            _row, created = Gateway.objects.get_or_create(
                bank=bank, name=spec["name"], defaults={**spec, "kind": Gateway.Kind.CONSOLE, "rate_per_second": 50}
            )
            gateways += created
        for spec in TEMPLATES:
            _row, created = MessageTemplate.objects.get_or_create(bank=bank, code=spec["code"], defaults=spec)
            templates += created
    if gateways or templates:
        write(f"  outbox      {gateways} console gateways, {templates} message templates")


def reset_part(options, write):
    bank_ids = list(_banks().values_list("pk", flat=True))
    OutboundMessage.objects.filter(bank_id__in=bank_ids).delete()
    DeniedAddress.objects.filter(bank_id__in=bank_ids).delete()
    Gateway.objects.filter(bank_id__in=bank_ids).delete()
    MessageTemplate.objects.filter(bank_id__in=bank_ids).delete()


# After the organisation (its banks), before the customers: reset runs in the reverse order, so
# the customers' messages and these rows go before the banks.
SEED_PART = SeedPart("outbox", 15, load_part, reset=reset_part)
