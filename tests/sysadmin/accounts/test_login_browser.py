"""Logging in, in a real browser: English and Chinese, the user's own time zone in the
header, the forced password change, the lock-out, the second factor's enrolment, and the
phone-width layout.

The Chinese assertions use strings whose translation ships with Django itself (form
labels of django.contrib.auth, "Log in" / "Change password" of django.contrib.admin's
catalogue, merged into every page's catalogue), so they hold before the project's own
catalogue is translated; the project catalogue must keep "Log in" = "登录" and
"Change password" = "修改密码" for them to keep holding."""

import base64
import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import expect

from sysadmin.accounts.models import LoginFailure
from sysadmin.org.models import Staff
from sysadmin.parameters.models import SystemParameter
from tests.conftest import PASSWORD, login
from tests.support.waiting import open_phone_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Fresh-Start-2027!"
HOME = re.compile(r"^https?://[^/]+/$")


def html_lang(page):
    return page.locator("html").get_attribute("lang")


def test_log_in_in_english(page, org, make_staff):
    alice = make_staff("alice", branch=org.a_sh, roles=["customer_manager"], language="en")
    Staff.objects.filter(pk=alice.pk).update(name_local="Alice Zhang")
    page.goto("/accounts/login/")
    assert html_lang(page) == "en"
    expect(page.locator("label[for=id_username]")).to_contain_text("Username")
    expect(page.locator("label[for=id_password]")).to_contain_text("Password")
    login(page, "alice")
    expect(page).to_have_url(HOME)
    expect(page.locator("h1")).to_contain_text("Welcome, Alice Zhang")
    assert html_lang(page) == "en"
    expect(page.locator("#user-menu")).to_contain_text("Alice Zhang")


def test_log_in_in_chinese_after_switching_the_language(page, org, make_staff):
    make_staff("bo", branch=org.a_sh, roles=["customer_manager"], language="en")
    page.goto("/accounts/login/")
    assert html_lang(page) == "en"
    page.select_option("#language-switch select[name=language]", "zh-hans")  # submits on change
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#language-switch option:checked")).to_have_text("简体中文")
    # Django's own translations: auth's form labels and admin's "Log in".
    expect(page.locator("label[for=id_username]")).to_contain_text("用户名")
    expect(page.locator("label[for=id_password]")).to_contain_text("密码")
    expect(page.locator("#login-form button[type=submit]")).to_have_text("登录")

    login(page, "bo", "wrong-password-1")
    expect(page.locator("#login-form .alert-danger")).to_contain_text("用户名或密码不正确")

    login(page, "bo")
    expect(page).to_have_url(HOME)
    # The language chosen on the log-in page wins over the profile's English, and is saved to it.
    assert html_lang(page) == "zh-hans"
    assert Staff.objects.get(username="bo").language == "zh-hans"
    page.click("#user-menu")
    expect(page.locator("a[href='/accounts/password/change/']")).to_have_text("修改密码")


def test_header_shows_the_users_local_time_zone(page, org, make_staff):
    make_staff("london", branch=org.a_ldn, roles=["customer_manager"], language="en")
    make_staff("shanghai", branch=org.a_sh, roles=["customer_manager"], language="en")
    login(page, "london")
    expect(page.locator("#user-clock .tz-name")).to_have_text("Europe/London")
    shown = page.locator("#user-clock").inner_text()
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/London"))
    candidates = {(now - datetime.timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M") for m in (0, 1)}
    assert any(c in shown for c in candidates), (shown, candidates)

    page.click("#user-menu")
    page.click("#logout-button")
    login(page, "shanghai")
    expect(page.locator("#user-clock .tz-name")).to_have_text("Asia/Shanghai")


def test_forced_password_change_then_home(page, org, make_staff):
    user = make_staff("newbie", branch=org.a_sh, roles=["teller"], language="en", must_change_password=True)
    login(page, "newbie")
    expect(page).to_have_url(re.compile(r"/accounts/password/change/$"))
    expect(page.locator(".alert")).to_contain_text("Please choose your own password")
    page.goto("/")  # nothing else opens before the password is changed
    expect(page).to_have_url(re.compile(r"/accounts/password/change/$"))

    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("#password-change-form button[type=submit]")
    expect(page).to_have_url(HOME)
    expect(page.locator(".alert-success")).to_contain_text("Your password has been changed.")
    expect(page.locator("h1")).to_contain_text("Welcome")

    user.refresh_from_db()
    assert not user.must_change_password
    assert user.check_password(NEW_PASSWORD)
    assert user.password_changed_at > user.date_joined


def test_lock_out_pauses_for_the_cooling_off_period(page, org, make_staff):
    SystemParameter.objects.create(key="login.max_failed_attempts", value_type="int", value="3")
    make_staff("clumsy", branch=org.a_sh, roles=["customer_manager"], language="en")
    failed = "The user name or password is not right, or log-in from here is paused"
    for attempt in (1, 2, 3):
        login(page, "clumsy", f"Wrong-Pass-{attempt}!")
        expect(page.locator("#login-form .alert-danger")).to_contain_text(failed)

    login(page, "clumsy")  # the right password, from the paused address: the same message
    expect(page.locator("#login-form .alert-danger")).to_contain_text(failed)
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    # Fifteen minutes later (the default cooling-off) the pause has ended by itself.
    LoginFailure.objects.update(at=timezone.now() - datetime.timedelta(minutes=16))
    login(page, "clumsy")
    expect(page).to_have_url(HOME)
    assert Staff.objects.get(username="clumsy").locked_at is None


def test_a_supervisor_enrols_an_authenticator_app_in_the_browser(page, org, make_staff):
    make_staff("careful", branch=org.a_sh, roles=["branch_supervisor"], language="en")
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "careful")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/second-factor/enrol/\?next=%2F$"))
    expect(page.locator("#mfa-qr svg")).to_be_visible()
    key = page.locator("#mfa-key").inner_text().replace(" ", "")
    phone = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)))
    page.fill("#id_code", f"{phone.token():06d}")
    page.click("#mfa-enrol-form button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("#recovery-codes-done")
    expect(page).to_have_url(HOME)
    expect(page.locator("h1")).to_contain_text("Welcome")


def test_phone_width_collapses_the_navbar(browser, live_server, org, make_staff):
    make_staff("mobile", branch=org.a_sh, roles=["branch_supervisor"], language="en")
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, "mobile")
        expect(page).to_have_url(HOME)
        toggler = page.locator(".navbar-toggler")
        expect(toggler).to_be_visible()
        expect(page.locator("#mainnav")).to_be_hidden()
        # Nothing is wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        open_phone_menu(page)
        page.click("#user-menu")
        expect(page.locator("#logout-button")).to_be_visible()
    finally:
        context.close()
