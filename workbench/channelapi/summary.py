"""The customer summary for a channel: star rating, tags, alerts (machine codes the channel shows in
its own words) and what to offer (offers.offers_for). What a channel receives of them is its bank's
classification (classification.py); online banking only ever reaches its asserted customer (ChannelView)."""

import datetime
from dataclasses import asdict

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.master.models import IdentityDocument
from customers.profile.sections import ID_EXPIRY_WARNING_DAYS
from workbench.channelapi import classification, offers
from workbench.channelapi.views import ChannelView

SUMMARY_FIELDS = ("number", "star_rating", "tags", "alerts", "offers")


class AlertSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["id_expired", "id_expiring", "do_not_contact"])
    date = serializers.DateField(required=False, help_text="The identity document's expiry date.")


class OfferSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["campaign", "bundle", "product"])
    reference = serializers.CharField(help_text="Echoed back when the channel records the customer's response.")
    title = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class SummaryResponse(serializers.Serializer):
    """The summary: only the fields the channel's classification allows are present."""

    number = serializers.CharField(required=False)
    star_rating = serializers.IntegerField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    alerts = AlertSerializer(many=True, required=False)
    offers = OfferSerializer(many=True, required=False)


def alerts_of(customer):
    today = timezone.localdate()
    alerts = []
    expiries = IdentityDocument.objects.filter(customer=customer, expiry_date__isnull=False).values_list("expiry_date", flat=True)
    for expiry in expiries:
        if expiry < today:
            alerts.append({"code": "id_expired", "date": expiry.isoformat()})
        elif expiry <= today + datetime.timedelta(days=ID_EXPIRY_WARNING_DAYS):
            alerts.append({"code": "id_expiring", "date": expiry.isoformat()})
    if customer.do_not_contact:
        alerts.append({"code": "do_not_contact"})
    return alerts


def summary_of(customer, kind):
    fields = [field for field in classification.allowed_fields(customer.bank_id, kind) if field in SUMMARY_FIELDS]
    values = {
        "number": lambda: customer.number,
        "star_rating": lambda: customer.star_rating,
        "tags": lambda: sorted(customer.tags.values_list("name", flat=True)),
        "alerts": lambda: alerts_of(customer),
        "offers": lambda: [{**asdict(offer), "reasons": list(offer.reasons)} for offer in offers.offers_for(customer, kind)],
    }
    return {field: values[field]() for field in fields}


class CustomerSummaryView(ChannelView):
    endpoint_name = "customer-summary"

    @extend_schema(
        responses=SummaryResponse,
        examples=[
            OpenApiExample(
                "Counter answer",
                value={
                    "number": "C0001",
                    "star_rating": 4,
                    "tags": ["VIP"],
                    "alerts": [{"code": "id_expiring", "date": "2027-01-05"}],
                    "offers": [{"kind": "campaign", "reference": "CMP-12", "title": "Spring deposit", "reasons": []}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, number):
        customer = self.get_customer(number)
        return Response(summary_of(customer, self.channel_client.kind))
