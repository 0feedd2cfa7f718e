"""The feed upload form: it checks the shape of the input; services.receive_upload checks the rest."""

from django import forms
from django.utils.translation import gettext_lazy

from customers.ecif.feeds.models import FeedLoad
from ocrm.widgets import DateInput


class FeedUploadForm(forms.Form):
    source_system = forms.CharField(
        label=gettext_lazy("Source system"),
        max_length=30,
        help_text=gettext_lazy("The sending system's code, e.g. CORE, CARDS, WEALTH."),
    )
    feed = forms.ChoiceField(label=gettext_lazy("Feed"), choices=FeedLoad.Feed.choices)
    business_date = forms.DateField(label=gettext_lazy("Business date"), widget=DateInput())
    file = forms.FileField(
        label=gettext_lazy("File"),
        allow_empty_file=False,
        help_text=gettext_lazy("CSV (UTF-8 or GB18030) or XLSX (first worksheet); row 1 holds the column names."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
