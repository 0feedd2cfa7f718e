"""Messages are kept `messaging.keep_days` and then go with the kernel's retention clean-up:
first their files, then the rows; younger messages and other banks' stay."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ocrm import parameters
from ocrm.datalife import retention
from tests.factories import make_staff
from workbench.messaging import services
from workbench.messaging.models import Message

pytestmark = pytest.mark.django_db


def test_old_messages_and_their_files_go_after_keep_days(org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    assert parameters.get("messaging.keep_days", org.bank_a) == 3650
    files, rows = retention.PURGES["message_files"], retention.PURGES["messages"]
    assert list(retention.PURGES).index("message_files") < list(retention.PURGES).index("messages")
    london = make_staff("a.mgr.ldn", branch=org.a_ldn, roles=["customer_manager"])
    conversation = services.start_conversation(org.manager, [london], body="old")
    old = services.send_message(conversation, org.manager, "old file", SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n00"))
    new = services.send_message(conversation, london, "recent")
    other_bank = services.start_conversation(org.b_manager, [org.b_supervisor], body="bank B")
    stored = old.attachment.name
    long_ago = timezone.now() - datetime.timedelta(days=4000)
    Message.objects.filter(conversation__in=[conversation, other_bank]).exclude(pk=new.pk).update(sent_at=long_ago)
    cutoff = timezone.now() - datetime.timedelta(days=3650)

    assert retention.purge_files(files, org.bank_a.pk, cutoff) == 1
    assert not default_storage.exists(stored)
    assert retention.purge_rows(rows, org.bank_a.pk, cutoff) == 2
    assert list(Message.objects.filter(conversation=conversation)) == [new]
    assert Message.objects.filter(conversation=other_bank).count() == 1  # bank B's own run decides
