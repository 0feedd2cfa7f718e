"""Staff messaging (issue 13): the "anything new?" poll when nothing is new, and a conversation
of 10,000 messages (--size large: 100,000) opened by a participant.

Measured through Django's test client (the whole request: middleware, log-in, the view), medians
of --repeat requests (at least 200 for the poll). Targets: the poll <= 1 query and <= 5 ms median
when nothing is new; the conversation page a bounded number of queries (it shows the newest page
and "load earlier": the count does not grow with the conversation), median reported.

The poll's queries are given twice: the whole request, and beyond the request's log-in (the
user's row from the session, and the branch that the time-zone middleware reads for staff
without a zone of their own) - the endpoint itself reads only the cache (docs/messaging.md)."""

import statistics
import time

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.targets import Targets
from sysadmin.org.models import Bank, Branch, Staff
from workbench.messaging import services
from workbench.messaging.models import Conversation, Message
from workbench.messaging.views import PollView

SIZES = {"medium": 10_000, "large": 100_000}
BANK_CODE = "MSB"
AUTH_QUERIES = ('SELECT "sysadmin_staff".', 'SELECT "sysadmin_branch".')


def _branch(bank, code, name, country, zone):
    return Branch.objects.filter(bank=bank, code=code).first() or Branch.objects.create(
        bank=bank, code=code, name_local=name, name_en=name, country=country, timezone=zone, level=Branch.Level.BRANCH
    )


def _staff(username, bank, branch):
    staff, created = Staff.objects.get_or_create(
        username=username, defaults={"bank": bank, "branch": branch, "name_local": username, "must_change_password": False}
    )
    if created:
        staff.set_unusable_password()
        staff.save()
        staff.groups.add(Group.objects.get(name="customer_manager"))
    Staff.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now())  # never "expired" while measured
    return staff


def ensure_data(count):
    bank, _ = Bank.objects.get_or_create(
        code=BANK_CODE,
        defaults={"name_local": "通信基准银行", "name_en": "Messaging bench bank", "head_office_country": "CN"},
    )
    shanghai = _staff("msb.mgr.sh", bank, _branch(bank, "MSB-SH", "上海分行", "CN", "Asia/Shanghai"))
    london = _staff("msb.mgr.ldn", bank, _branch(bank, "MSB-LDN", "London", "GB", "Europe/London"))
    conversation = Conversation.objects.filter(bank=bank, direct_key__startswith=f"{min(shanghai.pk, london.pk)}:").first()
    if conversation is None:
        conversation = services.start_conversation(shanghai, [london], body="第一条消息 first message")
    have = Message.objects.filter(conversation=conversation).count()
    if have < count:
        print(f"generating {count - have} messages for the messaging bench ...", flush=True)
        people = (shanghai, london)
        Message.objects.bulk_create(
            [
                Message(
                    bank=bank,
                    conversation=conversation,
                    sender=people[i % 2],
                    body=f"消息 {i} message about the loan",
                )
                for i in range(have, count)
            ],
            batch_size=5000,
        )
        last = Message.objects.filter(conversation=conversation).order_by("-id").values_list("pk", flat=True).first()
        Conversation.objects.filter(pk=conversation.pk).update(last_message_id=last)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE workbench_message")
    conversation.refresh_from_db()
    return shanghai, london, conversation


def _times(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return ctx.captured_queries


def run(size, repeat, count=None):
    count = count or SIZES[size]
    shanghai, london, conversation = ensure_data(count)
    targets = Targets("messaging")
    client = Client()
    client.force_login(london)
    cache.delete(f"messaging:last:{london.pk}")
    poll = reverse("workbench:messaging_poll")
    last = services.last_message_id(london.pk)

    def poll_once():
        response = client.get(poll, {"since": last})
        assert response.status_code == 204, response.status_code

    poll_ms, poll_p95 = _times(poll_once, max(repeat, 200))
    # The endpoint's own server time: the view alone, the user already authenticated (as the
    # middleware leaves it), without the session, log-in and policy middleware every page shares.
    view = PollView.as_view()
    request = RequestFactory().get(poll, {"since": last})
    request.user = london

    def view_once():
        assert view(request).status_code == 204

    view_ms, view_p95 = _times(view_once, max(repeat, 200))
    captured = _queries(poll_once)
    own = [q for q in captured if not q["sql"].startswith(AUTH_QUERIES)]

    page = reverse("workbench:messaging_conversation", args=[conversation.pk])

    def open_page():
        response = client.get(page)
        assert response.status_code == 200, response.status_code

    page_ms, page_p95 = _times(open_page, repeat)
    page_queries = len(_queries(open_page))
    total = Message.objects.filter(conversation=conversation).count()
    print(f"\nstaff messaging: one conversation of {total} messages; medians through Django's test client\n")
    print(f"{'measure':58} {'median ms':>9} {'p95 ms':>8} {'queries':>8}")
    print(f"{'poll, nothing new (whole request)':58} {poll_ms:9.2f} {poll_p95:8.2f} {len(captured):8d}")
    print(f"{'poll, nothing new: queries beyond the log-in':58} {'':9} {'':8} {len(own):8d}")
    print(f"{'poll, nothing new: the endpoint alone (no middleware)':58} {view_ms:9.2f} {view_p95:8.2f}")
    print(f"{'conversation page (newest 50 + load earlier)':58} {page_ms:9.1f} {page_p95:8.1f} {page_queries:8d}")
    targets.add("poll_queries", len(captured), "", "<=1")
    targets.add("poll_queries_beyond_login", len(own), "", "<=1")
    targets.add("poll_median", poll_ms, "ms", "<=5")
    targets.add("poll_endpoint_median", view_ms, "ms", "<=5")
    targets.add("page10k_queries", page_queries, "", "<=20")
    targets.add("page10k_median", page_ms, "ms", "<=200")
    targets.print()
