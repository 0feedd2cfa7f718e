"""Forms of the outbox pages: a template (one subject/text pair per language), the preview's sample
data, the outbox search. Shapes only; template_errors() in services checks the rest."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ocrm.outbox.models import Category, Channel, Purpose


def language_fields():
    """[(code, label)] of the languages a template is written in (the site's languages)."""
    return [(code.lower(), label) for code, label in settings.LANGUAGES]


class TemplateForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=60)
    name = forms.CharField(label=_("name"), max_length=200)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("purpose"), choices=Purpose.choices)
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    variables = forms.CharField(
        label=_("variables"),
        max_length=500,
        required=False,
        help_text=_("Names used in the texts as {{ name }}, separated by commas."),
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in language_fields():
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("E-mail subject (%(language)s)") % {"language": label}, max_length=300, required=False
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def clean_variables(self):
        return [name.strip() for name in self.cleaned_data["variables"].split(",") if name.strip()]

    def texts(self):
        data = self.cleaned_data
        return {
            code: {"subject": data.get(f"subject_{code}", ""), "body": data.get(f"body_{code}", "")}
            for code, _label in language_fields()
            if data.get(f"body_{code}") or data.get(f"subject_{code}")
        }

    @classmethod
    def initial_of(cls, template):
        initial = {
            "code": template.code,
            "name": template.name,
            "channel": template.channel,
            "purpose": template.purpose,
            "category": template.category,
            "variables": ", ".join(template.variables or []),
            "is_active": template.is_active,
        }
        for code, text in (template.texts or {}).items():
            initial[f"subject_{code}"] = text.get("subject", "")
            initial[f"body_{code}"] = text.get("body", "")
        return initial


class PreviewForm(forms.Form):
    sample = forms.CharField(
        label=_("Sample data"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One variable a line: name=value."),
    )

    def values(self):
        values = {}
        for line in (self.cleaned_data.get("sample") or "").splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip():
                values[name.strip()] = value.strip()
        return values
