"""Notifications by each staff member's preference per event type: in the application (the
default), by e-mail, by SMS through the outbox; existing calls without an event are unchanged;
the preferences page."""

import pytest
from django.urls import reverse

from ocrm.notifications.models import Notification, NotificationPreference
from ocrm.notifications.services import notify
from ocrm.outbox.models import Channel, Gateway, OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


@pytest.fixture
def gateways(org):
    Gateway.objects.create(bank=org.bank_a, name="sms", channel=Channel.SMS, kind=Gateway.Kind.CONSOLE)
    Gateway.objects.create(bank=org.bank_a, name="mail", channel=Channel.EMAIL, kind=Gateway.Kind.SMTP)


def test_without_a_preference_only_the_in_app_notification(org, gateways):
    assert notify([org.manager], "Approved", "Your change was approved", event="approval_decision") == 1
    assert Notification.objects.filter(recipient=org.manager).count() == 1
    assert not OutboundMessage.objects.exists()
    assert notify([org.manager], "Old call", "no event") == 1  # callers without an event work as before


def test_email_and_sms_by_preference_and_a_rerun_sends_nothing_twice(org, gateways):
    org.manager.phone, org.manager.email = "+8613800001111", "mgr@bank.test"
    org.manager.save()
    NotificationPreference.objects.create(user=org.manager, event="password_expiry", in_app=False, email=True, sms=True)
    NotificationPreference.objects.create(user=org.supervisor, event="lifecycle_change", email=True)
    for _ in range(2):
        notify(
            [org.manager, org.supervisor], "Your password expires soon", "In 5 days", event="password_expiry", dedupe_key="pw:1"
        )
    assert not Notification.objects.filter(recipient=org.manager).exists()  # in-app switched off
    assert Notification.objects.filter(recipient=org.supervisor).count() == 1  # no preference for this event: in-app
    messages = {m.channel: m for m in OutboundMessage.objects.filter(recipient_kind="staff")}
    assert set(messages) == {"sms", "email"} and OutboundMessage.objects.count() == 2
    assert messages["sms"].address == "+8613800001111" and "Your password expires soon" in messages["sms"].body
    assert messages["email"].address == "mgr@bank.test" and messages["email"].subject == "Your password expires soon"


def test_the_preferences_page(client, org):
    client.force_login(org.manager)
    url = reverse("notification_preferences")
    page = client.get(url)
    assert page.status_code == 200 and 'id="pref-approval_decision-in_app"' in page.content.decode()
    response = client.post(url, {"approval_decision:in_app": "on", "approval_decision:sms": "on"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=org.manager, event="approval_decision")
    assert (pref.in_app, pref.email, pref.sms) == (True, False, True)
    assert NotificationPreference.objects.get(user=org.manager, event="job_failure").in_app is False
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302
