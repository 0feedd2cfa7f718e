"""The personal details page: every logged-in person, for themselves only."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ocrm.pages import ServiceFormView
from sysadmin.personal import services
from sysadmin.personal.forms import PersonalDetailsForm


class PersonalDetailsView(ServiceFormView):
    form_class = PersonalDetailsForm
    template_name = "sysadmin/personal/details.html"
    title = _("Personal details")
    success_message = _("Your details were saved.")
    success_url = "sysadmin:personal_details"

    def has_permission(self):
        return self.request.user.is_authenticated

    def get_form(self):
        user = self.request.user
        if self.request.method == "POST":
            return PersonalDetailsForm(self.request.POST, staff=user)
        return PersonalDetailsForm(initial={name: getattr(user, name) for name in services.FIELDS}, staff=user)

    def perform(self, form):
        return services.change_details(self.request.user, **form.cleaned_data)

    def succeeded(self, result):
        translation.activate(result.language)
        response = super().succeeded(result)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, result.language, max_age=365 * 24 * 3600, samesite="Lax")
        return response
