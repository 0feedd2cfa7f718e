"""The two action views every area's pages are made of (ocrm.pages): ServiceFormView and the
POST-only ServiceActionView, tried on a page of their own (this module is also its urlconf):
without permission, outside the data scope, with each kind of refusal from the service, and
with success. The service renames a staff member for real, in the test database."""

import pytest
from django import forms
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import path, reverse

from ocrm import urls as project_urls
from ocrm.errors import NotVisible, Refused
from ocrm.pages import ServiceActionView, ServiceFormView, add_errors
from sysadmin.org.models import Staff

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def rename_staff(staff, name, actor):
    """The pages' one service call: what it refuses is spelled by the name asked for."""
    if name == "taken":
        raise ValidationError({"name_local": "This name is taken.", "nickname": "Not a field of the form."})
    if name == "frozen":
        raise ValidationError("Names are frozen today.")
    if name == "refused":
        raise Refused("Head office refuses this name.")
    if name == "vanished":
        raise NotVisible
    Staff.objects.filter(pk=staff.pk).update(name_local=name)
    return name


class NameForm(forms.Form):
    name_local = forms.CharField(label="Name", max_length=50)


class RenameView(ServiceFormView):
    permission_required = "sysadmin.change_staff"
    model = Staff
    form_class = NameForm
    template_name = "includes/form.html"
    success_url = "test_renamed"

    def perform(self, form):
        return rename_staff(self.object, form.cleaned_data["name_local"], self.request.user)

    def get_success_message(self, name):
        return f"Renamed to {name}."


class RenameButton(ServiceActionView):
    permission_required = "sysadmin.change_staff"
    model = Staff
    form_class = NameForm
    success_message = "Renamed."
    success_url = "test_renamed"
    error_url = "home"

    def perform(self):
        return rename_staff(self.object, self.form.cleaned_data["name_local"], self.request.user)


def renamed(request):
    raise AssertionError("the tests never follow the redirect")


urlpatterns = [
    *project_urls.urlpatterns,
    path("test/rename/<int:pk>/", RenameView.as_view(), name="test_rename"),
    path("test/rename-button/<int:pk>/", RenameButton.as_view(), name="test_rename_button"),
    path("test/renamed/", renamed, name="test_renamed"),
]


def form_url(staff):
    return reverse("test_rename", args=[staff.pk])


def button_url(staff):
    return reverse("test_rename_button", args=[staff.pk])


def messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def name_of(staff):
    return Staff.objects.values_list("name_local", flat=True).get(pk=staff.pk)


# --- ServiceFormView ---------------------------------------------------------------------------


def test_the_form_page_asks_to_log_in_refuses_without_permission_and_hides_what_is_out_of_scope(client, org):
    assert client.get(form_url(org.manager)).url.startswith(reverse("login"))
    client.force_login(org.manager)  # no sysadmin.change_staff
    assert client.get(form_url(org.manager)).status_code == 403
    assert client.post(form_url(org.manager), {"name_local": "x"}).status_code == 403
    client.force_login(org.supervisor)  # Shanghai's subtree: Beijing's manager is not theirs
    assert client.get(form_url(org.manager_bj)).status_code == 404
    assert client.post(form_url(org.manager_bj), {"name_local": "x"}).status_code == 404
    assert client.get(form_url(org.b_manager)).status_code == 404  # another bank
    assert name_of(org.manager_bj) != "x" and name_of(org.b_manager) != "x"


def test_the_form_page_shows_the_form_and_success_is_a_message_and_a_redirect(client, org):
    client.force_login(org.supervisor)
    page = client.get(form_url(org.manager))
    assert page.status_code == 200 and 'name="name_local"' in page.content.decode()
    assert page.context["object"] == org.manager
    response = client.post(form_url(org.manager), {"name_local": "新名字"})
    assert (response.status_code, response.url) == (302, reverse("test_renamed"))
    assert messages(response) == [("success", "Renamed to 新名字.")]
    assert name_of(org.manager) == "新名字"


def test_an_invalid_form_never_reaches_the_service(client, org):
    client.force_login(org.supervisor)
    response = client.post(form_url(org.manager), {"name_local": ""})
    assert response.status_code == 200 and "name_local" in response.context["form"].errors
    assert name_of(org.manager) != ""


def test_a_field_error_of_the_service_lands_on_its_field_and_the_rest_on_top(client, org):
    client.force_login(org.supervisor)
    response = client.post(form_url(org.manager), {"name_local": "taken"})
    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["name_local"] == ["This name is taken."]
    assert form.non_field_errors() == ["Not a field of the form."]  # a field the form does not have
    assert messages(response) == []


def test_a_message_error_of_the_service_goes_on_top_of_the_form(client, org):
    client.force_login(org.supervisor)
    response = client.post(form_url(org.manager), {"name_local": "frozen"})
    assert response.status_code == 200 and response.context["form"].non_field_errors() == ["Names are frozen today."]


def test_a_refusal_is_an_error_message_over_the_form_as_typed(client, org):
    client.force_login(org.supervisor)
    response = client.post(form_url(org.manager), {"name_local": "refused"})
    assert response.status_code == 200 and response.context["form"]["name_local"].value() == "refused"
    assert messages(response) == [("error", "Head office refuses this name.")]


def test_not_visible_from_the_service_is_a_404(client, org):
    client.force_login(org.supervisor)
    assert client.post(form_url(org.manager), {"name_local": "vanished"}).status_code == 404


# --- ServiceActionView -------------------------------------------------------------------------


def test_the_button_is_post_only_before_anything_else(client, org):
    assert client.get(button_url(org.manager)).status_code == 405  # even anonymous: a button is no page
    client.force_login(org.supervisor)
    assert client.get(button_url(org.manager)).status_code == 405


def test_the_button_asks_to_log_in_refuses_without_permission_and_hides_what_is_out_of_scope(client, org):
    assert client.post(button_url(org.manager), {"name_local": "x"}).url.startswith(reverse("login"))
    client.force_login(org.manager)
    assert client.post(button_url(org.manager), {"name_local": "x"}).status_code == 403
    client.force_login(org.supervisor)
    assert client.post(button_url(org.manager_bj), {"name_local": "x"}).status_code == 404
    assert name_of(org.manager) != "x" and name_of(org.manager_bj) != "x"


def test_the_button_says_what_it_did_and_goes_back(client, org):
    client.force_login(org.supervisor)
    response = client.post(button_url(org.manager), {"name_local": "按钮"})
    assert (response.status_code, response.url) == (302, reverse("test_renamed"))
    assert messages(response) == [("success", "Renamed.")] and name_of(org.manager) == "按钮"


def supervisor_client(org):
    """A session of its own: the messages of one case are not left for the next."""
    client = Client()
    client.force_login(org.supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # staff read Chinese by default
    return client


def test_the_buttons_refusals_and_bad_input_are_messages_on_the_way_back(org):
    for name, expected in (
        ("taken", "This name is taken. Not a field of the form."),
        ("frozen", "Names are frozen today."),
        ("refused", "Head office refuses this name."),
    ):
        response = supervisor_client(org).post(button_url(org.manager), {"name_local": name})
        assert (response.status_code, response.url) == (302, reverse("home")), name
        assert messages(response) == [("error", expected)], name
    client = supervisor_client(org)
    response = client.post(button_url(org.manager), {"name_local": ""})
    assert (response.status_code, response.url) == (302, reverse("home"))
    assert messages(response) == [("error", "Name: This field is required.")]
    assert client.post(button_url(org.manager), {"name_local": "vanished"}).status_code == 404
    assert name_of(org.manager) not in ("taken", "frozen", "refused", "", "vanished")


# --- add_errors --------------------------------------------------------------------------------


def test_add_errors_renames_the_services_field_to_the_forms():
    form = NameForm({"name_local": "x"})
    assert form.is_valid()
    add_errors(form, ValidationError({"name": "Too short."}), renamed={"name": "name_local"})
    assert form.errors == {"name_local": ["Too short."]}
