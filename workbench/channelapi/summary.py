"""The customer summary for a channel: star rating, tags, alerts (machine codes the channel shows in
its own words) and what to offer (offers.offers_for). What a channel receives of them is its bank's
classification (classification.py); online banking only ever reaches its asserted customer (ChannelView)."""

import datetime
from dataclasses import asdict

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.master.models import IdentityDocument, Tag
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
    expiries = getattr(customer, "id_expiries", None)
    if expiries is None:
        expiries = IdentityDocument.objects.filter(customer=customer, expiry_date__isnull=False).values_list(
            "expiry_date", flat=True
        )
    for expiry in expiries:
        if expiry < today:
            alerts.append({"code": "id_expired", "date": expiry.isoformat()})
        elif expiry <= today + datetime.timedelta(days=ID_EXPIRY_WARNING_DAYS):
            alerts.append({"code": "id_expiring", "date": expiry.isoformat()})
    if customer.do_not_contact:
        alerts.append({"code": "do_not_contact"})
    return alerts


def with_summary_facts(customers, fields):
    """The customer queryset with the tags and identity expiries the summary needs, in the same query."""
    if "tags" in fields:
        tags = Tag.objects.filter(customertag__customer=OuterRef("pk")).order_by("name").values("name")
        customers = customers.annotate(tag_names=ArraySubquery(tags))
    if "alerts" in fields:
        documents = IdentityDocument.objects.filter(customer=OuterRef("pk"), expiry_date__isnull=False)
        customers = customers.annotate(id_expiries=ArraySubquery(documents.values("expiry_date")))
    return customers


def _tags_of(customer):
    names = getattr(customer, "tag_names", None)
    return customer.tags.values_list("name", flat=True) if names is None else names


def summary_of(customer, kind, fields):
    """`fields`: the classification's for this channel; `customer` ideally from with_summary_facts()."""
    values = {
        "number": lambda: customer.number,
        "star_rating": lambda: customer.star_rating,
        "tags": lambda: sorted(_tags_of(customer)),
        "alerts": lambda: alerts_of(customer),
        "offers": lambda: [{**asdict(offer), "reasons": list(offer.reasons)} for offer in offers.offers_for(customer, kind)],
    }
    return {field: values[field]() for field in fields if field in SUMMARY_FIELDS}


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
        client = self.channel_client
        fields = classification.fields_for(client)
        customer = self.get_customer(number, queryset=with_summary_facts(self.customers(), fields))
        return Response(summary_of(customer, client.kind, fields))
