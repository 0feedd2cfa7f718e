"""The announcement form, the attachment upload and the history search; the service checks the rest
(audience within the publisher's scope, validity, sanitising)."""

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy

from ocrm.scoping import scope_of
from ocrm.widgets import DateTimeInput
from sysadmin.org.models import Branch
from sysadmin.roles import ROLE_LABELS
from workbench.announcements.models import Announcement


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(ROLE_LABELS.get(obj.name, obj.name))


class BranchChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{'· ' * max(obj.depth - 1, 0)}{obj.code} {obj.name_local}"


class AnnouncementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Announcement.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("Formatting with HTML (paragraphs, lists, bold, links, tables); scripts are removed."),
    )
    bank_wide = forms.BooleanField(label=gettext_lazy("The whole bank (needs a second person's approval)"), required=False)
    branches = BranchChoiceField(
        label=gettext_lazy("Branches (each with the branches below it)"),
        queryset=Branch.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    roles = RoleChoiceField(
        label=gettext_lazy("Only these roles (none chosen: every role)"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    valid_from = forms.DateTimeField(label=gettext_lazy("Valid from"), required=False, widget=DateTimeInput())
    valid_until = forms.DateTimeField(label=gettext_lazy("Valid until"), required=False, widget=DateTimeInput())
    pinned = forms.BooleanField(label=gettext_lazy("Pinned to the top"), required=False)
    requires_ack = forms.BooleanField(label=gettext_lazy('Requires acknowledgement ("read and understood")'), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        branches = Branch.objects.filter(bank_id=user.bank_id) if user is not None else Branch.objects.none()
        if user is not None and scope_of(user) == "subtree":
            branches = branches.filter(path__startswith=user.branch.path)
            del self.fields["bank_wide"]
        self.fields["branches"].queryset = branches.order_by("path")
        self.fields["roles"].queryset = Group.objects.filter(name__in=list(ROLE_LABELS)).order_by("name")


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Attachment"))


class HistorySearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), max_length=100, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "—"), *Announcement.Kind.choices], required=False)
