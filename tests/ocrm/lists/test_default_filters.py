"""A person's default filter per list (ocrm.lists.defaults, issue 14's "default filters" kept on the
staff record): saved from the filter shown, applied when the list is opened bare (and on its own
pages), set aside by ?nodefault=1, forgotten on request; a list the person may not open, or an
address that is no list, answers 404; the customer search never keeps its free text."""

import pytest
from django.conf import settings
from django.urls import reverse

from ocrm.lists import defaults
from sysadmin.org.models import Staff
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
BRANCHES = "sysadmin:branch_list"
SAVE = "list_default_filter"


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def codes(response):
    assert response.status_code == 200, response.status_code
    return sorted(row.record.code for row in response.context["table"].page.object_list)


def test_a_saved_filter_opens_the_bare_list_and_nodefault_shows_everything(client, org):
    as_user(client, org.admin)
    url = reverse(BRANCHES)
    everything = codes(client.get(url))
    assert "A-HO" in everything and "A-SH" in everything
    response = client.post(reverse(SAVE), {"next": url, "level": "head_office", "page": "3", "sort": "code"})
    assert response.status_code == 302 and response["Location"] == url
    assert Staff.objects.get(pk=org.admin.pk).preferences[defaults.KEY] == {BRANCHES: {"level": ["head_office"]}}

    bare = client.get(url)
    assert codes(bare) == ["A-HO"] and bare.context["default_filter"]["applied"]
    assert "Your default filter is applied." in bare.content.decode()
    assert codes(client.get(url + "?page=1")) == ["A-HO"]  # the default's own pages keep it
    assert codes(client.get(url + "?level=branch")) != ["A-HO"]  # a filter of its own wins
    assert codes(client.get(url + "?nodefault=1")) == everything


def test_forgetting_the_default_and_saving_nothing(client, org):
    as_user(client, org.admin)
    url = reverse(BRANCHES)
    client.post(reverse(SAVE), {"next": url, "level": "head_office"})
    response = client.post(reverse(SAVE), {"next": url, "clear": "1"})
    assert response.status_code == 302
    assert BRANCHES not in Staff.objects.get(pk=org.admin.pk).preferences.get(defaults.KEY, {})
    assert "A-SH" in codes(client.get(url))
    # Nothing to save (only the page's own parameters): refused with a message, nothing stored.
    response = client.post(reverse(SAVE), {"next": url, "page": "2", "level": ""}, follow=True)
    assert "Choose a filter first" in response.content.decode()
    assert BRANCHES not in Staff.objects.get(pk=org.admin.pk).preferences.get(defaults.KEY, {})


@pytest.mark.parametrize("target", ["/", "/no/such/page/", "http://evil.example/sysadmin/org/branches/", ""])
def test_an_address_that_is_no_list_answers_404(client, org, target):
    as_user(client, org.admin)
    assert client.post(reverse(SAVE), {"next": target, "level": "branch"}).status_code == 404


def test_a_list_the_person_may_not_open_answers_404(client, org):
    as_user(client, org.manager)  # the audit log is the auditors' and administrators'
    assert client.post(reverse(SAVE), {"next": reverse("sysadmin:audit_list"), "action": "x"}).status_code == 404
    assert defaults.KEY not in (Staff.objects.get(pk=org.manager.pk).preferences or {})


def test_get_is_refused_and_anonymous_goes_to_log_in(client, org):
    assert client.post(reverse(SAVE), {"next": reverse(BRANCHES)}).status_code == 302  # to the log-in page
    as_user(client, org.admin)
    assert client.get(reverse(SAVE)).status_code == 405


def test_the_customer_search_keeps_its_filters_but_never_its_free_text(client, org):
    make_customer("C0001", org.a_sh, org.manager, tier="wealth")
    make_customer("C0002", org.a_sh, org.manager, tier="mass")
    as_user(client, org.supervisor)
    url = reverse("customers:list")
    client.post(reverse(SAVE), {"next": url, "tier": "wealth", "q": "110101199001011234"})
    kept = Staff.objects.get(pk=org.supervisor.pk).preferences[defaults.KEY]["customers:list"]
    assert kept == {"tier": ["wealth"]}  # an identity number never lands on the staff record
    assert [row.record.number for row in client.get(url).context["table"].page.object_list] == ["C0001"]
    assert len(client.get(url + "?nodefault=1").context["table"].page.object_list) == 2
    # An emptied search means everything, not the default: the redirect says so.
    response = client.post(url, {"q": "", "tier": ""})
    assert response.status_code == 302 and "nodefault=1" in response["Location"]
