"""Domain errors (ocrm.errors), the one place that maps NotVisible to a 404
(ocrm.middleware.NotVisibleMiddleware), and the error pages (400, 403, CSRF failure, 404, 500:
the site's layout, both languages, a way home, no detail), tried on views of this module's own
urlconf."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import path
from playwright.sync_api import expect

from ocrm import urls as project_urls
from ocrm.errors import DomainError, NotVisible, Refused, messages_of
from tests.conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def hidden(request):
    """A view that calls a service and lets its NotVisible through, as any view may."""
    raise NotVisible


def refusing(request):
    raise Refused("Not today.")


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("secret detail: connection to 10.1.2.3:5432 refused")


urlpatterns = [
    *project_urls.urlpatterns,
    path("test/hidden/", hidden, name="test_hidden"),
    path("test/refusing/", refusing, name="test_refusing"),
    path("test/forbidden/", forbidden, name="test_forbidden"),
    path("test/broken/", broken, name="test_broken"),
]
handler500 = project_urls.handler500


def test_not_visible_is_a_404_on_every_view(client, org):
    client.force_login(org.manager)
    response = client.get("/test/hidden/")
    assert response.status_code == 404
    assert client.post("/test/hidden/").status_code == 404


def test_the_middleware_maps_not_visible_only(client, org):
    client.force_login(org.manager)
    with pytest.raises(Refused):  # any other error stays an error (a 500 in production, never a quiet 404)
        client.get("/test/refusing/")


def test_the_middleware_is_installed_after_the_request_context():
    middleware = settings.MIDDLEWARE
    assert middleware.index("ocrm.middleware.NotVisibleMiddleware") > middleware.index("ocrm.middleware.RequestContextMiddleware")


def test_the_family():
    assert issubclass(NotVisible, DomainError) and issubclass(Refused, DomainError)
    assert not issubclass(NotVisible, Refused)  # never shown as a message: it would say that the object exists


def test_messages_of_reads_every_kind_of_refusal():
    assert messages_of(ValidationError({"a": "First.", "b": ["Second.", "Third."]})) == ["First.", "Second.", "Third."]
    assert messages_of(ValidationError("Plain.")) == ["Plain."]
    assert messages_of(Refused("Refused.")) == ["Refused."]
    assert messages_of(PermissionDenied("Not yours.")) == ["Not yours."]
    assert messages_of(PermissionDenied()) == []


# --- error pages ---------------------------------------------------------------------------------

LAYOUT = 'class="navbar'
HOME_LINK = 'href="/" id="error-home"'


def in_language(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Page not found"), ("zh-hans", "页面不存在")]
)  # fmt: skip
def test_404_has_the_layout_the_language_and_a_way_home(client, org, language, title):
    client.force_login(org.manager)
    response = in_language(client, language).get("/no-such-page/<script>x</script>")
    text = response.content.decode()
    assert response.status_code == 404
    assert title in text and LAYOUT in text and HOME_LINK in text
    assert 'id="user-menu"' in text  # the logged-in person keeps their menu
    assert "<script>x" not in text  # the requested path is never echoed unescaped


def test_not_visible_shows_the_same_404_page(client, org):
    client.force_login(org.manager)
    response = in_language(client, "en").get("/test/hidden/")
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(("language", "title"), [("en", "Access denied"), ("zh-hans", "无权访问")])
def test_403_has_the_layout_the_language_and_a_way_home(client, org, language, title):
    client.force_login(org.manager)
    response = in_language(client, language).get("/test/forbidden/")
    text = response.content.decode()
    assert response.status_code == 403
    assert title in text and LAYOUT in text and HOME_LINK in text


@pytest.mark.parametrize(("language", "title"), [("en", "The form has expired"), ("zh-hans", "表单已过期")])
def test_a_csrf_failure_explains_itself(org, language, title):
    client = in_language(Client(enforce_csrf_checks=True), language)
    client.force_login(org.manager)
    response = client.post("/i18n/setlang/", {"language": "en"})
    text = response.content.decode()
    assert response.status_code == 403
    assert title in text and LAYOUT in text and HOME_LINK in text
    assert "CSRF" not in text  # no jargon, no reason code


@pytest.mark.parametrize(("language", "title"), [("en", "Bad request"), ("zh-hans", "请求无效")])
def test_400_has_the_layout_and_a_way_home(client, language, title):
    response = in_language(client, language).get("/", HTTP_HOST="attacker.example")  # not in ALLOWED_HOSTS
    text = response.content.decode()
    assert response.status_code == 400
    assert title in text and LAYOUT in text and HOME_LINK in text
    assert "attacker.example" not in text


@pytest.mark.parametrize(("language", "title"), [("en", "Something went wrong"), ("zh-hans", "出错了")])
def test_500_says_nothing_of_the_error_but_its_reference(org, language, title):
    client = in_language(Client(raise_request_exception=False), language)
    client.force_login(org.manager)
    response = client.get("/test/broken/")
    text = response.content.decode()
    assert response.status_code == 500
    assert title in text and LAYOUT in text and HOME_LINK in text
    assert "10.1.2.3" not in text and "RuntimeError" not in text and "secret" not in text
    # The reference is the request id the logs carry (and the response header repeats).
    assert response["X-Request-ID"] in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "not_found", "denied", "home"),
    [("en", "Page not found", "Access denied", "Back to the home page"), ("zh-hans", "页面不存在", "无权访问", "返回首页")],
)
def test_error_pages_in_the_browser(page, live_server, org, language, not_found, denied, home):
    login(page, org.manager.username)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    org.manager.__class__.objects.filter(pk=org.manager.pk).update(language=language)

    response = page.goto("/customers/NO-SUCH-CUSTOMER/")
    assert response.status == 404
    expect(page.locator("#error-page h1")).to_have_text(not_found)
    expect(page.locator("nav.navbar")).to_be_visible()
    page.get_by_role("link", name=home).click()
    expect(page).to_have_url(f"{live_server.url}/")

    response = page.goto("/sysadmin/jobs/")  # a manager holds no jobs permission
    assert response.status == 403
    expect(page.locator("#error-page h1")).to_have_text(denied)
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("link", name=home).click()
    expect(page).to_have_url(f"{live_server.url}/")
