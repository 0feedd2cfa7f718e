"""Staff messaging: participants only, no deleting (hiding, shown again by a new message), the
poll's per-user last id, attachments checked by content and size, search in Chinese and Latin,
and each colleague's local time and working hours (Shanghai, London, New York; DST; holiday)."""

import datetime
import zoneinfo

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.org.models import Holiday
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_branch, make_customer, make_staff
from workbench.messaging import clock, services
from workbench.messaging.models import Conversation, Message, Participant

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 40


@pytest.fixture
def people(org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    london = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    ny_branch = make_branch(org.bank_a, "A-NY", org.a_ho, country="US", tz="America/New_York")
    new_york = make_staff("a.mgr.ny", branch=ny_branch, roles=["customer_manager"])
    return london, new_york


def test_a_one_to_one_conversation_is_opened_again_and_read_by_participants_only(org, people):
    london, _ny = people
    first = services.start_conversation(org.manager, [london], body="Hello London")
    again = services.start_conversation(london, [org.manager], body="Hello Shanghai")
    assert again.pk == first.pk
    assert Message.objects.filter(conversation=first).count() == 2
    assert list(Conversation.objects.visible_to(org.manager)) == [first]
    # The supervisor of Shanghai, the head office's auditor (on the pages) and the other bank see nothing.
    for outsider in (org.supervisor, org.manager_bj, org.b_manager, org.admin):
        assert not Conversation.objects.visible_to(outsider).exists()
        with pytest.raises(NotVisible):
            services.conversation_for(outsider, first.pk)
        with pytest.raises(NotVisible):
            services.send_message(first, outsider, "let me in")
    assert AuditLog.objects.filter(detail__event="conversation_started").count() == 1


def test_colleagues_are_named_within_the_own_bank_with_a_clear_message(org, people):
    london, _ny = people
    assert services.colleagues_by_names(org.manager, "a.mgr.ldn, a.mgr.sh") == [london]
    with pytest.raises(ValidationError) as error:
        services.colleagues_by_names(org.manager, "b.mgr.hk")
    assert "b.mgr.hk" in str(error.value.message_dict["participants"])
    with pytest.raises(ValidationError) as error:
        services.colleagues_by_names(org.manager, "a.mgr.sh")
    assert "participants" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.start_conversation(org.manager, [org.b_manager], body="cross-bank")


def test_hiding_is_per_person_and_a_new_message_shows_the_conversation_again(org, people):
    london, _ny = people
    conversation = services.start_conversation(org.manager, [london], body="first")
    services.hide_conversation(conversation, org.manager)
    assert not services.my_conversations(org.manager).exists()
    assert services.my_conversations(org.manager, hidden=True).count() == 1
    assert services.my_conversations(london).count() == 1  # hidden for one person only
    assert Message.objects.filter(conversation=conversation).count() == 1  # nothing deleted
    services.send_message(conversation, london, "are you there?")
    assert services.my_conversations(org.manager).count() == 1
    assert not hasattr(services, "delete_message") and not hasattr(services, "delete_conversation")


def test_the_poll_compares_a_per_user_last_id_kept_in_the_cache(org, people, django_capture_on_commit_callbacks):
    london, new_york = people
    with django_capture_on_commit_callbacks(execute=True):
        conversation = services.start_conversation(org.manager, [london], body="hi")
    last = Message.objects.get(conversation=conversation).pk
    assert cache.get(f"messaging:last:{london.pk}") == last
    assert services.last_message_id(london.pk) == last
    assert services.last_message_id(new_york.pk) == 0  # not in the conversation
    cache.delete(f"messaging:last:{london.pk}")  # evicted: one query finds it again
    assert services.last_message_id(london.pk) == last
    assert services.last_id_from_db(org.manager.pk) == last


def test_unread_count_follows_messages_and_reading(org, people, django_capture_on_commit_callbacks):
    london, _ny = people
    with django_capture_on_commit_callbacks(execute=True):
        conversation = services.start_conversation(org.manager, [london], body="hi")
    assert services.unread_count(london) == 1
    london._messaging_unread = None
    assert services.unread_count(org.manager) is None  # the sender has read their own message
    services.mark_read(conversation, london, conversation.last_message_id)
    del london._messaging_unread
    assert services.unread_count(london) is None


def test_attachments_are_checked_by_content_and_size(org, people, settings):
    london, _ny = people
    conversation = services.start_conversation(org.manager, [london], body="file follows")
    message = services.send_message(conversation, org.manager, "", SimpleUploadedFile("scan.png", PNG))
    assert (message.attachment_type, message.attachment_name, message.attachment_size) == ("image/png", "scan.png", len(PNG))
    with pytest.raises(ValidationError) as error:
        services.send_message(conversation, org.manager, "", SimpleUploadedFile("evil.pdf", b"<html>not a pdf</html>"))
    assert "evil.pdf" in error.value.message_dict["attachment"][0]
    with pytest.raises(ValidationError) as error:
        services.send_message(conversation, org.manager, "", SimpleUploadedFile("empty.png", b""))
    assert "empty" in error.value.message_dict["attachment"][0]
    SystemParameter.objects.create(bank=org.bank_a, key="messaging.attachment_max_bytes", value_type="int", value="10")
    cache.delete_pattern("*")
    with pytest.raises(ValidationError) as error:
        services.send_message(conversation, org.manager, "", SimpleUploadedFile("big.png", PNG))
    assert "at most 10 bytes" in error.value.message_dict["attachment"][0]
    # A download is audited; an outsider gets nothing.
    _message, handle = services.open_attachment(message.pk, london)
    handle.close()
    assert AuditLog.objects.filter(detail__event="message_attachment_downloaded", actor=london).count() == 1
    with pytest.raises(NotVisible):
        services.open_attachment(message.pk, org.supervisor)


def test_search_finds_chinese_and_latin_text_in_my_conversations_only(org, people):
    london, new_york = people
    mine = services.start_conversation(org.manager, [london], body="王伟的贷款 needs approval")
    services.start_conversation(london, [new_york], body="王伟的贷款 elsewhere")
    found = services.search_mine(org.manager, "贷款")
    assert [m.conversation_id for m in found] == [mine.pk]
    assert [m.conversation_id for m in services.search_mine(org.manager, "appro")] == [mine.pk]
    assert services.search_mine(org.manager, "王伟的贷") and not services.search_mine(org.manager, "王伟贷")
    assert len(services.search_mine(london, "贷款")) == 2
    # The auditor searches the whole bank; bank B's auditor-less staff nothing.
    assert services.audit_search(org.auditor, "贷款").count() == 2
    assert services.audit_search(org.manager, "贷款").count() == 0


def test_a_conversation_is_linked_to_a_customer_the_actor_may_see(org, people):
    london, _ny = people
    customer = make_customer("C-MSG-1", org.a_sh, org.manager)
    conversation = services.start_conversation(org.manager, [london], customer_number="C-MSG-1", body="about 王伟")
    assert conversation.customer_id == customer.pk
    with pytest.raises(ValidationError) as error:
        services.link_customer(conversation, london, "C-MSG-1")  # London does not see the customer
    assert "C-MSG-1" in error.value.message_dict["customer"][0]


# --- local time and working hours ---------------------------------------------------------------------


def _at(zone, *args):
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


def test_local_time_and_working_hours_in_shanghai_london_and_new_york(org, people):
    london, new_york = people
    # Wednesday 2 December 2026, 10:00 in Shanghai = 02:00 in London = 21:00 (Tuesday) in New York.
    now = _at("Asia/Shanghai", 2026, 12, 2, 10, 0)
    sh = clock.local_status(org.manager, now)
    ldn = clock.local_status(london, now)
    ny = clock.local_status(new_york, now)
    assert (sh.now.hour, sh.working, sh.reason, sh.utc_offset) == (10, True, "working", "UTC+08:00")
    assert (ldn.now.hour, ldn.working, ldn.reason, ldn.utc_offset) == (2, False, "before", "UTC+00:00")
    assert (ny.now.hour, ny.now.day, ny.working, ny.reason, ny.utc_offset) == (21, 1, False, "after", "UTC-05:00")
    # 17:00 in London the same day: London works, Shanghai (01:00 Thursday) sleeps, New York (12:00) works.
    later = _at("Europe/London", 2026, 12, 2, 17, 0)
    assert clock.local_status(london, later).working
    assert clock.local_status(org.manager, later).reason == "before"
    assert clock.local_status(new_york, later).working


def test_working_hours_across_a_daylight_saving_change_day(org, people):
    london, new_york = people
    # Sunday 8 March 2026: New York moves to EDT; Monday 9 March 13:30 UTC is 09:30 there (08:30 a week earlier).
    monday_after = datetime.datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    monday_before = datetime.datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    assert clock.local_status(new_york, monday_after).now.hour == 9
    assert clock.local_status(new_york, monday_after).working
    assert clock.local_status(new_york, monday_before).now.hour == 8
    assert clock.local_status(new_york, monday_before).reason == "before"
    assert clock.local_status(new_york, datetime.datetime(2026, 3, 8, 15, 0, tzinfo=UTC)).reason == "weekend"
    # Sunday 29 March 2026: London moves to BST; Monday 30 March 08:30 UTC is 09:30 in London.
    assert clock.local_status(london, datetime.datetime(2026, 3, 30, 8, 30, tzinfo=UTC)).working
    assert clock.local_status(london, datetime.datetime(2026, 3, 23, 8, 30, tzinfo=UTC)).reason == "before"
    assert clock.local_status(london, datetime.datetime(2026, 3, 30, 8, 30, tzinfo=UTC)).utc_offset == "UTC+01:00"


def test_a_holiday_and_the_branch_working_week(org, people):
    london, _ny = people
    Holiday.objects.create(bank=org.bank_a, country="GB", date=datetime.date(2026, 12, 28), name="Bank holiday")
    Holiday.objects.create(bank=org.bank_a, country="CN", branch=org.a_sh, date=datetime.date(2026, 10, 1), name="国庆节")
    assert clock.local_status(london, _at("Europe/London", 2026, 12, 28, 11, 0)).reason == "holiday"
    assert clock.local_status(org.manager, _at("Asia/Shanghai", 2026, 10, 1, 11, 0)).reason == "holiday"
    assert clock.local_status(org.manager, _at("Asia/Shanghai", 2026, 10, 2, 11, 0)).working
    org.a_ldn.working_week = "123456"  # London works on Saturdays too
    org.a_ldn.save()
    london.refresh_from_db()
    assert clock.local_status(london, _at("Europe/London", 2026, 12, 5, 11, 0)).working
    assert clock.local_status(org.manager, _at("Asia/Shanghai", 2026, 12, 5, 11, 0)).reason == "weekend"


def test_the_participant_rows_carry_the_bank(org, people):
    london, _ny = people
    conversation = services.start_conversation(org.manager, [london], title="Team", body="x")
    assert set(Participant.objects.filter(conversation=conversation).values_list("bank_id", flat=True)) == {org.bank_a.pk}
    assert conversation.kind == Conversation.Kind.GROUP
