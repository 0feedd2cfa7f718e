"""Announcements: audience (bank, subtree, roles, never another bank), approval of bank-wide ones
before anyone sees them, the validity window and the history's Chinese search, acknowledgement
with its time, sanitising, attachments (type by content, size cap) and the daily reminders with
the supervisors' escalation (idempotent)."""

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.errors import NotVisible
from ocrm.notifications.models import Notification
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_staff
from workbench import desk
from workbench.announcements import services, tasks
from workbench.announcements.models import Announcement, AnnouncementReceipt

pytestmark = pytest.mark.django_db


def data(**overrides):
    values = {
        "kind": Announcement.Kind.BUSINESS,
        "title": "柜面业务调整通知",
        "body": "<p>自下周一起，<strong>外汇业务</strong>办理时间调整。</p>",
        "bank_wide": False,
        "branches": [],
        "roles": [],
        "valid_from": timezone.now() - datetime.timedelta(minutes=1),
        "valid_until": None,
        "pinned": False,
        "requires_ack": False,
    }
    values.update(overrides)
    return values


def published(actor, **overrides):
    announcement = services.save_announcement(actor, data(**overrides))
    return services.publish(announcement.pk, actor)


def reader_ids(announcement):
    return set(services.audience_of(announcement).values_list("username", flat=True))


def sees(user, announcement):
    return Announcement.objects.for_reader(user).current().filter(pk=announcement.pk).exists()


# --- audience -------------------------------------------------------------------------------------------


def test_a_subtree_announcement_reaches_the_subtree_only_and_never_another_bank(org):
    a = published(org.supervisor, branches=[org.a_sh])
    assert a.status == Announcement.Status.PUBLISHED
    assert sees(org.manager, a) and sees(org.manager_sub, a) and sees(org.teller, a)  # A-SH and A-SH-1
    assert not sees(org.manager_bj, a)
    assert not sees(org.b_manager, a)
    assert reader_ids(a) == {"a.sup.sh", "a.mgr.sh", "a.mgr.sh1", "a.teller"}


def test_roles_narrow_the_audience(org):
    managers = Group.objects.get(name="customer_manager")
    a = published(org.admin, branches=[org.a_cn], roles=[managers])
    assert reader_ids(a) == {"a.mgr.sh", "a.mgr.sh1", "a.mgr.bj"}
    assert sees(org.manager_bj, a) and not sees(org.supervisor, a) and not sees(org.teller, a)


def test_a_left_or_inactive_person_is_not_in_the_audience(org):
    gone = make_staff("a.mgr.gone", branch=org.a_sh, roles=["customer_manager"], status="left")
    a = published(org.supervisor, branches=[org.a_sh])
    assert gone.username not in reader_ids(a)


def test_a_supervisor_addresses_only_their_own_subtree(org):
    with pytest.raises(ValidationError) as error:
        services.save_announcement(org.supervisor, data(branches=[org.a_bj]))
    assert "branches" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_announcement(org.supervisor, data(bank_wide=True))
    assert "bank_wide" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.save_announcement(org.admin, data(branches=[org.b_hk]))  # another bank's branch
    with pytest.raises(PermissionDenied):
        services.save_announcement(org.manager, data(branches=[org.a_sh]))


# --- approval of bank-wide announcements ------------------------------------------------------------------


def test_a_bank_wide_announcement_waits_for_a_second_person(org):
    a = published(org.marketing_manager, bank_wide=True, title="全行通知")
    assert a.status == Announcement.Status.PENDING
    # Nothing visible before the approval, to anyone of the audience.
    for person in (org.manager, org.manager_bj, org.supervisor, org.admin):
        assert not sees(person, a)
    request = ChangeRequest.objects.get(pk=a.change_request_id)
    assert request in approvals.pending_for_checker(org.admin)
    assert request not in approvals.pending_for_checker(org.supervisor)  # a subtree checker cannot decide it
    with pytest.raises(PermissionDenied):
        approvals.approve(request.pk, org.marketing_manager)  # not the maker
    approvals.approve(request.pk, org.admin)
    a.refresh_from_db()
    assert a.status == Announcement.Status.PUBLISHED and a.published_by == org.admin
    assert sees(org.manager, a) and sees(org.crossborder_officer, a) and not sees(org.b_manager, a)


def test_a_rejected_or_withdrawn_bank_wide_announcement_is_a_draft_again(org):
    a = published(org.marketing_manager, bank_wide=True)
    approvals.reject(a.change_request_id, org.admin, "Wrong date")
    a.refresh_from_db()
    assert a.status == Announcement.Status.DRAFT and not sees(org.manager, a)
    a = services.publish(a.pk, org.marketing_manager)
    services.withdraw(a.pk, org.marketing_manager)
    a.refresh_from_db()
    assert a.status == Announcement.Status.DRAFT
    assert ChangeRequest.objects.get(pk=a.change_request_id).status == ChangeRequest.Status.CANCELLED


def test_a_withdrawn_announcement_leaves_every_list(org):
    a = published(org.supervisor, branches=[org.a_sh])
    services.withdraw(a.pk, org.supervisor)
    assert not sees(org.manager, a)
    assert not Announcement.objects.for_reader(org.manager).filter(pk=a.pk).exists()


# --- validity and history ----------------------------------------------------------------------------------


def test_an_expired_announcement_leaves_the_current_list_and_stays_in_the_history(org):
    now = timezone.now()
    a = published(org.supervisor, branches=[org.a_sh], title="网点装修公告", valid_until=now + datetime.timedelta(hours=1))
    assert sees(org.manager, a)
    # The end of its validity passes: no job runs, the query of the current list no longer finds it.
    Announcement.objects.filter(pk=a.pk).update(
        valid_from=now - datetime.timedelta(days=3), valid_until=now - datetime.timedelta(seconds=1)
    )
    assert not sees(org.manager, a)
    history = Announcement.objects.for_reader(org.manager)
    assert list(history.search("装修")) == [a]  # a two-character Chinese query
    assert list(history.search("网点装修")) == [a]
    assert list(history.search("理财")) == []
    assert not Announcement.objects.for_reader(org.manager_bj).search("装修").exists()


def test_a_future_announcement_is_not_shown_before_its_start(org):
    a = published(org.supervisor, branches=[org.a_sh], valid_from=timezone.now() + datetime.timedelta(days=1))
    assert not sees(org.manager, a)
    assert not Announcement.objects.for_reader(org.manager).filter(pk=a.pk).exists()


def test_the_body_is_searched_too_and_latin_words_by_prefix(org):
    a = published(org.supervisor, branches=[org.a_sh], title="Notice", body="<p>New FX counter hours 外汇柜台</p>")
    history = Announcement.objects.for_reader(org.manager)
    assert list(history.search("counter")) == [a]
    assert list(history.search("柜台")) == [a]


# --- acknowledgement ---------------------------------------------------------------------------------------


def test_acknowledgement_is_kept_per_person_with_its_time(org):
    a = published(org.supervisor, branches=[org.a_sh], requires_ack=True)
    before = timezone.now()
    receipt = services.acknowledge(a.pk, org.manager)
    assert receipt.acknowledged_at >= before and receipt.opened_at <= receipt.acknowledged_at
    first = receipt.acknowledged_at
    again = services.acknowledge(a.pk, org.manager)  # a second click keeps the first time
    assert again.acknowledged_at == first
    assert AnnouncementReceipt.objects.filter(announcement=a).count() == 1
    assert AuditLog.objects.filter(detail__event="announcement_acknowledged").count() == 1
    with pytest.raises(NotVisible):
        services.acknowledge(a.pk, org.manager_bj)  # not in the audience
    source = next(s for s in desk.today_sources(org.manager_sub) if s.key == "announcements")
    assert [item.title for item in source.function(org.manager_sub, timezone.now())] == [a.title]
    assert services.awaiting_acknowledgement(org.manager) == []


def test_unread_count_counts_current_unopened_announcements(org, django_capture_on_commit_callbacks):
    a = published(org.supervisor, branches=[org.a_sh])
    published(org.supervisor, branches=[org.a_sh])
    assert services.unread_count(org.manager) == 2
    with django_capture_on_commit_callbacks(execute=True):  # opening one clears the cached count
        services.mark_opened(a, org.manager)
        services.mark_opened(a, org.manager)
    assert services.unread_count(org.manager) == 1
    assert services.unread_count(org.manager_bj) is None


# --- sanitising --------------------------------------------------------------------------------------------


def test_scripts_and_event_handlers_are_stripped(org):
    body = (
        '<p onclick="steal()">Hello<script>alert(1)</script></p><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a><a href="https://bank.example/">ok</a>'
    )
    a = services.save_announcement(org.supervisor, data(body=body, branches=[org.a_sh]))
    assert "<script" not in a.body and "onerror" not in a.body and "onclick" not in a.body
    assert "javascript:" not in a.body and "alert" not in a.body
    assert '<a href="https://bank.example/" rel="noopener noreferrer">ok</a>' in a.body
    assert a.body_text == "Hello x ok"


# --- attachments --------------------------------------------------------------------------------------------


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_attachment_type_is_sniffed_from_the_content(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = services.save_announcement(org.supervisor, data(branches=[org.a_sh]))
    pdf = services.add_attachment(a, SimpleUploadedFile("notice.txt", b"%PDF-1.7 body"), org.supervisor)
    assert pdf.content_type == "application/pdf" and pdf.file.name.endswith(".pdf")
    word = services.add_attachment(a, SimpleUploadedFile("rules.bin", docx_bytes()), org.supervisor)
    assert word.content_type.endswith("wordprocessingml.document")
    with pytest.raises(ValidationError) as error:
        services.add_attachment(a, SimpleUploadedFile("photo.pdf", b"<html><script>"), org.supervisor)
    assert "photo.pdf is not a PDF" in error.value.message_dict["file"][0]
    assert "judged by its content" in error.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as error:
        services.add_attachment(a, SimpleUploadedFile("x.docx", b"PK\x03\x04broken"), org.supervisor)
    assert "file" in error.value.message_dict
    assert AuditLog.objects.filter(detail__event="announcement_attachment_added").count() == 2


def test_attachment_size_is_capped_by_the_banks_parameter(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    SystemParameter.objects.create(bank=org.bank_a, key=services.MAX_ATTACHMENT_BYTES_PARAM, value_type="int", value="100")
    a = services.save_announcement(org.supervisor, data(branches=[org.a_sh]))
    with pytest.raises(ValidationError) as error:
        services.add_attachment(a, SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 200), org.supervisor)
    assert error.value.message_dict["file"] == ["The file is 205 bytes; at most 100 bytes are accepted."]
    assert not a.attachments.exists()


def test_downloads_are_audited_and_scoped(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = services.save_announcement(org.supervisor, data(branches=[org.a_sh]))
    attachment = services.add_attachment(a, SimpleUploadedFile("n.pdf", b"%PDF-1.7"), org.supervisor)
    with pytest.raises(NotVisible):
        services.open_attachment(attachment.pk, org.manager)  # a draft: not yet addressed to anyone
    services.publish(a.pk, org.supervisor)
    found, handle = services.open_attachment(attachment.pk, org.manager)
    handle.close()
    assert found == attachment
    with pytest.raises(NotVisible):
        services.open_attachment(attachment.pk, org.manager_bj)
    with pytest.raises(NotVisible):
        services.open_attachment(attachment.pk, org.b_manager)
    entry = AuditLog.objects.get(detail__event="announcement_attachment_downloaded")
    assert entry.actor == org.manager and entry.bank_id == org.bank_a.pk


# --- reach, reminders and escalation -----------------------------------------------------------------------------


def test_reach_counts_per_branch_and_lists_the_people(org):
    a = published(org.admin, branches=[org.a_cn], requires_ack=True)
    services.mark_opened(a, org.manager)
    services.acknowledge(a.pk, org.manager_bj)
    rows = {row["branch__code"]: row for row in services.reach(a)}
    assert rows["A-SH"]["total"] == 3 and rows["A-SH"]["not_opened"] == 2 and rows["A-SH"]["not_acked"] == 3
    assert rows["A-BJ"]["total"] == 1 and rows["A-BJ"]["not_acked"] == 0
    assert rows["A-SH-1"]["not_acked"] == 1
    missing = set(services.reach_people(a, "ack").values_list("username", flat=True))
    assert missing == {"a.sup.sh", "a.mgr.sh", "a.teller", "a.mgr.sh1"}
    unopened = set(services.reach_people(a, "open").values_list("username", flat=True))
    assert unopened == {"a.sup.sh", "a.teller", "a.mgr.sh1"}


def test_reminders_and_escalation_are_sent_once(org):
    a = published(org.supervisor, branches=[org.a_sh], requires_ack=True, title="请确认反洗钱制度")
    services.acknowledge(a.pk, org.teller)
    today = timezone.localdate()
    counts = services.send_reminders(org.bank_a.pk, today)
    assert counts == {"announcements": 1, "reminded": 3, "escalated": 0}  # sup, mgr, mgr.sh1; not yet escalated
    reminded = set(
        Notification.objects.filter(dedupe_key__startswith=f"announcement:{a.pk}:remind").values_list(
            "recipient__username", flat=True
        )
    )
    assert reminded == {"a.sup.sh", "a.mgr.sh", "a.mgr.sh1"}
    assert services.send_reminders(org.bank_a.pk, today)["reminded"] == 0  # a rerun sends nothing new
    # N days later (parameter announcements.escalate_after_days, 3 by default): the supervisor is told.
    later = timezone.now() + datetime.timedelta(days=3, minutes=1)
    counts = services.send_reminders(org.bank_a.pk, today + datetime.timedelta(days=3), now=later)
    assert counts["reminded"] == 3 and counts["escalated"] == 1
    told = Notification.objects.get(dedupe_key=f"announcement:{a.pk}:escalate")
    assert told.recipient == org.supervisor
    assert "a.mgr.sh" in told.body and "a.mgr.sh1" in told.body and "a.teller" not in told.body
    counts = services.send_reminders(org.bank_a.pk, today + datetime.timedelta(days=3), now=later)
    assert counts["reminded"] == 0 and counts["escalated"] == 0
    assert Notification.objects.filter(dedupe_key=f"announcement:{a.pk}:escalate").count() == 1
    # The supervisor's own missing acknowledgement goes to the supervisor above (none here): nobody told twice.
    assert services.send_reminders(org.bank_b.pk, today) == {"announcements": 0, "reminded": 0, "escalated": 0}


def test_escalation_goes_to_the_nearest_supervisor_above(org):
    sup_cn = make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"])
    a = published(org.admin, branches=[org.a_bj], requires_ack=True)
    later = timezone.now() + datetime.timedelta(days=4)
    services.send_reminders(org.bank_a.pk, timezone.localdate(), now=later)
    told = Notification.objects.get(dedupe_key=f"announcement:{a.pk}:escalate")
    assert told.recipient == sup_cn and "a.mgr.bj" in told.body


def test_the_daily_job_runs_each_bank_once_and_a_rerun_sends_nothing(org):
    a = published(org.supervisor, branches=[org.a_sh], requires_ack=True)
    result = tasks.announcement_reminders.apply().get()  # as beat sends it: no arguments
    runs = {run.bank_id: run for run in JobRun.objects.filter(job=tasks.JOB, bank_id__isnull=False)}
    assert runs[org.bank_a.pk].status == JobRun.Status.SUCCEEDED
    assert runs[org.bank_a.pk].counts == {"announcements": 1, "reminded": 4, "escalated": 0}
    assert runs[org.bank_b.pk].counts == {"announcements": 0, "reminded": 0, "escalated": 0}
    assert result["sub_runs"]
    sent = Notification.objects.filter(dedupe_key__startswith=f"announcement:{a.pk}:").count()
    tasks.announcement_reminders.apply(kwargs={"bank_id": org.bank_a.pk}).get()
    assert Notification.objects.filter(dedupe_key__startswith=f"announcement:{a.pk}:").count() == sent == 4
