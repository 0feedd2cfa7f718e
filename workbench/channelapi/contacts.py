"""A service contact reported by a channel (a counter visit, a phone-banking call): it lands in the
customer's contact history (customers ServiceContact) like one a manager logs, without a staff
member of ours (the channel's own operator reference goes into the notes). Idempotent through the
kernel's Idempotency-Key: a retried report records one contact. The row is written by
services.record_contact; this module parses and answers."""

import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.master.models import ServiceContact
from workbench.channelapi import services
from workbench.channelapi.views import ChannelView

CLOCK_SKEW = datetime.timedelta(minutes=5)


class ContactRequest(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    outcome = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=ServiceContact.Channel.choices, required=False)
    occurred_at = serializers.DateTimeField(required=False)
    operator = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="The channel's own operator reference."
    )

    def validate_occurred_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError("The contact cannot lie in the future.")
        return value


class ContactResponse(serializers.Serializer):
    """What was recorded; no customer field (those are the classification's, and the caller named the customer)."""

    channel = serializers.CharField()
    subject = serializers.CharField()
    outcome = serializers.CharField()
    occurred_at = serializers.DateTimeField()


class ServiceContactView(ChannelView):
    endpoint_name = "service-contact"

    @extend_schema(
        request=ContactRequest,
        responses={201: ContactResponse},
        examples=[
            OpenApiExample(
                "Counter visit",
                value={"subject": "Asked about time deposits", "outcome": "Brochure given", "operator": "T-0420"},
                request_only=True,
            ),
            OpenApiExample(
                "Recorded",
                value={
                    "channel": "branch",
                    "subject": "Asked about time deposits",
                    "outcome": "Brochure given",
                    "occurred_at": "2026-12-06T09:30:00Z",
                },
                response_only=True,
            ),
        ],
    )
    def handle_post(self, request, number):
        customer = self.get_customer(number)
        data = ContactRequest(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.record_contact(self.channel_client, customer, **data.validated_data)
        return Response(ContactResponse(contact).data, status=201)
