"""Dispatch on a real Celery worker against the local gateway: queued messages leave only after
the transaction commits; a worker killed in the middle of a batch loses nothing and, thanks to
the idempotency key, the gateway records no message twice."""

import datetime

import pytest
from django.db import transaction

from ocrm.outbox import recipients, services
from ocrm.outbox.localgateway import LocalGateway
from ocrm.outbox.models import Channel, Gateway, OutboundMessage, State
from ocrm.outbox.tasks import release_and_expire
from tests.ocrm.outbox.conftest import SECRET
from tests.support.waiting import wait_for

pytestmark = pytest.mark.worker


def _people(org, count, prefix):
    return [
        recipients.Recipient(
            kind="address", id=f"{prefix}{i:05d}", bank_id=org.bank_a.pk, phone=f"{prefix}{i:05d}", language="en"
        )
        for i in range(count)
    ]


def _gateway(org, server, rate):
    return Gateway.objects.create(
        bank=org.bank_a, name="local", channel=Channel.SMS, url=server.url, secret=SECRET, rate_per_second=rate
    )


def test_sent_after_commit_and_never_for_a_rollback(celery_worker, org, otp_template):
    server = LocalGateway(SECRET, report="none").start()
    try:
        _gateway(org, server, 1000)
        with transaction.atomic():
            for who in _people(org, 5, "+86139"):
                services.send(otp_template, who, {"code": "42"}, dedupe_key=f"commit:{who.id}")

        class RolledBack(Exception):
            pass

        with pytest.raises(RolledBack), transaction.atomic():
            services.send(otp_template, _people(org, 1, "+86137")[0], {"code": "1"}, dedupe_key="rolled-back")
            raise RolledBack
        wait_for(lambda: OutboundMessage.objects.filter(state=State.SENT).count() == 5, "five messages sent by the worker")
        assert sorted(m["to"] for m in server.accepted()) == [f"+86139{i:05d}" for i in range(5)]
        assert not OutboundMessage.objects.filter(dedupe_key="rolled-back").exists()
    finally:
        server.stop()


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(celery_worker_factory, org, otp_template):
    server = LocalGateway(SECRET, report="none", delay=0.005).start()
    try:
        _gateway(org, server, 100)  # batches of 100 at 100 a second: the kill lands inside a batch
        worker = celery_worker_factory()
        count = 300
        with transaction.atomic():
            for who in _people(org, count, "+44770"):
                services.send(otp_template, who, {"code": "7"}, dedupe_key=f"kill:{who.id}")
        wait_for(lambda: len(server.accepted()) >= 30, "the first worker sending", timeout=60)
        worker.kill()
        before_restart = len(server.accepted())
        assert before_restart < count
        celery_worker_factory()
        release_and_expire.delay()  # what the beat sends every minute
        wait_for(lambda: OutboundMessage.objects.filter(state=State.SENT).count() == count, "every message sent", timeout=120)
        accepted = server.accepted()
        keys = [m["idempotency_key"] for m in accepted]
        assert len(accepted) == count and len(set(keys)) == count  # 0 lost, 0 duplicates
        assert server.duplicates > 0  # the killed batch was tried again, and the gateway said "already have it"
        stored = dict(OutboundMessage.objects.values_list("idempotency_key", "gateway_message_id"))
        assert {str(k): v for k, v in stored.items()} == {m["idempotency_key"]: m["id"] for m in accepted}
    finally:
        server.stop()


def test_held_messages_are_released_by_the_periodic_task(celery_worker, org, notice_template):
    server = LocalGateway(SECRET, report="none").start()
    try:
        _gateway(org, server, 1000)
        night = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
        who = recipients.Recipient(
            kind="address", id="+8613900000001", bank_id=org.bank_a.pk, phone="+8613900000001", time_zone="Asia/Shanghai"
        )
        message = services.send(notice_template, who, {"name": "Li"}, dedupe_key="held", now=night.replace(hour=16, minute=0))
        assert message.state == State.HELD  # 00:00 in Shanghai, yesterday: its morning has come
        release_and_expire.delay().get(timeout=60)
        message.refresh_from_db()
        local_hour = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).hour
        if 8 <= local_hour < 21:
            assert message.state == State.SENT and len(server.accepted()) == 1
        else:  # the test runs during Shanghai's night: the worker holds it again
            assert message.state == State.HELD and not server.accepted()
    finally:
        server.stop()
