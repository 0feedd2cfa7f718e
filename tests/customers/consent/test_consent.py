"""The contact policy: customers reached through the outbox at their primary mobile, in their own
zone else their branch's; marketing needs consent, service messages honour the opt-out,
do-not-contact and no-SMS suppress; every suppression is on the 360 page with its reason; the
policy form (audited, scoped); staff reached through their own resolver."""

import datetime

import pytest
from django.urls import reverse

from customers.consent import services as consent
from customers.consent.models import ContactPolicy
from customers.master.models import ContactPoint
from ocrm.audit.models import AuditLog
from ocrm.outbox import services as outbox
from ocrm.outbox.models import Category, Channel, Gateway, MessageTemplate, OutboundMessage, Purpose, State
from tests.factories import make_customer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

DAYTIME = datetime.datetime(2027, 2, 10, 12, 0, tzinfo=datetime.UTC)  # 20:00 Shanghai, 12:00 London
EVENING = datetime.datetime(2027, 2, 10, 14, 0, tzinfo=datetime.UTC)  # 22:00 Shanghai (quiet), 14:00 London


@pytest.fixture
def gateway(org):
    return Gateway.objects.create(bank=org.bank_a, name="console", channel=Channel.SMS, kind=Gateway.Kind.CONSOLE)


def _template(org, code, purpose):
    return MessageTemplate.objects.create(
        bank=org.bank_a,
        code=code,
        name=code,
        purpose=purpose,
        category=Category.STANDARD,
        variables=["name"],
        texts={"zh-hans": {"body": "{{name}} 您好"}, "en": {"body": "Hello {{name}}"}},
    )


@pytest.fixture
def promo(org):
    return _template(org, "promo", Purpose.MARKETING)


@pytest.fixture
def notice(org):
    return _template(org, "notice", Purpose.SERVICE)


@pytest.fixture
def londoner(org):
    customer = make_customer("C-CONSENT-1", org.a_ldn, org.manager)
    ContactPoint.objects.create(
        bank_id=customer.bank_id, customer=customer, kind="mobile", value="+447700900123", is_primary=True
    )
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value="+447700900999", opted_out=True)
    return customer


def test_a_customer_is_reached_at_the_primary_mobile_in_the_branch_zone(org, gateway, notice, londoner):
    message = outbox.send(notice, londoner, {"name": "Ann"}, dedupe_key="n1", now=EVENING)
    assert (message.state, message.address, message.time_zone, message.recipient_ref) == (
        State.QUEUED,
        "+447700900123",
        "Europe/London",
        "C-CONSENT-1",
    )
    assert message.language == "zh-hans"  # no language of their own: the bank's first
    consent.set_policy(londoner, org.manager, time_zone="Asia/Shanghai", language="en")
    later = outbox.send(notice, londoner, {"name": "Ann"}, dedupe_key="n2", now=EVENING)
    assert later.state == State.HELD and later.time_zone == "Asia/Shanghai"  # the customer's own zone wins
    assert later.body == "Hello Ann"


def test_marketing_needs_consent_and_service_honours_the_opt_out(org, gateway, promo, notice, londoner):
    refused = outbox.send(promo, londoner, {"name": "Ann"}, dedupe_key="m1", now=DAYTIME)
    assert refused.state == State.SUPPRESSED and "not agreed to marketing" in refused.reason
    consent.set_policy(londoner, org.manager, marketing_consent=True)
    assert outbox.send(promo, londoner, {"name": "Ann"}, dedupe_key="m2", now=DAYTIME).state == State.QUEUED
    consent.set_policy(londoner, org.manager, service_opt_out=True)
    opted_out = outbox.send(notice, londoner, {"name": "Ann"}, dedupe_key="s1", now=DAYTIME)
    assert opted_out.state == State.SUPPRESSED and "opted out of service" in opted_out.reason
    consent.set_policy(londoner, org.manager, service_opt_out=False, do_not_sms=True)
    assert "no SMS" in outbox.send(notice, londoner, {"name": "Ann"}, dedupe_key="s2", now=DAYTIME).reason
    consent.set_policy(londoner, org.manager, do_not_sms=False, do_not_contact=True)
    assert "do not contact" in outbox.send(notice, londoner, {"name": "Ann"}, dedupe_key="s3", now=DAYTIME).reason
    assert AuditLog.objects.filter(detail__event="contact_policy_changed", object_id=str(londoner.pk)).count() == 4


def test_the_360_section_shows_consent_and_suppressed_messages(client, org, gateway, promo, londoner):
    outbox.send(promo, londoner, {"name": "Ann"}, dedupe_key="m1", now=DAYTIME)
    client.force_login(org.manager)
    page = client.get(reverse("customers:detail", args=[londoner.number]))
    assert page.status_code == 200
    assert 'id="consent-section-placeholder"' in page.content.decode()  # filled by htmx, off the page's query budget
    section = client.get(reverse("customers:consent_section", args=[londoner.number]))
    html = section.content.decode()
    assert 'id="consent-section"' in html and "has not agreed to marketing" in html
    client.force_login(org.b_manager)
    assert client.get(reverse("customers:consent_section", args=[londoner.number])).status_code == 404


def test_the_policy_form_saves_and_is_scoped(client, org, londoner):
    client.force_login(org.manager)
    url = reverse("customers:consent", args=[londoner.number])
    assert client.get(url).status_code == 200
    response = client.post(url, {"marketing_consent": "on", "language": "en", "time_zone": "Nowhere/City"})
    assert response.status_code == 200 and "time_zone" in response.context["form"].errors
    response = client.post(url, {"marketing_consent": "on", "language": "en", "time_zone": "Europe/London"})
    assert response.status_code == 302
    policy = ContactPolicy.objects.get(customer=londoner)
    assert policy.marketing_consent and policy.language == "en"
    other = make_customer("C-CONSENT-B", org.b_hk)
    assert client.get(reverse("customers:consent", args=[other.number])).status_code == 404
    client.force_login(org.b_manager)
    assert client.get(url).status_code == 404


def test_staff_are_reached_through_their_own_resolver(org, gateway):
    org.manager.phone = "+447700900555"
    org.manager.time_zone = "Europe/London"
    org.manager.save()
    message = outbox.send_text(org.bank_a.pk, Channel.SMS, org.manager, "", "A job failed", now=DAYTIME)
    assert (message.recipient_kind, message.address, message.time_zone, message.state) == (
        "staff",
        "+447700900555",
        "Europe/London",
        State.QUEUED,
    )
    assert OutboundMessage.objects.filter(recipient_ref=org.manager.username).count() == 1
