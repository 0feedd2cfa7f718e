"""Input checks of the messaging pages (who exists, what a file holds: the services')."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workbench.messaging.services import MAX_BODY


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "id": "message-body"}),
    )
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachment"):
            self.add_error("body", _("Write a message or attach a file."))
        return data


class StartForm(MessageForm):
    participants = forms.CharField(
        label=_("Colleagues"),
        max_length=2000,
        help_text=_("User names or employee numbers of colleagues of your bank, separated by commas."),
    )
    title = forms.CharField(
        label=_("Title"), required=False, max_length=200, help_text=_("A group conversation's name (optional).")
    )
    customer = forms.CharField(
        label=_("Customer number"),
        required=False,
        max_length=40,
        help_text=_("Link the conversation to a customer you may see (optional)."),
    )
    field_order = ["participants", "title", "customer", "body", "attachment"]


class LinkCustomerForm(forms.Form):
    customer = forms.CharField(label=_("Customer number"), required=False, max_length=40)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
