"""Notifications: notify() in bulk and in each recipient's language, deduplication, the
bell's unread count, the personal notifications page and marking read."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ocrm.notifications.models import Notification
from ocrm.notifications.services import mark_read, notify, unread_count

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_notify_makes_one_row_per_recipient_in_one_insert(org, django_assert_max_num_queries):
    recipients = [org.manager, org.supervisor, org.b_manager, org.manager]  # a repeat counts once
    with django_assert_max_num_queries(3):  # savepoint, INSERT, release
        made = notify(
            recipients, "Import finished", "12 rows were rejected.", link="/sysadmin/imports/1/", level=Notification.Level.WARNING
        )
    assert made == 3
    rows = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(rows) == {org.manager.pk, org.supervisor.pk, org.b_manager.pk}
    assert rows[org.b_manager.pk].bank_id == org.bank_b.pk and rows[org.manager.pk].bank_id == org.bank_a.pk
    assert all(n.level == "warning" and n.read_at is None and n.link == "/sysadmin/imports/1/" for n in rows.values())


def test_texts_are_rendered_per_recipient_and_in_their_language(org):
    org.manager.language = "en"
    seen = {}

    def body(staff):
        seen[staff.pk] = translation.get_language()
        return f"Hello {staff.username}"

    notify([org.manager, org.supervisor], _("Notifications"), body)
    assert seen == {org.manager.pk: "en", org.supervisor.pk: "zh-hans"}
    assert Notification.objects.get(recipient=org.manager).body == f"Hello {org.manager.username}"


def test_a_dedupe_key_sends_nothing_twice(org):
    assert notify([org.manager, org.supervisor], "Due", dedupe_key="k:2026-01-01") == 2
    assert notify([org.manager, org.supervisor, org.teller], "Due", dedupe_key="k:2026-01-01") == 1
    assert notify([org.manager], "Due", dedupe_key="k:2026-01-02") == 1
    assert notify([org.manager], "No key") == 1 and notify([org.manager], "No key") == 1  # no key: no dedupe
    assert Notification.objects.filter(recipient=org.manager).count() == 4
    assert Notification.objects.filter(dedupe_key="k:2026-01-01").count() == 3


def test_bell_shows_the_unread_count_without_a_query(client, org, django_capture_on_commit_callbacks):
    as_user(client, org.manager)
    html = client.get("/").content.decode()
    assert 'id="notification-bell"' in html and 'id="notification-count"' not in html

    with django_capture_on_commit_callbacks(execute=True):
        notify([org.manager], "One")
        notify([org.manager], "Two")
    html = client.get("/").content.decode()
    assert 'id="notification-count">2<' in html
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not any("ocrm_notification" in q["sql"] for q in queries.captured_queries)  # served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        assert mark_read(org.manager) == 2
    assert 'id="notification-count"' not in client.get("/").content.decode()
    assert unread_count(org.manager) == 0


def test_the_page_lists_only_ones_own_and_marks_read(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify([org.manager], "Mine", "Body text", link="/accounts/password/change/")
        notify([org.manager], "Also mine")
        notify([org.supervisor], "Not mine")
    mine = Notification.objects.get(title="Mine")
    theirs = Notification.objects.get(title="Not mine")
    as_user(client, org.manager)

    html = client.get(reverse("notifications")).content.decode()
    assert "Mine" in html and "Also mine" in html and "Not mine" not in html
    assert 'id="mark-all-read"' in html

    # Another person's notification: 404, and it stays unread.
    assert client.post(reverse("notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notification_read", args=[mine.pk]), {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert [n.title for n in client.get(reverse("notifications") + "?unread=1").context["notifications"]] == ["Also mine"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications_read_all"))
    assert not Notification.objects.filter(recipient=org.manager, read_at__isnull=True).exists()
    assert client.get(reverse("notification_read", args=[mine.pk])).status_code == 405  # POST only


def test_a_foreign_link_is_not_followed(client, org):
    notify([org.manager], "Phish", link="https://evil.example/login")
    note = Notification.objects.get()
    as_user(client, org.manager)
    response = client.post(reverse("notification_read", args=[note.pk]), {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("notifications")


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
