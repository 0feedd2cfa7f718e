"""The messaging pages: participants only (404 for everyone else, other banks included), the
poll endpoint's cost and answers, a 10,000-message conversation in a bounded number of queries,
the auditors' search and audited export, and the 360 section."""

import io
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ocrm.audit.models import AuditLog
from sysadmin.org.models import Staff
from tests.factories import make_customer, make_staff
from workbench.messaging import services
from workbench.messaging.models import Conversation, Message, Participant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

AUTH_QUERIES = ('SELECT "sysadmin_staff".', 'SELECT "sysadmin_branch".')


@pytest.fixture
def london(org):
    return make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"], language="en")


@pytest.fixture
def conversation(org, london, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.start_conversation(org.manager, [london], body="Good morning from Shanghai")


def _as(client, user):
    client.force_login(user)
    return client


def test_participants_read_the_conversation_everyone_else_gets_404(org, london, conversation, client):
    url = reverse("workbench:messaging_conversation", args=[conversation.pk])
    response = _as(client, london).get(url)
    assert response.status_code == 200
    assert "Good morning from Shanghai" in response.text
    for outsider in (org.supervisor, org.manager_bj, org.admin, org.auditor, org.b_manager, org.b_supervisor):
        client.force_login(outsider)
        for name in ("messaging_conversation", "messaging_earlier", "messaging_since"):
            assert client.get(reverse(f"workbench:{name}", args=[conversation.pk])).status_code == 404, (outsider, name)
        assert client.post(reverse("workbench:messaging_send", args=[conversation.pk]), {"body": "x"}).status_code == 404
        assert client.post(reverse("workbench:messaging_hide", args=[conversation.pk])).status_code == 404
    assert Message.objects.count() == 1


def test_the_header_shows_the_other_persons_local_time_and_working_status(org, london, conversation, client):
    response = _as(client, org.manager).get(reverse("workbench:messaging_conversation", args=[conversation.pk]))
    assert "Europe/London" in response.text
    assert 'data-reason="' in response.text
    assert "for the sender" not in response.text  # my own message: no "sender's time"
    response = _as(client, london).get(reverse("workbench:messaging_conversation", args=[conversation.pk]))
    assert "for the sender, Asia/Shanghai" in response.text


def test_send_hide_and_show_again(org, london, conversation, client):
    _as(client, org.manager)
    response = client.post(reverse("workbench:messaging_hide", args=[conversation.pk]))
    assert response.status_code == 302
    assert "Good morning" not in client.get(reverse("workbench:messaging_list")).text.split("conversation-list")[1]
    client.force_login(london)
    response = client.post(reverse("workbench:messaging_send", args=[conversation.pk]), {"body": "Reply from London"})
    assert response.status_code == 302
    assert not Participant.objects.filter(conversation=conversation, hidden=True).exists()
    # An empty message is refused on the field, never a 500.
    response = client.post(reverse("workbench:messaging_send", args=[conversation.pk]), {"body": "  "})
    assert response.status_code == 200 and "Write a message or attach a file." in response.text
    # No URL deletes a message or a conversation.
    assert not [name for name in ("messaging_delete", "messaging_message_delete") if _resolves(name)]


def _resolves(name):
    try:
        reverse(f"workbench:{name}", args=[1])
    except Exception:  # noqa: BLE001 - NoReverseMatch: the URL does not exist
        return False
    return True


def test_a_bad_attachment_is_refused_with_a_clear_message(org, conversation, client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _as(client, org.manager)
    upload = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 an executable")
    response = client.post(reverse("workbench:messaging_send", args=[conversation.pk]), {"body": "", "attachment": upload})
    assert response.status_code == 200
    assert "report.pdf is not a PDF, image (PNG, JPEG, GIF) or Office file" in response.text
    assert Message.objects.count() == 1


def test_poll_answers_204_with_at_most_one_query_when_nothing_is_new(org, london, conversation, client):
    _as(client, london)
    url = reverse("workbench:messaging_poll")
    last = conversation.last_message_id
    client.get(url, {"since": last})  # the session and the user are warm, as on a page that polls
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"since": last})
    assert response.status_code == 204
    # The endpoint itself reads only the cache: no query of its own. The request's log-in costs the
    # user's row, read with their branch (sysadmin.accounts.auth): one query in all.
    own = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(AUTH_QUERIES)]
    assert own == []
    assert len(ctx.captured_queries) <= 1, [q["sql"] for q in ctx.captured_queries]
    Staff.objects.filter(pk=london.pk).update(time_zone="Europe/London")  # a zone of their own: the user row only
    client.get(url, {"since": last})
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, {"since": last}).status_code == 204
    assert len(ctx.captured_queries) <= 1, [q["sql"] for q in ctx.captured_queries]
    # Something new: the poller with the new id and the event the page listens to.
    message = Message.objects.create(bank=org.bank_a, conversation=conversation, sender=org.manager, body="direct")
    services._announce([london.pk], message.pk)
    response = client.get(url, {"since": last})
    assert response.status_code == 200
    assert response["HX-Trigger"] == "messaging-new"
    assert f"since={message.pk}" in response.text
    assert client.get(url, {"since": message.pk}).status_code == 204


def test_a_page_left_alone_stops_polling_at_the_idle_time_out(org, london, conversation, client):
    _as(client, london)
    page = client.get(reverse("workbench:messaging_conversation", args=[conversation.pk]))
    assert "until=" in page.text  # the page polls until the session's idle time-out
    url = reverse("workbench:messaging_poll")
    since = conversation.last_message_id
    assert client.get(url, {"since": since, "until": int(time.time()) + 60}).status_code == 204
    assert client.get(url, {"since": since, "until": int(time.time()) - 1}).status_code == 286  # htmx: stop polling
    assert client.get(url, {"since": "junk", "until": "x"}).status_code == 200  # a bad value is not an error


def test_new_messages_arrive_after_the_tail(org, london, conversation, client):
    message = services.send_message(conversation, org.manager, "second")
    response = _as(client, london).get(
        reverse("workbench:messaging_since", args=[conversation.pk]), {"after": conversation.last_message_id - 1}
    )
    assert "second" in response.text and f"after={message.pk}" in response.text
    response = client.post(reverse("workbench:messaging_read", args=[conversation.pk]), {"up_to": message.pk})
    assert response.status_code == 204
    assert Participant.objects.get(conversation=conversation, user=london).last_read_id == message.pk


def test_a_conversation_of_10000_messages_opens_in_a_bounded_number_of_queries(
    org, london, conversation, client, django_assert_max_num_queries
):
    Message.objects.bulk_create(
        [Message(bank=org.bank_a, conversation=conversation, sender=org.manager, body=f"m{i}") for i in range(10_000)],
        batch_size=2000,
    )
    last = Message.objects.filter(conversation=conversation).order_by("-id").first()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_id=last.pk)
    _as(client, london)
    url = reverse("workbench:messaging_conversation", args=[conversation.pk])
    client.get(url)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.text.count('class="message ') == services.PAGE_SIZE
    assert "m9999" in response.text and "Load earlier messages" in response.text
    first_shown = Message.objects.filter(conversation=conversation).order_by("-id")[services.PAGE_SIZE - 1].pk
    with django_assert_max_num_queries(15):
        response = client.get(reverse("workbench:messaging_earlier", args=[conversation.pk]), {"before": first_shown})
    assert response.text.count('class="message ') == services.PAGE_SIZE
    assert "m9900<" in response.text and "m9949<" in response.text
    assert "m9899<" not in response.text and "m9950<" not in response.text


def test_the_auditor_searches_the_bank_and_exports_one_conversation_audited(org, london, conversation, client):
    services.send_message(conversation, london, "贷款 question")
    other = services.start_conversation(org.manager_bj, [london], body="贷款 again")
    _as(client, org.auditor)
    response = client.get(reverse("workbench:messaging_audit"), {"q": "贷款"})
    assert response.status_code == 200
    assert f">#{conversation.pk}<" in response.text and f">#{other.pk}<" in response.text
    response = client.get(reverse("workbench:messaging_audit_conversation", args=[conversation.pk]))
    assert response.status_code == 200 and "Good morning from Shanghai" in response.text
    assert AuditLog.objects.filter(detail__event="conversation_read_by_auditor", actor=org.auditor).count() == 1
    response = client.get(reverse("workbench:messaging_audit_export", args=[conversation.pk]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Sent", "Sender") and [r[3] for r in rows[1:]] == ["Good morning from Shanghai", "贷款 question"]
    export = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=org.auditor)
    assert export.detail["conversation"] == conversation.pk and export.detail["rows"] == 2
    # Not an auditor: 403; another bank's auditor-like user: 404.
    client.force_login(org.supervisor)
    assert client.get(reverse("workbench:messaging_audit_export", args=[conversation.pk])).status_code == 403
    b_auditor = make_staff("b.auditor", branch=org.b_hk, roles=["auditor"])
    client.force_login(b_auditor)
    assert client.get(reverse("workbench:messaging_audit_export", args=[conversation.pk])).status_code == 404
    assert client.get(reverse("workbench:messaging_audit"), {"q": "贷款"}).text.count("贷款 ") == 0


def test_the_360_section_shows_linked_conversations_to_participants_who_see_the_customer(org, london, client):
    customer = make_customer("C-MSG-360", org.a_sh, org.manager)
    conversation = services.start_conversation(org.manager, [london], customer_number="C-MSG-360", body="about the loan")
    url = reverse("customers:detail", args=[customer.number])
    response = _as(client, org.manager).get(url)
    assert reverse("workbench:messaging_conversation", args=[conversation.pk]) in response.text
    # The supervisor sees the customer but is not in the conversation.
    response = _as(client, org.supervisor).get(url)
    assert response.status_code == 200
    assert reverse("workbench:messaging_conversation", args=[conversation.pk]) not in response.text
    # London is in the conversation but does not see the customer.
    assert _as(client, london).get(url).status_code == 404


def test_the_navigation_shows_the_unread_count(org, london, conversation, client):
    response = _as(client, london).get(reverse("workbench:messaging_list"))
    assert 'Messages\n              <span class="badge text-bg-danger">1</span>' in response.text or (
        '<span class="badge text-bg-danger">1</span>' in response.text
    )
