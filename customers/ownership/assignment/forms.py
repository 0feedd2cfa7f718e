"""Forms of the assignment pages (customers.ownership.assignment.views). They only read input; the
rules live in customers.ownership.assignment.services, which checks everything again."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.master.models import Customer
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AttributionRule
from sysadmin.org.models import Branch, Staff

REASON_MAX = 1000


MAX_NUMBERS = 5000  # a bigger move is a hand-over of the whole book


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("max_length", REASON_MAX)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        branch = obj.branch.code if obj.branch_id else "—"
        return f"{obj.display_name} ({obj.username}, {branch})"


class ManagersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return ManagerChoiceField.label_from_instance(self, obj)


class ClaimForm(forms.Form):
    reason = ReasonField(help_text=_("Why this customer should be yours (e.g. you opened the account)."))


class ReassignForm(forms.Form):
    numbers = forms.CharField(
        label=_("Customer numbers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or more customer numbers, separated by spaces, commas or lines."),
    )
    to_manager = ManagerChoiceField(label=_("New primary manager"), queryset=Staff.objects.none())
    reason = ReasonField()

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["to_manager"].queryset = assignment.assignable_managers(actor)

    def clean_numbers(self):
        numbers = list(dict.fromkeys(n for n in re.split(r"[\s,;]+", self.cleaned_data["numbers"]) if n))
        if not numbers:
            raise forms.ValidationError(_("Enter at least one customer number."))
        if len(numbers) > MAX_NUMBERS:
            raise forms.ValidationError(
                _("At most %(n)d customers at once; hand over a whole book instead.") % {"n": MAX_NUMBERS}
            )
        found = dict(
            Customer.objects.visible_to(self.actor)
            .active()
            .filter(bank_id=self.actor.bank_id, number__in=numbers)
            .values_list("number", "pk")
        )
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(_("Not found in your scope: %(numbers)s") % {"numbers": ", ".join(missing[:20])})
        self.customer_ids = [found[n] for n in numbers]
        return numbers


class HandoverForm(forms.Form):
    from_manager = ManagerChoiceField(label=_("Departing manager"), queryset=Staff.objects.none())
    to_managers = ManagersChoiceField(
        label=_("New managers"), queryset=Staff.objects.none(), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    mode = forms.ChoiceField(
        label=_("How"),
        widget=forms.RadioSelect,
        initial=assignment.HANDOVER_ONE,
        choices=[
            (assignment.HANDOVER_ONE, _("All customers to one manager")),
            (assignment.HANDOVER_SPLIT, _("Split evenly by AUM across the chosen managers")),
        ],
    )
    reason = ReasonField()

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # The departing manager may have left already (inactive), but must be in the actor's scope.
        self.fields["from_manager"].queryset = (
            Staff.objects.visible_to(actor)
            .filter(bank_id=actor.bank_id, groups__name=assignment.MANAGER_ROLE)
            .select_related("branch")
            .order_by("branch__path", "username")
            .distinct()
        )
        self.fields["to_managers"].queryset = assignment.assignable_managers(actor)


class TransferForm(forms.Form):
    to_branch = forms.ModelChoiceField(label=_("Receiving branch"), queryset=Branch.objects.none())
    reason = ReasonField()

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active branch of the bank, in any country: the receiving side decides.
        self.fields["to_branch"].queryset = (
            Branch.objects.filter(bank_id=customer.bank_id, is_active=True).exclude(pk=customer.branch_id).order_by("path")
        )


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, required=False)
    to_manager = ManagerChoiceField(label=_("New manager (transfers)"), queryset=Staff.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_manager"].queryset = assignment.assignable_managers(actor)


class AttributionRuleForm(forms.ModelForm):
    class Meta:
        model = AttributionRule
        fields = ["branch_rule", "manager_rule"]
        widgets = {"branch_rule": forms.RadioSelect, "manager_rule": forms.RadioSelect}
