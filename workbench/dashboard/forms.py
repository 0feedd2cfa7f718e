"""Forms of the dashboard: setting an item of the today list aside, the shortcut menu."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workbench.dashboard import services
from workbench.dashboard.models import DeskDismissal


class SetAsideForm(forms.Form):
    kind = forms.CharField(max_length=40, widget=forms.HiddenInput)
    item_key = forms.CharField(max_length=300, widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("action"), choices=DeskDismissal.Action.choices)
    snooze_hours = forms.TypedChoiceField(
        label=_("snooze for"),
        coerce=int,
        required=False,
        empty_value=24,
        choices=[(1, _("1 hour")), (4, _("4 hours")), (24, _("1 day")), (72, _("3 days"))],
    )
    reason = forms.CharField(label=_("reason"), max_length=200)


class ShortcutsForm(forms.Form):
    """Twelve slots, each one page among those the person may open (or none): the order is the slots'."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.permitted = services.permitted_pages(user)
        choices = [("", "—")] + [
            (name, f"{item['entry'].section} · {item['entry'].label}") for name, item in self.permitted.items()
        ]
        current = [item["entry"].url_name for item in services.shortcuts(user, self.permitted)]
        for index in range(services.MAX_SHORTCUTS):
            # Not a ChoiceField: a page outside the choices reaches the service, which names it in its refusal.
            self.fields[f"slot_{index + 1}"] = forms.CharField(
                label=_("Shortcut %(n)d") % {"n": index + 1},
                required=False,
                max_length=100,
                widget=forms.Select(choices=choices),
                initial=current[index] if index < len(current) else "",
            )

    def names(self):
        return [self.cleaned_data[f"slot_{index + 1}"] for index in range(services.MAX_SHORTCUTS)]
