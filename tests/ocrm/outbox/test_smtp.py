"""The SMTP adapter against a real SMTP server (aiosmtpd) on 127.0.0.1: the e-mail arrives with
the subject and text in the recipient's language, a 550 refusal fails the message with the
server's reason, a 451 is retried with the same Message-ID, and a sent message is never sent again."""

import datetime
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from ocrm.outbox import recipients, services
from ocrm.outbox.models import Category, Channel, Gateway, MessageTemplate, OutboundMessage, Purpose, State


class RecordingHandler:
    """Keeps every accepted message; refuses `refused` for good (550) and `busy` once (451)."""

    def __init__(self):
        self.messages = []
        self.refused = set()
        self.busy = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such user here"
        if address in self.busy:
            self.busy.discard(address)
            return "451 4.3.2 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": parsed})
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def email_gateway(org, smtp_server):
    return Gateway.objects.create(
        bank=org.bank_a,
        name="local smtp",
        channel=Channel.EMAIL,
        kind=Gateway.Kind.SMTP,
        url=f"smtp://127.0.0.1:{smtp_server.port}",
        sender="crm@bank-a.example",
        rate_per_second=1000,
    )


@pytest.fixture
def code_mail(org):
    return MessageTemplate.objects.create(
        bank=org.bank_a,
        code="mail-code",
        name="Sign-in code",
        channel=Channel.EMAIL,
        purpose=Purpose.SERVICE,
        category=Category.TRANSACTIONAL,
        variables=["code"],
        texts={
            "zh-hans": {"subject": "您的验证码", "body": "您的验证码是 {{ code }}。"},
            "en": {"subject": "Your sign-in code", "body": "Your code is {{ code }}."},
        },
    )


def mailbox(org, address, language):
    return recipients.Recipient(kind="address", id=address, bank_id=org.bank_a.pk, email=address, language=language)


def test_the_email_arrives_in_the_recipients_language_and_is_sent(org, email_gateway, code_mail, smtp_server):
    english = services.send(code_mail, mailbox(org, "li@example.com", "en"), {"code": "123456"})
    chinese = services.send(code_mail, mailbox(org, "wang@example.com", "zh-hans"), {"code": "654321"})
    assert services.dispatch_batch(email_gateway) == {State.SENT: 2}
    got = {m["to"][0]: m for m in smtp_server.handler.messages}
    assert set(got) == {"li@example.com", "wang@example.com"}
    assert got["li@example.com"]["message"]["Subject"] == "Your sign-in code"
    assert got["li@example.com"]["message"].get_content().strip() == "Your code is 123456."
    assert got["wang@example.com"]["message"]["Subject"] == "您的验证码"
    assert got["wang@example.com"]["message"].get_content().strip() == "您的验证码是 654321。"
    assert got["li@example.com"]["from"] == "crm@bank-a.example"
    for message in (english, chinese):
        message.refresh_from_db()
        assert message.state == State.SENT
        assert message.gateway_message_id == f"<{message.idempotency_key}@ocrm.outbox>"
        assert got[message.address]["message"]["Message-ID"] == message.gateway_message_id


def test_a_refused_recipient_fails_with_the_servers_reason(org, email_gateway, code_mail, smtp_server):
    smtp_server.handler.refused.add("nobody@example.com")
    message = services.send(code_mail, mailbox(org, "nobody@example.com", "en"), {"code": "1"})
    services.dispatch_batch(email_gateway)
    message.refresh_from_db()
    assert message.state == State.FAILED
    assert "550" in message.reason and "No such user here" in message.reason
    assert message.attempts == 1  # refused for good: not retried
    assert smtp_server.handler.messages == []
    later = timezone.now() + datetime.timedelta(hours=1)
    assert services.dispatch_batch(email_gateway, now=later) == {}


def test_a_retry_sends_one_email_with_the_same_message_id_and_a_sent_message_never_again(
    org, email_gateway, code_mail, smtp_server
):
    """SMTP has no "already had it" answer, so what the adapter guarantees is: a temporary
    refusal (451) is retried later with the same Message-ID, and once the server accepted the
    e-mail the message is sent and never handed over again, however often the dispatcher runs."""
    smtp_server.handler.busy.add("li@example.com")
    now = timezone.now()
    message = services.send(code_mail, mailbox(org, "li@example.com", "en"), {"code": "42"}, now=now)
    services.dispatch_batch(email_gateway, now=now)
    message.refresh_from_db()
    assert message.state == State.SENDING and "451" in message.reason
    assert smtp_server.handler.messages == []
    retry_at = message.next_attempt_at
    assert services.dispatch_batch(email_gateway, now=now) == {}  # not before its next attempt
    assert services.dispatch_batch(email_gateway, now=retry_at) == {State.SENT: 1}
    for hours in (1, 2, 24):
        assert services.dispatch_batch(email_gateway, now=retry_at + datetime.timedelta(hours=hours)) == {}
    assert len(smtp_server.handler.messages) == 1
    message.refresh_from_db()
    assert message.state == State.SENT and message.attempts == 2
    assert smtp_server.handler.messages[0]["message"]["Message-ID"] == f"<{message.idempotency_key}@ocrm.outbox>"
    assert OutboundMessage.objects.filter(address="li@example.com").count() == 1
