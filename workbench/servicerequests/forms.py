"""The pre-fill form of a service request, built from its type's form schema (services.clean_content
checks the values again: the schema is the one truth, the form only draws it)."""

import datetime
import decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from sysadmin.org.models import Branch
from workbench.servicerequests.models import ServiceRequestType


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None, format=None):  # noqa: A002 (Django's own argument name)
        super().__init__(attrs, format="%H:%M")


def _field(spec, bank_id=None):
    kind = spec.get("type", "text")
    options = {"label": gettext(spec.get("label") or spec["name"]), "required": bool(spec.get("required"))}
    if kind in ("number", "decimal"):
        minimum = spec.get("min")
        return forms.DecimalField(
            min_value=decimal.Decimal(str(minimum)) if minimum not in (None, "") else None,
            max_digits=18,
            decimal_places=4,
            widget=forms.NumberInput(attrs={"step": "any"}),
            **options,
        )
    if kind == "date":
        return forms.DateField(widget=DateInput(), **options)
    if kind == "time":
        return forms.TimeField(widget=TimeInput(), **options)
    if kind == "choice":
        choices = [("", "---------")] if not spec.get("required") else []
        return forms.ChoiceField(choices=choices + [(str(c), str(c)) for c in spec.get("choices", [])], **options)
    if kind == "branch":
        branches = Branch.objects.filter(bank_id=bank_id, is_active=True).order_by("path").values_list("code", "name_local")
        choices = [("", "---------")] if not spec.get("required") else []
        return forms.ChoiceField(choices=choices + [(code, f"{name} ({code})") for code, name in branches], **options)
    return forms.CharField(max_length=500, **options)


class TypeChoiceForm(forms.Form):
    type = forms.ModelChoiceField(label=_("type of request"), queryset=ServiceRequestType.objects.none())

    def __init__(self, *args, bank_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = ServiceRequestType.objects.filter(bank_id=bank_id, active=True).order_by("name")
        self.fields["type"].label_from_instance = lambda row: gettext(row.name)


class RequestContentForm(forms.Form):
    """One field per entry of the type's form_schema; initial values from `initial` (an edit) or
    from the customer record (`default_from`)."""

    def __init__(self, request_type, customer, *args, initial=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial = initial or {}
        for spec in request_type.form_schema:
            field = _field(spec, request_type.bank_id)
            value = initial.get(spec["name"])
            if value in (None, "") and spec.get("default_from"):
                value = getattr(customer, spec["default_from"], None)
            if value not in (None, ""):
                field.initial = value
            self.fields[spec["name"]] = field

    def content(self):
        """The cleaned values as the service takes them (strings in ISO form)."""
        values = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            if isinstance(value, datetime.time):
                value = value.strftime("%H:%M")
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            values[name] = str(value)
        return values


class StepProgressForm(forms.Form):
    """What a step keeps while it is half done (a colleague with the same role takes it from here)."""

    note = forms.CharField(label=_("progress notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class StepRejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class StepAttachmentForm(forms.Form):
    """A file for the current step: its kind among the type's required attachments, or another document."""

    kind = forms.ChoiceField(label=_("document"), required=False)
    file = forms.FileField(label=_("file"))

    def __init__(self, *args, request_type=None, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = list((request_type.required_attachments if request_type else None) or [])
        self.fields["kind"].choices = [(kind, gettext(kind)) for kind in kinds] + [("", gettext("other document"))]


class RequestTypeForm(forms.Form):
    """A request type as lines (definitions.parse_*): the errors name the part and the line."""

    code = forms.SlugField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=120)
    form_fields = forms.CharField(
        label=_("form fields"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_(
            "One field a line: name; label; type; options. Types: text, number, decimal, date, time, choice, branch "
            "(the processing branch). Options: required, min=1, choices=USD,EUR, default=name_local, pii=phone."
        ),
    )
    required_attachments = forms.CharField(
        label=_("required attachments"), required=False, help_text=_("Codes separated by commas, e.g. id_copy.")
    )
    channels = forms.MultipleChoiceField(label=_("confirmation channels"), required=False, widget=forms.CheckboxSelectMultiple)
    steps = forms.CharField(
        label=_("processing steps"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_("One step a line: name; role; time limit in hours, e.g. Check identity; teller; 4."),
    )
    active = forms.BooleanField(label=_("offered to customers"), required=False, initial=True)
    reason = forms.CharField(label=_("reason for the change"), max_length=300, required=False)

    def __init__(self, *args, creating=True, channel_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = list(channel_choices)
        if not creating:
            del self.fields["code"]
