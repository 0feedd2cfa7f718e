"""Forms of campaign pages: the definition, the uploaded list, a response."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.master.models import CustomerGroup, Product
from marketing.campaigns.models import Campaign, CampaignMember
from ocrm.outbox.models import Channel, MessageTemplate, Purpose
from ocrm.widgets import DateInput
from sysadmin.org.models import Branch


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = (
            "name",
            "goal",
            "starts_on",
            "ends_on",
            "branch",
            "products",
            "group",
            "channel_task",
            "channel_sms",
            "sms_template",
            "channel_offer",
            "budget",
            "cost_per_contact",
            "holdout_percent",
            "household_once",
            "exclude_campaign",
            "exclude_days",
        )
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "goal": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        bank_id = user.bank_id
        branches = Branch.objects.filter(bank_id=bank_id)
        if user.branch_id:
            branches = branches.filter(path__startswith=user.branch.path)
        self.fields["branch"].queryset = branches.order_by("path")
        self.fields["products"].queryset = Product.objects.filter(bank_id=bank_id, is_active=True).order_by("code")
        self.fields["group"].queryset = CustomerGroup.objects.filter(bank_id=bank_id, owner=user).order_by("name")
        self.fields["sms_template"].queryset = MessageTemplate.objects.filter(
            bank_id=bank_id, channel=Channel.SMS, purpose=Purpose.MARKETING
        )
        self.fields["exclude_campaign"].queryset = Campaign.objects.visible_to(user).exclude(pk=self.instance.pk or 0)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("List of customer numbers (XLSX or CSV)"))


class ResponseForm(forms.Form):
    response = forms.ChoiceField(label=_("response"), choices=[c for c in CampaignMember.Response.choices if c[0]])
