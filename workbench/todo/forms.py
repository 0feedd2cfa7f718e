"""Forms of the task pages: shapes and ranges (workbench.todo.services checks the rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ocrm.widgets import DateInput
from sysadmin.org.models import Staff
from workbench.todo.models import Task

TIME = forms.TimeInput(format="%H:%M", attrs={"type": "time"})


def colleague_choices(user):
    """Whom a task may go to: the user's team (their scope's active staff), the user first."""
    return Staff.objects.visible_to(user).filter(is_active=True).exclude(status=Staff.Status.LEFT).order_by("username")


class TaskForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    customer = forms.CharField(
        label=_("customer number"), max_length=32, required=False, help_text=_("Leave empty for a task without a customer.")
    )
    due_date = forms.DateField(label=_("due date"), required=False, widget=DateInput())
    due_time = forms.TimeField(
        label=_("due time"),
        required=False,
        widget=TIME,
        input_formats=["%H:%M", "%H:%M:%S"],
        help_text=_("In the assignee's local time."),
    )
    priority = forms.TypedChoiceField(
        label=_("priority"), choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL
    )
    notes = forms.CharField(label=_("notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user=None, with_assignee=False, with_customer=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_assignee:
            self.fields["assignee"] = forms.ModelChoiceField(
                label=_("assignee"), queryset=colleague_choices(user), required=False, help_text=_("Empty: yourself.")
            )
        if not with_customer:
            del self.fields["customer"]


class CompleteForm(forms.Form):
    outcome = forms.CharField(label=_("outcome"), required=False, max_length=2000)


class BulkForm(forms.Form):
    ACTIONS = [("complete", _("Mark done")), ("reassign", _("Reassign"))]

    action = forms.ChoiceField(label=_("action"), choices=ACTIONS)
    tasks = forms.TypedMultipleChoiceField(label=_("tasks"), coerce=int, choices=())
    assignee = forms.ModelChoiceField(label=_("assignee"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = colleague_choices(user)
        # Any task number is a shape-valid choice; the service checks each one is visible and open.
        self.fields["tasks"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 19

    def clean(self):
        data = super().clean()
        if data.get("action") == "reassign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose whom the tasks go to."))
        return data
