"""The contact-policy form of the 360 page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sysadmin.org.models import TIMEZONE_CHOICES


class ContactPolicyForm(forms.Form):
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing messages"), required=False)
    service_opt_out = forms.BooleanField(label=_("Opted out of service messages"), required=False)
    do_not_contact = forms.BooleanField(label=_("Do not contact at all"), required=False)
    do_not_sms = forms.BooleanField(label=_("No SMS"), required=False)
    do_not_email = forms.BooleanField(label=_("No e-mail"), required=False)
    language = forms.ChoiceField(label=_("Language of messages"), choices=[("", "—"), *settings.LANGUAGES], required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("The owning branch's")), *TIMEZONE_CHOICES],
        required=False,
    )
