"""The outbox's rules: quiet hours in the recipient's own zone (with daylight-saving change days,
the clock passed explicitly), transactional bypass, suppression (deny list, STOP, registered
rules), the frequency cap, dedupe keys, forward-only states under reports out of order, expiry,
template validation, send only after commit."""

import datetime
import json
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from ocrm import parameters
from ocrm.audit.models import AuditLog
from ocrm.outbox import recipients, services, signing
from ocrm.outbox.models import (
    Category,
    Channel,
    DeniedAddress,
    Gateway,
    MessageEvent,
    MessageTemplate,
    OutboundMessage,
    Purpose,
    State,
)
from tests.ocrm.outbox.conftest import SECRET

UTC = datetime.UTC
ZONES = ["Asia/Shanghai", "Europe/London", "America/New_York"]


def person(org, number, zone="", language="en", kind="address"):
    return recipients.Recipient(kind=kind, id=number, bank_id=org.bank_a.pk, phone=number, language=language, time_zone=zone)


def in_quiet_hours(instant, zone):
    local = instant.astimezone(zoneinfo.ZoneInfo(zone)).time()
    return local >= datetime.time(21, 0) or local < datetime.time(8, 0)


# --- quiet hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        datetime.datetime(2027, 3, 14, tzinfo=UTC),  # New York springs forward
        datetime.datetime(2027, 3, 28, tzinfo=UTC),  # London springs forward
        datetime.datetime(2026, 11, 1, tzinfo=UTC),  # New York falls back
        datetime.datetime(2026, 10, 25, tzinfo=UTC),  # London falls back
    ],
)
def test_nothing_is_sent_inside_quiet_hours_in_any_zone(org, sms_gateway, notice_template, local_gateway, day):
    """Every half hour of 48 hours around a daylight-saving change a message is queued for a
    recipient in Shanghai, London and New York and the dispatcher runs (the clock frozen at that
    instant): no message leaves inside 21:00-08:00 of its recipient's own zone, held ones leave at
    08:00 local sharp, and none is lost."""
    start = day - datetime.timedelta(hours=12)
    steps = [start + datetime.timedelta(minutes=30 * i) for i in range(96)]
    for i, now in enumerate(steps):
        for zone in ZONES:
            services.send(
                notice_template,
                person(org, f"+44770090{i:04d}{ZONES.index(zone)}", zone),
                {"name": "Li"},
                dedupe_key=f"quiet:{zone}:{i}",
                now=now,
            )
        services.dispatch_batch(sms_gateway, limit=500, now=now)
    messages = list(OutboundMessage.objects.all())
    assert len(messages) == 96 * 3
    sent = [m for m in messages if m.state == State.SENT]
    assert sent, "some messages went out in the daytime"
    inside = [m for m in sent if in_quiet_hours(m.sent_at, m.time_zone)]
    assert inside == []
    for message in messages:
        if message.state == State.HELD:
            local = message.hold_until.astimezone(zoneinfo.ZoneInfo(message.time_zone))
            assert local.time() == datetime.time(8, 0), (message.time_zone, local)
    # The clock runs on for a day: the held ones leave in their recipients' mornings, none is lost.
    for i in range(1, 49):
        services.dispatch_batch(sms_gateway, limit=500, now=steps[-1] + datetime.timedelta(minutes=30 * i))
    assert OutboundMessage.objects.exclude(state=State.SENT).count() == 0
    assert len(local_gateway.accepted()) == 96 * 3
    assert not [m for m in OutboundMessage.objects.all() if in_quiet_hours(m.sent_at, m.time_zone)]


def test_quiet_hours_are_the_recipients_own(org, sms_gateway, notice_template):
    now = datetime.datetime(2027, 1, 15, 14, 0, tzinfo=UTC)  # 22:00 Shanghai, 14:00 London, 09:00 New York
    shanghai = services.send(
        notice_template, person(org, "+8613800000001", "Asia/Shanghai"), {"name": "A"}, dedupe_key="z1", now=now
    )
    london = services.send(
        notice_template, person(org, "+447700900001", "Europe/London"), {"name": "B"}, dedupe_key="z2", now=now
    )
    assert shanghai.state == State.HELD and london.state == State.QUEUED
    assert shanghai.hold_until == datetime.datetime(2027, 1, 16, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
    # A recipient without a zone of their own lives in the bank's (head office) zone.
    assert services.zone_of("", org.bank_a.pk) is not None


def test_a_transactional_template_bypasses_quiet_hours(org, sms_gateway, otp_template, local_gateway):
    three_am = datetime.datetime(2027, 1, 15, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai
    message = services.send(
        otp_template, person(org, "+8613800000002", "Asia/Shanghai"), {"code": "123456"}, dedupe_key="otp1", now=three_am
    )
    assert message.state == State.QUEUED
    services.dispatch_batch(sms_gateway, now=three_am)
    message.refresh_from_db()
    assert message.state == State.SENT
    assert [m["text"] for m in local_gateway.accepted()] == ["Your code is 123456"]


def test_marketing_never_bypasses_quiet_hours(org, sms_gateway, otp_template):
    otp_template.purpose = Purpose.MARKETING
    with pytest.raises(ValidationError) as error:
        services.validate_template(otp_template)
    assert "category" in error.value.message_dict
    # A transactional template sent for marketing waits like any marketing message.
    three_am = datetime.datetime(2027, 1, 15, 19, 0, tzinfo=UTC)
    stored = MessageTemplate.objects.get(pk=otp_template.pk)
    message = services.send(
        stored, person(org, "+8613800000099", "Asia/Shanghai"), {"code": 1}, purpose=Purpose.MARKETING, now=three_am
    )
    assert message.state == State.HELD and message.category == Category.STANDARD


# --- suppression ---------------------------------------------------------------------------------


def _signed_post(client, url, payload, now=None):
    body = json.dumps(payload).encode()
    headers = signing.headers(SECRET, body, now=now)
    return (
        client.post(
            url,
            data=body,
            content_type="application/json",
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        ),
        body,
        headers,
    )


def test_stop_reply_denies_the_number_at_once(client, org, sms_gateway, notice_template):
    day = datetime.datetime(2027, 1, 15, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    waiting = services.send(
        notice_template, person(org, "+86 138-0000-0003", "Asia/Shanghai"), {"name": "A"}, dedupe_key="w", now=day
    )
    assert waiting.state == State.QUEUED and waiting.address == "+8613800000003"
    response, _body, _headers = _signed_post(
        client, reverse("outbox:callback_inbound", args=[sms_gateway.pk]), {"from": "+8613800000003", "text": "STOP"}
    )
    assert response.status_code == 200 and response.json()["stop"] is True
    assert DeniedAddress.objects.filter(bank=org.bank_a, address="+8613800000003", source="stop").exists()
    waiting.refresh_from_db()
    assert waiting.state == State.SUPPRESSED and "deny list" in waiting.reason
    later = services.send(
        notice_template, person(org, "+8613800000003", "Asia/Shanghai"), {"name": "A"}, dedupe_key="w2", now=day
    )
    assert later.state == State.SUPPRESSED and "deny list" in later.reason
    assert AuditLog.objects.filter(detail__event="outbox_address_denied").count() == 1
    # An ordinary reply is not a STOP.
    response, _b, _h = _signed_post(
        client, reverse("outbox:callback_inbound", args=[sms_gateway.pk]), {"from": "+8613800000009", "text": "thanks"}
    )
    assert response.json()["stop"] is False
    assert not DeniedAddress.objects.filter(address="+8613800000009").exists()


def test_registered_suppression_rules_and_missing_addresses(org, sms_gateway, notice_template):
    def rule(recipient, purpose, channel):
        return "opted out" if recipient.id == "+8613800000004" else None

    recipients.register_rule(rule)
    try:
        message = services.send(notice_template, person(org, "+8613800000004"), {"name": "A"}, dedupe_key="r1")
        assert (message.state, message.reason) == (State.SUPPRESSED, "opted out")
        assert MessageEvent.objects.filter(message=message, state=State.SUPPRESSED).exists()
    finally:
        recipients._rules.remove(rule)
    nobody = services.send(notice_template, person(org, ""), {"name": "A"}, dedupe_key="r2")
    assert nobody.state == State.SUPPRESSED and "no mobile number" in nobody.reason


def test_frequency_cap(org, sms_gateway, promo_template, notice_template):
    assert parameters.get("outbox.frequency_cap_messages", org.bank_a) == 3  # at most 3 in 7 days
    day = datetime.datetime(2027, 5, 3, 4, 0, tzinfo=UTC)
    who = person(org, "+8613800000005", "Asia/Shanghai")
    states = [
        services.send(promo_template, who, {"name": "A"}, dedupe_key=f"p{i}", now=day + datetime.timedelta(days=i)).state
        for i in range(4)
    ]
    assert states == [State.QUEUED, State.QUEUED, State.QUEUED, State.SUPPRESSED]
    capped = OutboundMessage.objects.get(dedupe_key="p3")
    assert "Frequency cap" in capped.reason
    # Service messages are not capped and do not count.
    assert (
        services.send(notice_template, who, {"name": "A"}, dedupe_key="s1", now=day + datetime.timedelta(days=3)).state
        == State.QUEUED
    )
    # Seven days after the first, the window has room again.
    assert (
        services.send(promo_template, who, {"name": "A"}, dedupe_key="p9", now=day + datetime.timedelta(days=7, hours=1)).state
        == State.QUEUED
    )


def test_dedupe_key_sends_nothing_twice(org, sms_gateway, notice_template):
    first = services.send(notice_template, person(org, "+8613800000006"), {"name": "A"}, dedupe_key="job:1")
    again = services.send(notice_template, person(org, "+8613800000006"), {"name": "A"}, dedupe_key="job:1")
    assert first.pk == again.pk and OutboundMessage.objects.count() == 1


def test_a_missing_variable_is_an_error_not_a_blank(org, sms_gateway, notice_template):
    with pytest.raises(ValidationError) as error:
        services.send(notice_template, person(org, "+8613800000007"), {}, dedupe_key="x")
    assert "context" in error.value.message_dict
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_for_a_rolled_back_change(org, sms_gateway, notice_template):
    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        services.send(notice_template, person(org, "+8613800000008"), {"name": "A"}, dedupe_key="rb")
        raise RolledBack
    assert not OutboundMessage.objects.exists()


# --- states -----------------------------------------------------------------------------------------


def _report(client, gateway, message, status, **extra):
    payload = {
        "id": message.gateway_message_id or "x",
        "idempotency_key": str(message.idempotency_key),
        "status": status,
        **extra,
    }
    response, _b, _h = _signed_post(client, reverse("outbox:callback_report", args=[gateway.pk]), payload)
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    return message.state


def test_states_only_move_forward_under_reports_out_of_order(client, org, sms_gateway, otp_template):
    message = services.send(otp_template, person(org, "+8613800000010"), {"code": "1"}, dedupe_key="f1")
    services.dispatch_batch(sms_gateway)
    message.refresh_from_db()
    assert message.state == State.SENT and message.gateway_message_id.startswith("LG")
    assert _report(client, sms_gateway, message, "delivered") == State.DELIVERED
    assert _report(client, sms_gateway, message, "sent") == State.DELIVERED  # a late "sent"
    assert _report(client, sms_gateway, message, "failed") == State.DELIVERED  # final stays final
    assert services.expire_stale(now=message.sent_at + datetime.timedelta(days=10)) == 0
    message.refresh_from_db()
    assert message.state == State.DELIVERED

    other = services.send(otp_template, person(org, "+8613800000011"), {"code": "2"}, dedupe_key="f2")
    # The final report overtakes the dispatcher's own "sent".
    assert _report(client, sms_gateway, other, "failed", error="absent subscriber") == State.FAILED
    assert other.reason == "absent subscriber"
    services.dispatch_batch(sms_gateway)  # not claimable any more: nothing sent, nothing overwritten
    other.refresh_from_db()
    assert other.state == State.FAILED
    assert services.advance([other.pk], State.SENT) == 0


def test_no_final_report_in_time_expires(org, sms_gateway, otp_template):
    message = services.send(otp_template, person(org, "+8613800000012"), {"code": "3"}, dedupe_key="e1")
    services.dispatch_batch(sms_gateway)
    message.refresh_from_db()
    assert services.expire_stale(now=message.sent_at + datetime.timedelta(hours=47)) == 0
    assert services.expire_stale(now=message.sent_at + datetime.timedelta(hours=49)) == 1
    message.refresh_from_db()
    assert message.state == State.EXPIRED and message.final_at is not None


def test_a_rejected_message_fails_with_the_reason_and_an_unreachable_gateway_is_retried(
    org, sms_gateway, otp_template, local_gateway
):
    message = services.send(otp_template, person(org, "+8613800000013"), {"code": "4"}, dedupe_key="g1")
    sms_gateway.url = "http://127.0.0.1:9/messages"  # nobody listens on the discard port
    sms_gateway.save()
    now = datetime.datetime(2027, 1, 1, 4, 0, tzinfo=UTC)
    services.dispatch_batch(sms_gateway, now=now)
    message.refresh_from_db()
    assert message.state == State.SENDING and message.attempts == 1 and message.next_attempt_at > now
    sms_gateway.url = local_gateway.url
    sms_gateway.save()
    assert services.dispatch_batch(sms_gateway, now=now) == {}  # not before its next attempt
    services.dispatch_batch(sms_gateway, now=now + datetime.timedelta(minutes=2))
    message.refresh_from_db()
    assert message.state == State.SENT and len(local_gateway.accepted()) == 1

    sms_gateway.secret = "wrong"  # the gateway refuses the signature: a rejection, for good
    sms_gateway.save()
    refused = services.send(otp_template, person(org, "+8613800000014"), {"code": "5"}, dedupe_key="g2")
    services.dispatch_batch(sms_gateway)
    refused.refresh_from_db()
    assert refused.state == State.FAILED and "signature" in refused.reason


def test_resend_of_a_failed_message_is_a_new_message_and_audited(org, sms_gateway, otp_template):
    message = services.send(otp_template, person(org, "+8613800000015"), {"code": "6"}, dedupe_key="rs")
    services.advance([message.pk], State.FAILED, reason="absent")
    message.refresh_from_db()
    with pytest.raises(ValidationError):
        services.resend(services.send(otp_template, person(org, "+8613800000016"), {"code": "7"}, dedupe_key="rs2"), org.admin)
    again = services.resend(message, org.admin)
    assert again.pk != message.pk and again.resent_from_id == message.pk and again.body == message.body
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert AuditLog.objects.filter(detail__event="outbox_message_resent", detail__original=message.pk).exists()


# --- callbacks ---------------------------------------------------------------------------------------


def test_callbacks_need_a_fresh_signature_and_are_never_replayed(client, org, sms_gateway, otp_template):
    message = services.send(otp_template, person(org, "+8613800000017"), {"code": "8"}, dedupe_key="c1")
    url = reverse("outbox:callback_report", args=[sms_gateway.pk])
    payload = {"idempotency_key": str(message.idempotency_key), "status": "delivered"}
    body = json.dumps(payload).encode()

    def post(headers):
        return client.post(
            url,
            data=body,
            content_type="application/json",
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        )

    bad = {**signing.headers(SECRET, body), signing.SIGNATURE_HEADER: "0" * 64}
    assert post(bad).status_code == 403
    stale = signing.headers(SECRET, body, now=datetime.datetime.now(UTC).timestamp() - 3600)
    assert post(stale).status_code == 403
    assert post(signing.headers("another-secret", body)).status_code == 403
    message.refresh_from_db()
    assert message.state == State.QUEUED
    good = signing.headers(SECRET, body)
    assert post(good).status_code == 200
    assert post(good).status_code == 403  # the same callback again: a replay
    assert client.get(url).status_code == 405
    assert (
        client.post(reverse("outbox:callback_report", args=[999999]), data=body, content_type="application/json").status_code
        == 404
    )
    message.refresh_from_db()
    assert message.state == State.DELIVERED


# --- templates ------------------------------------------------------------------------------------------


def test_template_validation_names_each_error(org):
    template = MessageTemplate(
        bank=org.bank_a,
        code="t",
        name="T",
        variables=["name"],
        texts={"zh-hans": {"body": "{{ name }} {{ amount }}"}, "en": {"body": ""}},
    )
    errors = services.template_errors(template)
    assert "amount" in " ".join(errors["body_zh-hans"])
    assert "missing" in " ".join(errors["body_en"])
    template.texts["en"]["body"] = "Hello {{name}}"
    template.texts["zh-hans"]["body"] = "{{name}}您好"
    assert services.template_errors(template) == {}
    services.save_template(template, org.admin)
    assert AuditLog.objects.filter(detail__event="outbox_template_saved", object_id=str(template.pk)).exists()
    copy = MessageTemplate(bank=org.bank_a, code="t", name="T2", variables=["name"], texts=template.texts)
    with pytest.raises(ValidationError) as error:
        services.save_template(copy, org.admin)
    assert "code" in error.value.message_dict


def test_preview_shows_encoding_segments_forcing_character_and_cost(org, sms_gateway, notice_template):
    rows = {row["language"]: row for row in services.preview(notice_template, {"name": "王伟"})}
    assert rows["zh-hans"]["encoding"] == "UCS-2" and rows["zh-hans"]["forcing_char"] == "王"
    assert rows["en"]["forcing_char"] == "王"  # the sample name itself forces UCS-2
    english = {row["language"]: row for row in services.preview(notice_template, {"name": "Wang"})}["en"]
    assert english["encoding"] == "GSM-7" and english["segments"] == 1 and str(english["cost"]) == "0.0500"


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_email_goes_through_django_mail(org):
    gateway = Gateway.objects.create(
        bank=org.bank_a, name="mail", channel=Channel.EMAIL, kind=Gateway.Kind.SMTP, sender="crm@bank.test"
    )
    template = MessageTemplate.objects.create(
        bank=org.bank_a,
        code="mail",
        name="Mail",
        channel=Channel.EMAIL,
        category=Category.TRANSACTIONAL,
        variables=["name"],
        texts={"zh-hans": {"subject": "通知", "body": "{{name}}"}, "en": {"subject": "Notice", "body": "Hi {{name}}"}},
    )
    who = recipients.Recipient(kind="address", id="li@example.com", bank_id=org.bank_a.pk, email="Li@Example.com", language="en")
    message = services.send(template, who, {"name": "Li"}, dedupe_key="m1")
    services.dispatch_batch(gateway)
    message.refresh_from_db()
    assert message.state == State.SENT
    assert [(m.subject, m.body, m.to) for m in mail.outbox] == [("Notice", "Hi Li", ["li@example.com"])]


def test_send_many_follows_the_same_rules_and_a_rerun_queues_nothing(org, sms_gateway, promo_template):
    day = datetime.datetime(2027, 5, 3, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, the bank's zone
    services.deny(org.bank_a.pk, "+8613800000102")
    numbers = [f"+86138000001{i:02d}" for i in range(5)]
    assert services.send_many(promo_template, "address", numbers, {"name": "A"}, dedupe_prefix="camp1", now=day, chunk=2) == 5
    states = dict(OutboundMessage.objects.values_list("address", "state"))
    assert states["+8613800000102"] == State.SUPPRESSED
    assert [states[n] for n in numbers if n != "+8613800000102"] == [State.QUEUED] * 4
    assert services.send_many(promo_template, "address", numbers, {"name": "A"}, dedupe_prefix="camp1", now=day) == 0
    for i in (2, 3):
        services.send_many(promo_template, "address", numbers[:1], {"name": "A"}, dedupe_prefix=f"camp{i}", now=day)
    services.send_many(promo_template, "address", numbers[:1], {"name": "A"}, dedupe_prefix="camp4", now=day)
    capped = OutboundMessage.objects.get(dedupe_key=f"camp4:{numbers[0]}")
    assert capped.state == State.SUPPRESSED and "Frequency cap" in capped.reason


@pytest.mark.django_db(transaction=True)
def test_the_local_gateway_reports_delivery_to_the_signed_callback(org, live_server, otp_template, settings):
    from ocrm.outbox.localgateway import LocalGateway  # noqa: PLC0415 - only this test starts a reporting gateway
    from tests.support.waiting import wait_for  # noqa: PLC0415

    settings.OUTBOX_CALLBACK_URL = live_server.url
    server = LocalGateway(SECRET, report="delivered", report_delay=0.1).start()
    try:
        gateway = Gateway.objects.create(bank=org.bank_a, name="reporting", url=server.url, secret=SECRET, rate_per_second=100)
        message = services.send(otp_template, person(org, "+8613800000200"), {"code": "9"}, dedupe_key="live")
        services.dispatch_batch(gateway)
        wait_for(lambda: OutboundMessage.objects.get(pk=message.pk).state == State.DELIVERED, "the delivery report", timeout=30)
        assert server.reports_sent and server.reports_sent[0][1] == 200
    finally:
        server.stop()
