"""The outbox's part of the demo bank: each demo bank has console gateways for SMS and e-mail and
valid templates in both languages, a demo template goes out through the console gateway, and a
reset removes it all before the banks."""

import io

import pytest
from django.core.management import call_command

from ocrm.outbox import recipients, services
from ocrm.outbox.models import Channel, Gateway, MessageTemplate, OutboundMessage, State
from sysadmin.demo import OUTBOX_TEMPLATES
from sysadmin.org.models import Bank

pytestmark = pytest.mark.django_db


def test_demo_banks_have_console_gateways_and_templates_that_send():
    call_command("seed_demo", "--customers", "none", stdout=io.StringIO())
    banks = list(Bank.objects.filter(code__in=["OGB", "HCB"]))
    assert len(banks) == 2
    for bank in banks:
        gateways = Gateway.objects.filter(bank=bank, kind=Gateway.Kind.CONSOLE, is_active=True)
        assert sorted(gateways.values_list("channel", flat=True)) == sorted([Channel.EMAIL, Channel.SMS])
        templates = MessageTemplate.objects.filter(bank=bank)
        # The outbox part's templates, beside those other parts seed (the service requests' SMS).
        assert set(templates.values_list("code", flat=True)) >= {t["code"] for t in OUTBOX_TEMPLATES}
        for template in templates:
            assert services.template_errors(template) == {}, template.code
            assert set(template.texts) >= {"zh-hans", "en"}
    bank = banks[0]
    otp = MessageTemplate.objects.get(bank=bank, code="one-time-code")
    person = recipients.Recipient(kind="address", id="+8613800000077", bank_id=bank.pk, phone="+8613800000077", language="en")
    message = services.send(otp, person, {"code": "246810"})
    services.dispatch_batch(services.gateway_for(bank.pk, Channel.SMS))
    message.refresh_from_db()
    assert (
        message.state == State.SENT
        and message.body == "Your one-time code is 246810. It is valid for 5 minutes; do not share it."
    )

    call_command("seed_demo", "--reset", "--customers", "none", stdout=io.StringIO())
    assert not OutboundMessage.objects.filter(pk=message.pk).exists()
    assert Gateway.objects.filter(bank__code__in=["OGB", "HCB"]).count() == 4  # reloaded after the reset
