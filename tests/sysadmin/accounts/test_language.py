"""The language rule (docs/authentication.md, "Language"; issue 12, items 10 and 14): the newest
choice wins - this browser's switcher choice, else the profile after log-in, else the browser's
own language - and a choice on the log-in page reaches the profile. The switcher names every
language in itself."""

import re

import pytest
from django.test import Client

from sysadmin.org.models import Staff
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def switcher_options(response):
    return re.findall(r'<option value="([^"]+)" lang="[^"]+"\s*(?:selected)?>([^<]+)</option>', response.content.decode())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_switcher_names_each_language_in_itself(org, language):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert html_lang(anonymous.get(LOGIN_URL)) == language
    assert switcher_options(anonymous.get(LOGIN_URL)) == [("zh-hans", "简体中文"), ("en", "English")]
    Staff.objects.filter(pk=org.manager.pk).update(language=language)
    user = Client()
    user.force_login(org.manager)
    page = user.get("/")
    assert html_lang(page) == language and "英语" not in page.content.decode()
    assert switcher_options(page) == [("zh-hans", "简体中文"), ("en", "English")]


def test_the_switcher_needs_no_inline_script(org):
    page = Client().get(LOGIN_URL).content.decode()
    switcher = page[page.index('<form method="post" action="/i18n/setlang/"') :]
    assert "onchange" not in switcher and "data-autosubmit" in switcher
    assert 'src="/static/ocrm/ocrm.js"' in page  # the one script that submits it


def test_the_login_page_follows_the_browser_then_the_profile_wins_and_is_remembered(org):
    Staff.objects.filter(pk=org.manager.pk).update(language="zh-hans")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")  # a browser that never chose
    assert html_lang(browser.get(LOGIN_URL)) == "en"
    response = browser.post(LOGIN_URL, {"username": org.manager.username, "password": PASSWORD})
    assert response.status_code == 302
    assert html_lang(browser.get("/")) == "zh-hans"  # the profile's language
    assert browser.cookies["django_language"].value == "zh-hans"  # ... remembered by this browser
    browser.post("/accounts/logout/")
    assert html_lang(browser.get(LOGIN_URL)) == "zh-hans"  # the log-in page stays in it


def test_a_choice_on_the_login_page_is_saved_to_the_profile_at_log_in(org):
    Staff.objects.filter(pk=org.manager.pk).update(language="zh-hans")
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    browser.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})
    assert html_lang(browser.get(LOGIN_URL)) == "en"
    assert Staff.objects.get(pk=org.manager.pk).language == "zh-hans"  # nobody logged in yet

    browser.post(LOGIN_URL, {"username": org.manager.username, "password": PASSWORD})
    assert html_lang(browser.get("/")) == "en"
    assert Staff.objects.get(pk=org.manager.pk).language == "en"  # notifications and other browsers follow

    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    elsewhere.post(LOGIN_URL, {"username": org.manager.username, "password": PASSWORD})
    assert html_lang(elsewhere.get("/")) == "en"


def test_a_left_over_choice_is_not_someone_elses_profile(org):
    """A shared computer: the first person chose on the log-in page; the next one only logs in."""
    Staff.objects.filter(pk__in=[org.manager.pk, org.teller.pk]).update(language="zh-hans")
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})
    browser.post(LOGIN_URL, {"username": org.manager.username, "password": PASSWORD})
    browser.post("/accounts/logout/")
    browser.post(LOGIN_URL, {"username": org.teller.username, "password": PASSWORD})
    assert Staff.objects.get(pk=org.teller.pk).language == "zh-hans"
