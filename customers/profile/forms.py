"""Forms of what is added from the 360° page (customers.profile.views). They check shapes and
ranges; the services (customers.profile.services) check what depends on the data."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.master.filtersets import PlainDateInput, PlainSelect
from customers.master.models import CustomerDocument, Relationship, ServiceContact, Transaction

DATE_WIDGET = PlainDateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"})


class TransactionFilterForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("channel"),
        required=False,
        choices=[("", _("All channels")), *Transaction.Channel.choices],
        widget=PlainSelect(attrs={"class": "form-select form-select-sm"}),
    )
    date_from = forms.DateField(label=_("from"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("to"), required=False, widget=DATE_WIDGET)
    page = forms.IntegerField(label=_("page"), required=False, min_value=1, max_value=10000)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


# Shown and read in the active (the user's) time zone.
DATETIME = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


class NoteForm(forms.Form):
    text = forms.CharField(label=_("note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ServiceContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"), choices=ServiceContact.Channel.choices)
    role = forms.ChoiceField(label=_("role"), choices=ServiceContact.Role.choices, initial=ServiceContact.Role.MANAGER)
    occurred_at = forms.DateTimeField(
        label=_("time"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], help_text=_("In your time zone.")
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    outcome = forms.CharField(label=_("outcome"), max_length=200, required=False)
    notes = forms.CharField(label=_("notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    next_action = forms.CharField(label=_("next action"), max_length=200, required=False)
    next_action_date = forms.DateField(label=_("next action date"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))


class DocumentUploadForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("type"), choices=CustomerDocument.Type.choices)
    file = forms.FileField(
        label=_("file"),
        help_text=_("PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    description = forms.CharField(label=_("description"), max_length=200, required=False)


class RelationshipForm(forms.Form):
    kind = forms.ChoiceField(label=_("relationship"), choices=Relationship.Kind.choices)
    other_number = forms.CharField(label=_("customer number of the other customer"), max_length=32)
    share_percent = forms.DecimalField(
        label=_("share %"), required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class TagForm(forms.Form):
    name = forms.CharField(
        label=_("tag"), max_length=50, widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"})
    )
