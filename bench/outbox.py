"""The outbox (issue 13): dispatch through the local SMS gateway, bulk queuing, a killed worker.

* dispatch rate — N queued SMS sent by ONE real Celery worker (-c 1) through the local gateway
  (ocrm.outbox.localgateway on 127.0.0.1, in this process), the gateway's rate limit at 1000/s.
  Target: >= 200 messages/s.
* bulk queuing — a batch of recipients queued with services.send_many (--size medium 50k,
  large 1M). Target for 1M: <= 5 minutes (medium is scaled to the same per-recipient pace:
  the figure printed is the projected time for 1M).
* killed worker — 2000 messages, the worker SIGKILLed after ~25% reached the gateway, a new
  worker started: lost (never accepted) and duplicates (accepted twice by the gateway).
  Targets: 0 and 0.

Its own bank ("OBX") is generated the first time; every round starts from an empty outbox
of that bank."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from celery import current_app
from django.db import connection

from bench.targets import Targets
from ocrm.outbox import services
from ocrm.outbox.localgateway import LocalGateway
from ocrm.outbox.models import Category, Channel, Gateway, MessageEvent, MessageTemplate, OutboundMessage, Purpose, State
from sysadmin.org.models import Bank, Branch

SIZES = {"medium": {"dispatch": 5_000, "bulk": 50_000}, "large": {"dispatch": 20_000, "bulk": 1_000_000}}
SECRET = "bench-secret"
BANK_CODE = "OBX"
ROOT = Path(__file__).resolve().parent.parent


def ensure_bank():
    bank, _ = Bank.objects.get_or_create(
        code=BANK_CODE,
        defaults={
            "name_local": "短信基准银行",
            "name_en": "Outbox bench bank",
            "base_currency": "CNY",
            "head_office_country": "CN",
        },
    )
    if not Branch.objects.filter(bank=bank).exists():
        Branch.objects.create(
            bank=bank,
            code="OBX-HO",
            name_local="总行",
            name_en="Head office",
            country="CN",
            timezone="Asia/Shanghai",
            level=Branch.Level.HEAD_OFFICE,
        )
    template, _ = MessageTemplate.objects.get_or_create(
        bank=bank,
        code="bench-otp",
        defaults={
            "name": "Bench",
            "purpose": Purpose.SERVICE,
            "category": Category.TRANSACTIONAL,  # no quiet hours: the bench runs at any hour
            "variables": ["code"],
            "texts": {"zh-hans": {"body": "验证码 {{code}}"}, "en": {"body": "Code {{code}}"}},
        },
    )
    return bank, template


def reset(bank, gateway_url):
    with connection.cursor() as cursor:  # set-based: Django's delete() would walk every row
        cursor.execute(
            f"DELETE FROM {MessageEvent._meta.db_table} WHERE message_id IN "
            f"(SELECT id FROM {OutboundMessage._meta.db_table} WHERE bank_id = %s)",
            [bank.pk],
        )
        cursor.execute(f"DELETE FROM {OutboundMessage._meta.db_table} WHERE bank_id = %s", [bank.pk])
    Gateway.objects.filter(bank=bank).delete()
    return Gateway.objects.create(
        bank=bank, name="local", channel=Channel.SMS, url=gateway_url, secret=SECRET, rate_per_second=1000
    )


class Worker:
    def __init__(self):
        self.name = f"bench-outbox-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
        self.log = open(ROOT / "var" / "bench-outbox-worker.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ocrm", "worker", "-l", "warning", "-c", "1", "-P", "prefork", "-n", self.name,
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=os.environ.copy(), stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if current_app.control.ping(destination=[self.name], limit=1, timeout=0.5):
                return
        raise RuntimeError("the bench worker did not start; see var/bench-outbox-worker.log")

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        self.kill()
        self.log.close()


def wait(condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def sent_count(bank):
    return OutboundMessage.objects.filter(bank=bank, state=State.SENT).count()


def queue(bank, template, count, prefix):
    numbers = [f"+8613{i:09d}" for i in range(count)]
    services.send_many(template, "address", numbers, {"code": "123456"}, dedupe_prefix=prefix)


def run(size="medium", repeat=None):
    (ROOT / "var").mkdir(exist_ok=True)
    sizes = SIZES[size]
    targets = Targets("outbox")
    bank, template = ensure_bank()
    current_app.control.purge()

    # 1. Dispatch rate with one worker.
    server = LocalGateway(SECRET, report="none").start()
    try:
        reset(bank, server.url)
        queue(bank, template, sizes["dispatch"], "rate")
        connection.close()
        worker = Worker()
        try:
            started = time.perf_counter()
            current_app.send_task(services.DISPATCH_TASK)
            done = wait(lambda: sent_count(bank) >= sizes["dispatch"], timeout=600)
            elapsed = time.perf_counter() - started
        finally:
            worker.stop()
        rate = sizes["dispatch"] / elapsed if done else sent_count(bank) / elapsed
        print(f"dispatch: {sizes['dispatch']} SMS in {elapsed:.1f} s with one worker = {rate:.0f}/s", flush=True)
        targets.add("dispatch_rate", rate, "/s", ">=200")
    finally:
        server.stop()

    # 2. Queuing a large batch.
    server = LocalGateway(SECRET, report="none").start()
    try:
        reset(bank, "http://127.0.0.1:9/messages")  # nobody sends during the measurement
        current_app.control.purge()
        numbers = [f"+8615{i:09d}" for i in range(sizes["bulk"])]
        started = time.perf_counter()
        queued = services.send_many(template, "address", numbers, {"code": "1"}, dedupe_prefix="bulk")
        elapsed = time.perf_counter() - started
        projected = elapsed * 1_000_000 / sizes["bulk"]
        print(f"queuing: {queued} recipients in {elapsed:.1f} s (1M projected: {projected:.0f} s)", flush=True)
        targets.add("queue_1m_seconds", projected, "s", "<=300")
        current_app.control.purge()
    finally:
        server.stop()

    # 3. A killed worker: nothing lost, nothing twice at the gateway.
    server = LocalGateway(SECRET, report="none", delay=0.002).start()
    count = 2000
    try:
        gateway = reset(bank, server.url)
        Gateway.objects.filter(pk=gateway.pk).update(rate_per_second=400)
        queue(bank, template, count, "kill")
        connection.close()
        first = Worker()
        current_app.send_task(services.DISPATCH_TASK)
        wait(lambda: len(server.accepted()) >= count // 4, timeout=120)
        first.kill()
        first.stop()
        second = Worker()
        try:
            current_app.send_task(services.DISPATCH_TASK)
            wait(lambda: sent_count(bank) >= count, timeout=300)
        finally:
            second.stop()
        accepted = server.accepted()
        keys = {m["idempotency_key"] for m in accepted}
        lost = count - len(keys)
        duplicates = len(accepted) - len(keys)
        print(
            f"killed worker: {len(accepted)} accepted, {len(keys)} distinct, gateway refused {server.duplicates} retries",
            flush=True,
        )
        targets.add("killed_worker_lost", lost, "", "<=0")
        targets.add("killed_worker_duplicates", duplicates, "", "<=0")
    finally:
        server.stop()
        current_app.control.purge()
    targets.print()
