"""Announcement pages: the reader's list, detail (opened), acknowledge and history; the publisher's
form, attachments, publish, withdraw and reach with its export; scope 404s and bounded query counts."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ocrm.audit.models import AuditLog
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_staff
from workbench.announcements import services
from workbench.announcements.models import Announcement, AnnouncementReceipt

pytestmark = pytest.mark.django_db


def logged_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def make(actor, **overrides):
    values = {
        "kind": Announcement.Kind.SERVICE,
        "title": "服务通告",
        "body": "<p>正文</p>",
        "bank_wide": False,
        "branches": [],
        "roles": [],
        "valid_from": timezone.now() - datetime.timedelta(minutes=1),
        "valid_until": None,
        "pinned": False,
        "requires_ack": False,
    }
    values.update(overrides)
    announcement = services.save_announcement(actor, values)
    return services.publish(announcement.pk, actor)


def test_the_reader_sees_pinned_first_and_opens_and_acknowledges(org, client):
    older = make(org.supervisor, branches=[org.a_sh], title="Older notice", requires_ack=True)
    pinned = make(
        org.supervisor,
        branches=[org.a_sh],
        title="Pinned notice",
        pinned=True,
        valid_from=timezone.now() - datetime.timedelta(days=2),
    )
    logged_in(client, org.manager)
    text = client.get(reverse("workbench:announcements")).content.decode()
    assert text.index("Pinned notice") < text.index("Older notice")
    assert 'href="/workbench/announcements/"' in text  # the navigation entry
    response = client.get(reverse("workbench:announcement_detail", args=[older.pk]))
    assert response.status_code == 200 and "I have read and understood" in response.content.decode()
    receipt = AnnouncementReceipt.objects.get(announcement=older, staff=org.manager)
    assert receipt.opened_at is not None and receipt.acknowledged_at is None
    response = client.post(reverse("workbench:announcement_acknowledge", args=[older.pk]), follow=True)
    assert "your acknowledgement is recorded" in response.content.decode()
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is not None
    assert pinned.pk


def test_scope_a_person_outside_the_audience_gets_404(org, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draft = services.save_announcement(
        org.supervisor,
        {"kind": "service", "title": "SH only", "body": "", "branches": [org.a_sh], "valid_from": timezone.now()},
    )
    attachment = services.add_attachment(draft, SimpleUploadedFile("a.pdf", b"%PDF-1"), org.supervisor)
    a = services.publish(draft.pk, org.supervisor)
    for person in (org.manager_bj, org.b_manager, org.b_admin):
        logged_in(client, person)
        assert client.get(reverse("workbench:announcement_detail", args=[a.pk])).status_code == 404
        assert client.post(reverse("workbench:announcement_acknowledge", args=[a.pk])).status_code == 404
        assert client.get(reverse("workbench:announcement_attachment", args=[attachment.pk])).status_code == 404
        assert "SH only" not in client.get(reverse("workbench:announcements")).content.decode()
    # Another supervisor's subtree and another bank: the publisher's pages are 404 too.
    logged_in(client, org.b_admin)
    assert client.get(reverse("workbench:announcement_manage", args=[a.pk])).status_code == 404
    assert client.get(reverse("workbench:announcement_reach", args=[a.pk])).status_code == 404
    assert client.post(reverse("workbench:announcement_withdraw", args=[a.pk])).status_code == 404
    logged_in(client, org.manager)
    assert client.get(reverse("workbench:announcement_attachment", args=[attachment.pk])).status_code == 200
    assert client.get(reverse("workbench:announcement_reach", args=[a.pk])).status_code == 403  # not a publisher


def test_the_publisher_writes_attaches_and_publishes(org, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logged_in(client, org.supervisor)
    response = client.post(
        reverse("workbench:announcement_create"),
        {"kind": "business", "title": "新的通知", "body": "<p>hi<script>x()</script></p>", "branches": [org.a_sh.pk]},
    )
    a = Announcement.objects.get(title="新的通知")
    assert response["Location"] == reverse("workbench:announcement_manage", args=[a.pk])
    assert a.body == "<p>hi</p>" and a.status == Announcement.Status.DRAFT
    # Attachment: a clear message naming the field when the content is not accepted.
    response = client.post(
        reverse("workbench:announcement_attach", args=[a.pk]), {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")}
    )
    assert "x.pdf is not a PDF" in response.content.decode()
    SystemParameter.objects.create(bank=org.bank_a, key=services.MAX_ATTACHMENT_BYTES_PARAM, value_type="int", value="10")
    response = client.post(
        reverse("workbench:announcement_attach", args=[a.pk]), {"file": SimpleUploadedFile("y.pdf", b"%PDF-" + b"0" * 20)}
    )
    assert "at most 10 bytes" in response.content.decode()
    # A branch outside the subtree: the form names the field.
    response = client.post(
        reverse("workbench:announcement_manage", args=[a.pk]), {"kind": "business", "title": "x", "branches": [org.a_bj.pk]}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    client.post(reverse("workbench:announcement_publish", args=[a.pk]))
    a.refresh_from_db()
    assert a.status == Announcement.Status.PUBLISHED
    text = client.get(reverse("workbench:announcement_manage", args=[a.pk])).content.decode()
    assert 'id="announcement-form"' not in text and "Withdraw" in text


def test_bank_wide_publishing_waits_for_the_checker(org, client):
    logged_in(client, org.marketing_manager)
    client.post(reverse("workbench:announcement_create"), {"kind": "marketing", "title": "全行理财节", "bank_wide": "on"})
    a = Announcement.objects.get(title="全行理财节")
    response = client.post(reverse("workbench:announcement_publish", args=[a.pk]), follow=True)
    assert "waits for approval" in response.content.decode()
    a.refresh_from_db()
    logged_in(client, org.manager)
    assert client.get(reverse("workbench:announcement_detail", args=[a.pk])).status_code == 404
    logged_in(client, org.admin)
    inbox = client.get(reverse("workbench:inbox")).content.decode()
    assert "Publish a bank-wide announcement" in inbox
    client.post(reverse("workbench:approve"), {"only": a.change_request_id, "next": reverse("workbench:inbox")})
    a.refresh_from_db()
    assert a.status == Announcement.Status.PUBLISHED
    logged_in(client, org.manager)
    assert client.get(reverse("workbench:announcement_detail", args=[a.pk])).status_code == 200


def test_history_search_finds_an_expired_announcement_by_two_chinese_characters(org, client):
    a = make(org.supervisor, branches=[org.a_sh], title="年终结算安排", valid_until=timezone.now() + datetime.timedelta(hours=1))
    Announcement.objects.filter(pk=a.pk).update(valid_until=timezone.now() - datetime.timedelta(minutes=1))
    logged_in(client, org.manager)
    assert "年终结算安排" not in client.get(reverse("workbench:announcements")).content.decode()
    text = client.get(reverse("workbench:announcement_history"), {"q": "结算"}).content.decode()
    assert "年终结算安排" in text and "Expired" in text
    assert "年终结算安排" not in client.get(reverse("workbench:announcement_history"), {"q": "理财"}).content.decode()
    assert client.get(reverse("workbench:announcement_detail", args=[a.pk])).status_code == 200  # still readable


def test_reach_page_and_export(org, client):
    a = make(org.admin, branches=[org.a_cn], requires_ack=True, title="Reach me")
    services.acknowledge(a.pk, org.manager)
    logged_in(client, org.admin)
    text = client.get(reverse("workbench:announcement_reach", args=[a.pk])).content.decode()
    assert "5 people in the audience, 1 opened, 1 acknowledged." in text
    assert 'data-username="a.mgr.bj"' in text and 'data-username="a.mgr.sh"' not in text
    response = client.get(reverse("workbench:announcement_reach", args=[a.pk]), {"missing": "ack", "export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    names = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"a.sup.sh", "a.mgr.sh1", "a.mgr.bj", "a.teller"}
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, bank_id=org.bank_a.pk).exists()


def test_query_counts_are_bounded(org, client, django_assert_max_num_queries):
    """The same few queries whatever the number of announcements, attachments or people (6 to 9 today)."""
    for i in range(15):
        make(org.admin, branches=[org.a_sh], title=f"Notice {i}", requires_ack=bool(i % 2), pinned=i == 3)
    a = Announcement.objects.order_by("pk").first()
    logged_in(client, org.manager)
    pages = [
        (reverse("workbench:announcements"), 8),
        (reverse("workbench:announcement_detail", args=[a.pk]), 8),
        (reverse("workbench:announcement_history") + "?q=Notice", 8),
    ]
    for url, ceiling in pages:
        client.get(url)  # warm caches (permissions, the navigation's badge)
        with django_assert_max_num_queries(ceiling):
            response = client.get(url)
        assert response.status_code == 200
    assert client.get(reverse("workbench:announcements")).content.decode().count("data-announcement=") == 15
    logged_in(client, org.admin)
    pages = [
        (reverse("workbench:announcement_reach", args=[a.pk]), 10),
        (reverse("workbench:announcement_manage_list"), 9),
        (reverse("workbench:announcement_manage", args=[a.pk]), 11),
    ]
    for url, ceiling in pages:
        client.get(url)
        with django_assert_max_num_queries(ceiling):
            response = client.get(url)
        assert response.status_code == 200


def test_publishers_manage_their_own_subtrees_announcements_only(org, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sup_bj = make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])
    a = make(org.supervisor, branches=[org.a_sh], title="Shanghai only")
    logged_in(client, sup_bj)
    assert "Shanghai only" not in client.get(reverse("workbench:announcement_manage_list")).content.decode()
    assert client.get(reverse("workbench:announcement_manage", args=[a.pk])).status_code == 404
    assert client.get(reverse("workbench:announcement_reach", args=[a.pk])).status_code == 404
    assert client.get(reverse("workbench:announcement_detail", args=[a.pk])).status_code == 404
    logged_in(client, org.admin)  # head office manages the bank's announcements
    assert "Shanghai only" in client.get(reverse("workbench:announcement_manage_list")).content.decode()
    text = client.get(reverse("workbench:announcement_detail", args=[a.pk])).content.decode()
    assert "Preview" in text and "I have read and understood" not in text  # not addressed to head office
    assert not AnnouncementReceipt.objects.filter(staff=org.admin).exists()


def test_a_draft_is_edited_and_its_attachment_removed(org, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    logged_in(client, org.supervisor)
    client.post(reverse("workbench:announcement_create"), {"kind": "service", "title": "Draft one", "branches": [org.a_sh.pk]})
    a = Announcement.objects.get(title="Draft one")
    response = client.post(
        reverse("workbench:announcement_manage", args=[a.pk]),
        {"kind": "marketing", "title": "Draft two", "branches": [org.a_sh_sub.pk], "pinned": "on"},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.title, a.kind, a.pinned) == ("Draft two", "marketing", True)
    assert list(a.targets.values_list("branch_id", flat=True)) == [org.a_sh_sub.pk]
    client.post(
        reverse("workbench:announcement_attach", args=[a.pk]), {"file": SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n..")}
    )
    attachment = a.attachments.get()
    assert attachment.content_type == "image/png"
    client.post(reverse("workbench:announcement_attachment_remove", args=[attachment.pk]))
    assert not a.attachments.exists()
    assert AuditLog.objects.filter(detail__event="announcement_attachment_removed").exists()
    # Published, it can no longer be changed.
    client.post(reverse("workbench:announcement_publish", args=[a.pk]))
    response = client.post(
        reverse("workbench:announcement_manage", args=[a.pk]), {"kind": "marketing", "title": "Sneaky", "branches": [org.a_sh.pk]}
    )
    assert "Only a draft can be changed" in response.content.decode()
    a.refresh_from_db()
    assert a.title == "Draft two"
