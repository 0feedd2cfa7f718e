"""Forms of the prospect pages (marketing.prospects.services checks the rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.master.models import IdentityDocument
from marketing.prospects.models import Prospect


class ProspectForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    email = forms.CharField(label=_("e-mail"), max_length=254, required=False)
    id_type = forms.ChoiceField(
        label=_("identity document"), choices=[("", "---------"), *IdentityDocument.Type.choices], required=False
    )
    id_number = forms.CharField(label=_("identity number"), max_length=40, required=False)
    source = forms.ChoiceField(label=_("source"), choices=Prospect.Source.choices)
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # Shown with the likely duplicates: capture anyway, or keep the prospect as one of them.
    ignore_duplicates = forms.BooleanField(label=_("Not the same person: capture anyway"), required=False)
    link_to = forms.CharField(label=_("customer number"), max_length=32, required=False, widget=forms.HiddenInput)


class CustomerNumberForm(forms.Form):
    customer = forms.CharField(max_length=32)


class ConvertForm(forms.Form):
    ignore_duplicates = forms.BooleanField(required=False)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Prospects (XLSX or CSV)"),
        help_text=_(
            "Row 1 names the columns: name (姓名), phone (手机号码), email (电子邮箱), id_type (证件类型), "
            "id_number (证件号码), source (来源), notes (备注). Every row is checked first; one bad row and nothing is kept."
        ),
    )
