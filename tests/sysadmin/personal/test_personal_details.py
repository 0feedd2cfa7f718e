"""The personal details page (个人信息修改): a person changes their own phone, e-mail, language
and time zone, checked as the staff page checks them, audited."""

import pytest
from django.conf import settings
from django.urls import reverse

from ocrm.audit.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "sysadmin:personal_details"


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def post(client, **data):
    return client.post(reverse(URL), {"phone": "", "email": "", "language": "en", "time_zone": "", **data})


def test_a_person_changes_their_own_details_audited(client, org):
    as_user(client, org.manager)
    assert client.get(reverse(URL)).status_code == 200
    response = post(client, phone="021 6888 8888", email="mgr@example.com", language="en", time_zone="Europe/London")
    assert response.status_code == 302
    org.manager.refresh_from_db()
    assert org.manager.phone == "+862168888888"  # a national number read in the branch's country, stored E.164
    assert (org.manager.email, org.manager.language, org.manager.time_zone) == ("mgr@example.com", "en", "Europe/London")
    entry = AuditLog.objects.get(detail__event="personal_details_changed")
    assert entry.actor == org.manager and set(entry.changes) >= {"email", "time_zone", "language"}
    assert "+862168888888" not in str(entry.changes)  # the phone is masked in the audit log
    # Nothing changed: no new entry.
    post(client, phone="+862168888888", email="mgr@example.com", language="en", time_zone="Europe/London")
    assert AuditLog.objects.filter(detail__event="personal_details_changed").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12", "is not a phone number of"),
        ("email", "not-an-address", "Enter a valid email address"),
        ("time_zone", "Mars/Olympus", "Select a valid choice"),
        ("language", "fr", "Select a valid choice"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(client, org, field, value, message):
    as_user(client, org.manager)
    response = post(client, **{field: value})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    org.manager.refresh_from_db()
    assert org.manager.email == "" and org.manager.time_zone == ""
    assert not AuditLog.objects.filter(detail__event="personal_details_changed").exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302 and "/accounts/login/" in response.url
