"""Fixtures of the outbox tests: a local SMS gateway on 127.0.0.1 (ocrm.outbox.localgateway),
a bank-A gateway row pointing at it, templates."""

import pytest

from ocrm.outbox.localgateway import LocalGateway
from ocrm.outbox.models import Category, Channel, Gateway, MessageTemplate, Purpose

SECRET = "test-gateway-secret"


@pytest.fixture
def local_gateway():
    server = LocalGateway(SECRET, report="none").start()
    yield server
    server.stop()


@pytest.fixture
def sms_gateway(org, local_gateway):
    return Gateway.objects.create(
        bank=org.bank_a,
        name="local",
        channel=Channel.SMS,
        kind=Gateway.Kind.HTTP,
        url=local_gateway.url,
        secret=SECRET,
        price_per_segment="0.0500",
        rate_per_second=1000,
    )


@pytest.fixture
def otp_template(org):
    return MessageTemplate.objects.create(
        bank=org.bank_a,
        code="otp",
        name="One-time code",
        purpose=Purpose.SERVICE,
        category=Category.TRANSACTIONAL,
        variables=["code"],
        texts={"zh-hans": {"body": "您的验证码是 {{ code }}"}, "en": {"body": "Your code is {{ code }}"}},
    )


@pytest.fixture
def notice_template(org):
    return MessageTemplate.objects.create(
        bank=org.bank_a,
        code="notice",
        name="Service notice",
        purpose=Purpose.SERVICE,
        variables=["name"],
        texts={"zh-hans": {"body": "{{name}}您好,您的业务已办结。"}, "en": {"body": "Dear {{name}}, your request is done."}},
    )


@pytest.fixture
def promo_template(org):
    return MessageTemplate.objects.create(
        bank=org.bank_a,
        code="promo",
        name="Promotion",
        purpose=Purpose.MARKETING,
        variables=["name"],
        texts={"zh-hans": {"body": "{{name}}: 新理财产品上线"}, "en": {"body": "{{name}}: new savings product"}},
    )
