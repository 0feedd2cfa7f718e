"""A service request's progress for a channel (交易进展查询): where it stands step by step, so that a
colleague with the step's role can pick up the saved progress from any channel (the counter, phone
banking) and the customer's online banking can show how far it got.

The saved progress is our staff's working notes: the channels our colleagues work in (counter, phone,
call centre) receive it, with the customer's names masked as the channel's classification says;
online banking, the customer's own channel, receives the steps without the notes."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from workbench.channelapi import classification
from workbench.channelapi.models import ChannelClient
from workbench.channelapi.views import ChannelView
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest

K = ChannelClient.Kind
# The channels our own colleagues work in: they receive the steps' saved progress.
STAFF_KINDS = {K.COUNTER, K.PHONE, K.CALL_CENTRE}


class StepSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The step's position, from 0.")
    name = serializers.CharField()
    role = serializers.CharField(help_text="The role that performs the step.")
    state = serializers.ChoiceField(choices=["done", "current", "waiting"])
    progress = serializers.DictField(
        required=False, help_text="The saved progress (counter, phone and call centre only; names as classified)."
    )
    progress_saved_at = serializers.DateTimeField(allow_null=True)
    attachments = serializers.IntegerField(help_text="How many files the step holds.")
    started_at = serializers.DateTimeField(allow_null=True, help_text="The current step's start.")
    due_at = serializers.DateTimeField(allow_null=True, help_text="The current step's time limit.")


class ProgressResponse(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    current_step = serializers.IntegerField(allow_null=True, help_text="The index of the step in progress, if any.")
    steps = StepSerializer(many=True)


class RequestProgressView(ChannelView):
    endpoint_name = "service-request-progress"

    @extend_schema(
        responses=ProgressResponse,
        examples=[
            OpenApiExample(
                "FX cash exchange, second step",
                value={
                    "reference": "SR261206A1B2C3D4",
                    "status": "processing",
                    "current_step": 1,
                    "steps": [
                        {
                            "index": 0,
                            "name": "Check identity",
                            "role": "teller",
                            "state": "done",
                            "progress": {"note": "ID seen, copy attached"},
                            "progress_saved_at": "2026-12-06T09:30:00Z",
                            "attachments": 1,
                            "started_at": None,
                            "due_at": None,
                        },
                        {
                            "index": 1,
                            "name": "Prepare cash",
                            "role": "teller",
                            "state": "current",
                            "progress": {},
                            "progress_saved_at": None,
                            "attachments": 0,
                            "started_at": "2026-12-06T09:40:00Z",
                            "due_at": "2026-12-07T09:40:00Z",
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, number, reference):
        customer = self.get_customer(number)
        row = ServiceRequest.objects.select_related("request_type").filter(customer=customer, reference=reference).first()
        if row is None:
            raise Http404
        progress = services.progress_of(row)
        client = self.channel_client
        allowed = classification.fields_for(client)
        for step in progress["steps"]:
            if client.kind in STAFF_KINDS:
                step["progress"] = classification.classify_free_text(step["progress"], customer, allowed)
            else:
                del step["progress"]
        return Response(ProgressResponse({"reference": row.reference, **progress}).data)
