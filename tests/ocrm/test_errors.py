"""Domain errors (ocrm.errors) and the one place that maps NotVisible to a 404
(ocrm.middleware.NotVisibleMiddleware), tried on views of this module's own urlconf."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path

from ocrm import urls as project_urls
from ocrm.errors import DomainError, NotVisible, Refused, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def hidden(request):
    """A view that calls a service and lets its NotVisible through, as any view may."""
    raise NotVisible


def refusing(request):
    raise Refused("Not today.")


urlpatterns = [
    *project_urls.urlpatterns,
    path("test/hidden/", hidden, name="test_hidden"),
    path("test/refusing/", refusing, name="test_refusing"),
]


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
