"""The outbox pages: permission, bank scope (another bank's template or message is a 404),
template validation errors on the form, the preview, the search with masked numbers, resend
(audited), statistics; bounded query counts."""

import pytest
from django.urls import reverse

from ocrm.audit.models import AuditLog
from ocrm.outbox import recipients, services
from ocrm.outbox.models import MessageTemplate, OutboundMessage, State

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


def _who(org, number, bank=None):
    return recipients.Recipient(kind="address", id=number, bank_id=(bank or org.bank_a).pk, phone=number, language="en")


@pytest.fixture
def failed(org, sms_gateway, otp_template):
    message = services.send(otp_template, _who(org, "+8613812345678"), {"code": "1"}, dedupe_key="v1")
    services.advance([message.pk], State.FAILED, reason="absent subscriber")
    return OutboundMessage.objects.get(pk=message.pk)


@pytest.fixture
def bank_b_template(org):
    return MessageTemplate.objects.create(
        bank=org.bank_b, code="b-only", name="B", texts={"zh-hans": {"body": "乙"}, "en": {"body": "B"}}
    )


def test_pages_need_the_permission(client, org, failed):
    client.force_login(org.manager)
    for name in ("outbox:messages", "outbox:templates", "outbox:statistics", "outbox:template_create"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("outbox:message_detail", args=[failed.pk])).status_code == 403


def test_another_banks_objects_are_404(client, org, failed, bank_b_template):
    client.force_login(org.b_admin)
    assert client.get(reverse("outbox:message_detail", args=[failed.pk])).status_code == 404
    assert client.post(reverse("outbox:message_resend", args=[failed.pk])).status_code == 404
    assert client.get(reverse("outbox:template_edit", args=[failed.template_id])).status_code == 404
    assert client.get(reverse("outbox:template_preview", args=[failed.template_id])).status_code == 404
    listing = client.get(reverse("outbox:messages")).content.decode()
    assert f"/outbox/messages/{failed.pk}/" not in listing
    client.force_login(org.admin)
    assert client.get(reverse("outbox:template_edit", args=[bank_b_template.pk])).status_code == 404
    assert "b-only" not in client.get(reverse("outbox:templates")).content.decode()


def test_template_form_names_each_error_and_saves(client, org):
    client.force_login(org.admin)
    url = reverse("outbox:template_create")
    data = {
        "code": "welcome",
        "name": "Welcome",
        "channel": "sms",
        "purpose": "service",
        "category": "standard",
        "variables": "name",
        "is_active": "on",
        "body_zh-hans": "{{name}}您好 {{branch}}",
        "body_en": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "branch" in " ".join(errors["body_zh-hans"]) and "missing" in " ".join(errors["body_en"])
    assert not MessageTemplate.objects.filter(code="welcome").exists()
    data.update({"body_zh-hans": "{{name}}您好", "body_en": "Hello {{ name }}"})
    assert client.post(url, data).status_code == 302
    template = MessageTemplate.objects.get(code="welcome", bank=org.bank_a)
    assert template.texts["en"]["body"] == "Hello {{ name }}" and template.variables == ["name"]
    edit = client.get(reverse("outbox:template_edit", args=[template.pk]))
    assert edit.status_code == 200 and "Hello {{ name }}" in edit.content.decode()


def test_preview_shows_encoding_segments_forcing_char_and_cost(client, org, sms_gateway, notice_template):
    client.force_login(org.admin)
    page = client.get(reverse("outbox:template_preview", args=[notice_template.pk]), {"sample": "name=Wang €"})
    html = page.content.decode()
    assert page.status_code == 200
    rows = {row["language"]: row for row in page.context["rows"]}
    assert rows["en"]["encoding"] == "GSM-7" and rows["en"]["segments"] == 1 and str(rows["en"]["cost"]) == "0.0500"
    assert rows["zh-hans"]["encoding"] == "UCS-2" and rows["zh-hans"]["forcing_char"] == "您"
    assert "Dear Wang €, your request is done." in html


def test_search_masks_numbers_and_finds_by_number_and_state(client, org, failed, django_assert_max_num_queries):
    client.force_login(org.admin)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("outbox:messages"), {"number": "+86 138 1234 5678", "state": "failed"})
    html = page.content.decode()
    assert page.status_code == 200 and f"/outbox/messages/{failed.pk}/" in html
    assert "+8613812345678" not in html and "absent subscriber" in html
    other = client.get(reverse("outbox:messages"), {"number": "+8613800000000"}).content.decode()
    assert f"/outbox/messages/{failed.pk}/" not in other


def test_resend_of_a_failed_message_is_audited(client, org, failed):
    client.force_login(org.admin)
    detail = client.get(reverse("outbox:message_detail", args=[failed.pk]))
    assert detail.status_code == 200 and 'id="message-resend"' in detail.content.decode()
    assert "+8613812345678" not in detail.content.decode()
    response = client.post(reverse("outbox:message_resend", args=[failed.pk]))
    assert response.status_code == 302
    again = OutboundMessage.objects.get(resent_from=failed)
    assert again.state in (State.QUEUED, State.HELD)
    assert AuditLog.objects.filter(detail__event="outbox_message_resent", actor=org.admin).count() == 1
    # A message that is not failed or expired is not sent again.
    client.post(reverse("outbox:message_resend", args=[again.pk]))
    assert OutboundMessage.objects.count() == 2


def test_statistics_per_day_state_and_gateway(client, org, failed, django_assert_max_num_queries):
    client.force_login(org.admin)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("outbox:statistics"))
    assert page.status_code == 200
    chart = page.context["chart"]
    assert [d["label"] for d in chart["datasets"]] == ["Failed"] and sum(chart["datasets"][0]["data"]) == 1
    assert 'id="outbox-chart-data"' in page.content.decode()
    assert [(r["gateway__name"], r["state"], r["n"]) for r in page.context["per_gateway"]] == [("local", "failed", 1)]
