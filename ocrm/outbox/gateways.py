"""Gateway adapters: one interface, three real adapters.

``adapter_for(gateway).send(message)`` hands one OutboundMessage over and answers a SendResult:

* ``accepted`` — the gateway took it (its message id kept);
* ``duplicate`` — the gateway already had this idempotency key (a retry after a killed worker):
  the message counts as sent with the id the gateway gives back, nothing is sent twice;
* ``rejected`` — refused for good (bad number, ...): the message fails with the reason;
* ``retry`` — not known whether it arrived (timeout, 5xx, connection refused): the dispatcher
  tries again later with the same idempotency key.

Adapters:

* HttpGateway — HTTP/JSON SMS gateway: POST ``{"to", "text", "sender", "idempotency_key",
  "callback_url"}`` to the gateway's URL over a kept-alive connection, signed with the
  gateway's secret (ocrm.outbox.signing), the idempotency key also in ``Idempotency-Key``.
* SmtpGateway — e-mail through Django's mail framework (smtp://host:port in the gateway's
  address, else the project's EMAIL_BACKEND); the idempotency key is the Message-ID. A 5xx
  refusal (550 no such user) is ``rejected``; 4xx and connection errors are ``retry``. SMTP
  cannot answer "already had it": a message is sent at most once per successful hand-over (a
  sent row is never claimed again) and a retry after an unknown outcome re-sends with the same
  Message-ID, which receiving servers and clients use to drop the copy.
* ConsoleGateway — writes each message as a JSON line to var/outbox-console.jsonl and the log
  (``make run`` without a gateway).
"""

import base64
import http.client
import json
import logging
import os
import smtplib
import socket
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import mail

from ocrm.outbox import signing

log = logging.getLogger(__name__)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"
RETRY = "retry"

HTTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SendResult:
    status: str
    gateway_message_id: str = ""
    detail: str = ""


def callback_base_url():
    """Where gateways call back (delivery reports, inbound STOP): OCRM_OUTBOX_CALLBACK_URL, e.g.
    http://127.0.0.1:8000 (empty: no callbacks asked for)."""
    return getattr(settings, "OUTBOX_CALLBACK_URL", "") or os.environ.get("OCRM_OUTBOX_CALLBACK_URL", "")


class Adapter:
    group_size = 1  # messages handed over in one request (send_group)

    def __init__(self, gateway):
        self.gateway = gateway

    def send(self, message):  # pragma: no cover - the interface
        raise NotImplementedError

    def send_group(self, messages):
        """[SendResult] for the messages, in order (one request where the gateway allows it)."""
        return [self.send(message) for message in messages]

    def close(self):
        pass


class HttpGateway(Adapter):
    group_size = 50  # POST <url>/batch: up to 50 messages a request, each with its own idempotency key

    def __init__(self, gateway):
        super().__init__(gateway)
        parsed = urllib.parse.urlsplit(gateway.url)
        self.scheme, self.host, self.port = parsed.scheme or "http", parsed.hostname or "127.0.0.1", parsed.port
        self.path = parsed.path or "/messages"
        self.connection = None
        base = callback_base_url().rstrip("/")
        self.callback_url = f"{base}/outbox/callbacks/{gateway.pk}/reports/" if base else ""

    def _connect(self):
        if self.connection is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self.connection = cls(self.host, self.port, timeout=HTTP_TIMEOUT_SECONDS)
            self.connection.connect()
            self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.connection

    def _item(self, message):
        return {
            "to": message.address,
            "text": message.body,
            "sender": self.gateway.sender,
            "idempotency_key": str(message.idempotency_key),
            "callback_url": self.callback_url,
        }

    def _post(self, path, payload, extra_headers=None):
        """(status, answer) or (None, error text) when the gateway could not be reached."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **(extra_headers or {}), **signing.headers(self.gateway.secret, body)}
        if self.gateway.username:
            token = base64.b64encode(f"{self.gateway.username}:{self.gateway.secret}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        for attempt in range(2):  # a kept-alive connection the server closed: reconnect once
            try:
                connection = self._connect()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt:
                    return None, f"gateway unreachable: {exc}"[:300]
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        return response.status, answer if isinstance(answer, dict) else {}

    def send_group(self, messages):
        if len(messages) == 1:
            return [self.send(messages[0])]
        status, answer = self._post(self.path.rstrip("/") + "/batch", {"messages": [self._item(m) for m in messages]})
        results = answer.get("results") if status == 200 else None
        if not isinstance(results, list) or len(results) != len(messages):
            return [self._result(status, answer if status is not None else {"error": answer})] * len(messages)
        return [self._result(item.get("status", 200), item) for item in results]

    def send(self, message):
        status, answer = self._post(self.path, self._item(message), {"Idempotency-Key": str(message.idempotency_key)})
        return self._result(status, answer if status is not None else {"error": answer})

    def _result(self, status, answer):
        if status is None:
            return SendResult(RETRY, detail=str(answer.get("error", ""))[:300])
        if status in (200, 201) and answer.get("id"):
            return SendResult(DUPLICATE if answer.get("duplicate") else ACCEPTED, str(answer["id"]))
        if status == 409 and answer.get("id"):
            return SendResult(DUPLICATE, str(answer["id"]))
        if status == 429 or status >= 500:
            return SendResult(RETRY, detail=f"gateway answered {status}")
        return SendResult(REJECTED, detail=str(answer.get("error") or f"gateway answered {status}")[:300])

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class SmtpGateway(Adapter):
    def __init__(self, gateway):
        super().__init__(gateway)
        parsed = urllib.parse.urlsplit(gateway.url or "")
        if parsed.scheme in ("smtp", "smtps") and parsed.hostname:
            self.connection = mail.get_connection(
                "django.core.mail.backends.smtp.EmailBackend",
                host=parsed.hostname,
                port=parsed.port or 25,
                username=gateway.username or None,
                password=gateway.secret or None,
                use_ssl=parsed.scheme == "smtps",
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        else:
            self.connection = mail.get_connection()

    def send(self, message):
        message_id = f"<{message.idempotency_key}@ocrm.outbox>"
        email = mail.EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=self.gateway.sender or settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"Message-ID": message_id},
            connection=self.connection,
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            status = REJECTED if codes and all(500 <= code < 600 for code in codes) else RETRY
            return SendResult(status, detail=f"SMTP: {_smtp_reason(exc.recipients)}"[:300])
        except smtplib.SMTPResponseException as exc:
            status = REJECTED if 500 <= exc.smtp_code < 600 else RETRY
            return SendResult(status, detail=f"SMTP: {exc.smtp_code} {_text(exc.smtp_error)}"[:300])
        except (OSError, mail.BadHeaderError) as exc:
            return SendResult(RETRY, detail=f"SMTP: {exc}"[:300])
        return SendResult(ACCEPTED, message_id)

    def close(self):
        try:
            self.connection.close()
        except (OSError, AttributeError):
            pass


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _smtp_reason(refused):
    return "; ".join(f"{address}: {code} {_text(text)}" for address, (code, text) in refused.items())


class ConsoleGateway(Adapter):
    def send(self, message):
        path = Path(settings.BASE_DIR) / "var" / "outbox-console.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": str(message.idempotency_key),
            "channel": message.channel,
            "to": message.address,
            "subject": message.subject,
            "text": message.body,
        }
        with path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")
        log.info("outbox console: %s to %s: %s", message.channel, message.address, message.body)
        return SendResult(ACCEPTED, str(message.idempotency_key))


ADAPTERS = {"http": HttpGateway, "smtp": SmtpGateway, "console": ConsoleGateway}


def adapter_for(gateway):
    return ADAPTERS[gateway.kind](gateway)
