from django import forms
from django.utils.translation import gettext_lazy as _

from crossborder.agreements.models import CrossBorderAgreement
from crossborder.requests.models import CrossBorderRequest, ServiceType
from crossborder.requests.statistics import GROUP_CHOICES
from ocrm.widgets import DateInput
from sysadmin.org.models import Branch


def receiving_branch_choices(user):
    """Branches of the user's bank abroad, and of partner banks with an agreement in force."""
    partner_ids = set()
    for a, b in CrossBorderAgreement.objects.of_bank(user.bank_id).in_force().values_list("bank_a_id", "bank_b_id"):
        partner_ids.add(b if a == user.bank_id else a)
    own_country = str(user.branch.country) if user.branch_id else ""
    branches = (
        Branch.objects.filter(bank_id__in={user.bank_id, *partner_ids}, is_active=True, level__in=["branch", "sub_branch"])
        .exclude(country=own_country)
        .select_related("bank")
        .order_by("bank__code", "country", "code")
    )
    return branches


class RequestForm(forms.Form):
    customer = forms.CharField(label=_("customer number"), max_length=32)
    to_branch = forms.ModelChoiceField(label=_("receiving branch"), queryset=Branch.objects.none())
    service_type = forms.ModelChoiceField(label=_("service"), queryset=ServiceType.objects.filter(is_active=True))
    details = forms.CharField(
        label=_("details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per field: name: value (the service's fields are listed below)."),
    )
    shared_parts = forms.MultipleChoiceField(
        label=_("shared with the receiving side"),
        choices=CrossBorderRequest.SharedPart.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_branch"].queryset = receiving_branch_choices(user)
        self.fields["to_branch"].label_from_instance = lambda b: f"{b.bank.code} · {b.name_local} ({b.country})"

    def clean_details(self):
        data = {}
        for number, line in enumerate(self.cleaned_data["details"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise forms.ValidationError(_("Line %(n)s: write name: value.") % {"n": number})
            data[name.strip()] = value.strip()
        return data


class CompleteForm(forms.Form):
    fee = forms.DecimalField(label=_("fee"), required=False, min_value=0, max_digits=14, decimal_places=2)
    fee_currency = forms.CharField(label=_("fee currency"), required=False, max_length=3)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class ReassignForm(forms.Form):
    assigned_to = forms.IntegerField(label=_("handled by"))


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("file"), help_text=_("PDF, PNG, JPEG or GIF, at most 5 MB."), allow_empty_file=True, max_length=200
    )
    # Checked by the service against the request's service (a CharField: its choices are the request's).
    document_kind = forms.CharField(label=_("document"), required=False, max_length=60, widget=forms.Select)

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_kind"].widget.choices = [("", "---------"), *((doc, doc) for doc in (documents or []))]


class StatisticsForm(forms.Form):
    date_from = forms.DateField(label=_("from"), widget=DateInput())
    date_to = forms.DateField(label=_("to"), widget=DateInput())
    group = forms.ChoiceField(label=_("by"), choices=GROUP_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to"):
            if data["date_to"] < data["date_from"]:
                self.add_error("date_to", _("The end must not be before the start."))
            elif (data["date_to"] - data["date_from"]).days > 366 * 3:
                self.add_error("date_to", _("Choose at most three years."))
        return data
