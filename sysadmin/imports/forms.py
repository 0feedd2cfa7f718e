"""The upload form of the organisation-data import."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sysadmin.imports.models import ImportBatch
from sysadmin.org.models import Bank


class ImportUploadForm(forms.Form):
    bank = forms.ModelChoiceField(Bank.objects.filter(is_active=True), label=_("bank"), required=True)
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportBatch.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=False,
        help_text=_(
            "CSV (UTF-8 or GB18030) or XLSX (first worksheet). Row 1 holds the column names, English or "
            "Chinese; download a template below."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a superuser works across banks; everyone else imports for their own bank.
        if not user.is_superuser:
            del self.fields["bank"]
