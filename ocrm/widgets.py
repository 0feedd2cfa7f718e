"""The date and time inputs of every form: the browser's own pickers (<input type="date"> and
"datetime-local"), their values always written in ISO form whatever the page's language.

A browser accepts nothing else in these inputs: Django's localised default (2026/12/20 in
Simplified Chinese) is thrown away by the browser, the field shows empty and the first submit
fails as "required". Forms use these widgets (or iso_date_inputs() on fields built from a model);
tests/ocrm/test_widgets.py walks every form and filter of the project for a date input that
does not."""

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = "%Y-%m-%dT%H:%M"  # what datetime-local takes and sends (to the minute)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 (Django's own argument name)
        super().__init__(attrs, format=ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):  # noqa: A002
        super().__init__(attrs, format=ISO_DATETIME)


def iso_date_inputs(fields):
    """Give every date and date-time field of `fields` ({name: field}, e.g. from
    fields_for_model) the ISO input; returns `fields`."""
    for field in fields.values():
        if isinstance(field, forms.DateTimeField):
            field.widget = DateTimeInput(attrs=field.widget.attrs)
        elif isinstance(field, forms.DateField):
            field.widget = DateInput(attrs=field.widget.attrs)
    return fields
