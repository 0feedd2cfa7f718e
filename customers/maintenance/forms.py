"""The batch-maintenance upload form."""

from django import forms
from django.utils.translation import gettext_lazy


class BatchUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        allow_empty_file=False,
        help_text=gettext_lazy(
            "XLSX (first worksheet) or CSV (UTF-8 or GB18030). Row 1 holds the column names, "
            "English or Chinese; download the template."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
