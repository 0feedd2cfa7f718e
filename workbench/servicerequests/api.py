"""Service request endpoints of the channel API: a customer's pending requests, confirm/decline
with the content hash they were shown, and a request's status. Every answer's content passes through
the channel's field classification (classification.classify_content): the hash is of the whole
content, the channel sees only what it may."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from ocrm.errors import NotVisible, Refused
from workbench.channelapi import classification
from workbench.channelapi.views import ChannelView
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest


class QuoteSerializer(serializers.Serializer):
    fx_rate = serializers.CharField(allow_null=True, help_text="The board's rate now; fixed when the customer confirms.")
    fx_rate_effective_at = serializers.DateTimeField(required=False)


class RequestSerializer(serializers.Serializer):
    """A request as a channel sees it; context: customer and allowed (the classification's fields)."""

    reference = serializers.CharField()
    type = serializers.CharField(source="request_type.code")
    # Not "name": that is the customer's name in the classification.
    type_name = serializers.CharField(source="request_type.name")
    status = serializers.CharField()
    version = serializers.IntegerField()
    content = serializers.SerializerMethodField(
        help_text="The pre-filled form, without the customer fields the channel's classification leaves out."
    )
    content_hash = serializers.CharField()
    expires_at = serializers.DateTimeField()
    quote = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField())
    def get_content(self, row):
        # Without the classification's fields (a caller outside a view) nothing customer-bound is shown.
        return classification.classify_content(
            row.request_type.form_schema,
            row.content,
            self.context.get("customer") or row.customer,
            self.context.get("allowed", ()),
        )

    @extend_schema_field(QuoteSerializer(allow_null=True))
    def get_quote(self, row):
        """What the channel shows next to a currency request waiting for confirmation."""
        if row.status != ServiceRequest.Status.SENT or "currency" not in (row.content or {}):
            return None
        return services.fx_quote(row) or {"fx_rate": None}


class DecisionSerializer(serializers.Serializer):
    content_hash = serializers.CharField(max_length=64, min_length=64)


EXAMPLE = OpenApiExample(
    "FX cash exchange",
    value={
        "reference": "SR261206A1B2C3D4",
        "type": "fx_cash_exchange",
        "type_name": "Foreign-currency cash exchange order",
        "status": "sent",
        "version": 1,
        "content": {"currency": "USD", "amount": "1000"},
        "content_hash": "0" * 64,
        "expires_at": "2026-12-10T16:00:00Z",
        "quote": {"fx_rate": "7.15000000", "fx_rate_effective_at": "2026-12-06T01:30:00Z"},
    },
    response_only=True,
)
DECISION_EXAMPLE = OpenApiExample("The hash the customer was shown", value={"content_hash": "0" * 64}, request_only=True)
CONFIRMED_EXAMPLE = OpenApiExample(
    "Confirmed",
    value={
        **EXAMPLE.value,
        "status": "confirmed",
        "content": {"currency": "USD", "amount": "1000", "fx_rate": "7.15000000", "fx_rate_effective_at": "2026-12-06T01:30:00Z"},
        "quote": None,
    },
    response_only=True,
    status_codes=["200"],
)
DECLINED_EXAMPLE = OpenApiExample(
    "Declined", value={**EXAMPLE.value, "status": "declined", "quote": None}, response_only=True, status_codes=["200"]
)
REFUSED_EXAMPLE = OpenApiExample(
    "Changed after it was sent",
    value={"detail": "The request was changed after it was sent; confirm the current version."},
    response_only=True,
    status_codes=["409"],
)


class RefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class _RequestView(ChannelView):
    def serialize(self, customer, rows, **options):
        context = {"customer": customer, "allowed": classification.fields_for(self.channel_client)}
        return RequestSerializer(rows, context=context, **options).data


class PendingRequestsView(_RequestView):
    endpoint_name = "service-requests-pending"

    @extend_schema(responses=RequestSerializer(many=True), examples=[EXAMPLE])
    def get(self, request, number):
        customer = self.get_customer(number)
        rows = services.pending_for_customer(customer).select_related("request_type").order_by("sent_at")
        return Response(self.serialize(customer, rows, many=True))


class RequestStatusView(_RequestView):
    endpoint_name = "service-request-status"

    @extend_schema(responses=RequestSerializer, examples=[EXAMPLE])
    def get(self, request, number, reference):
        customer = self.get_customer(number)
        row = ServiceRequest.objects.select_related("request_type").filter(customer=customer, reference=reference).first()
        if row is None:
            raise Http404
        return Response(self.serialize(customer, row))


class _DecisionView(_RequestView):
    decide = None

    def handle_post(self, request, number, reference):
        customer = self.get_customer(number)
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        try:
            row = type(self).decide(customer, reference, decision.validated_data["content_hash"], self.channel_client.kind)
        except NotVisible:
            raise Http404 from None
        except Refused as refused:
            return Response({"detail": str(refused)}, status=409)
        return Response(self.serialize(customer, row), status=200)


class ConfirmView(_DecisionView):
    endpoint_name = "service-request-confirm"
    decide = staticmethod(services.confirm)

    @extend_schema(
        request=DecisionSerializer,
        responses={200: RequestSerializer, 409: RefusedSerializer},
        examples=[DECISION_EXAMPLE, CONFIRMED_EXAMPLE, REFUSED_EXAMPLE],
    )
    def handle_post(self, request, number, reference):
        return super().handle_post(request, number, reference)


class DeclineView(_DecisionView):
    endpoint_name = "service-request-decline"
    decide = staticmethod(services.decline)

    @extend_schema(
        request=DecisionSerializer,
        responses={200: RequestSerializer, 409: RefusedSerializer},
        examples=[DECISION_EXAMPLE, DECLINED_EXAMPLE, REFUSED_EXAMPLE],
    )
    def handle_post(self, request, number, reference):
        return super().handle_post(request, number, reference)


# --- booking an appointment from a channel ------------------------------------------------------


class AppointmentRequest(serializers.Serializer):
    branch = serializers.CharField(max_length=40, help_text="The branch's code.")
    date = serializers.DateField(help_text="The branch's local date.")
    time = serializers.TimeField(help_text="The branch's local time (HH:MM), the start of a 30-minute slot.")
    purpose = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AppointmentView(_RequestView):
    endpoint_name = "appointment-book"

    @extend_schema(
        request=AppointmentRequest,
        responses={201: RequestSerializer, 409: RefusedSerializer},
        examples=[
            OpenApiExample(
                "Tuesday morning at Shanghai",
                value={"branch": "A-SH", "date": "2026-12-08", "time": "10:00", "purpose": "Open an account"},
                request_only=True,
            ),
            OpenApiExample(
                "Booked",
                value={
                    **EXAMPLE.value,
                    "type": "appointment",
                    "type_name": "Branch appointment",
                    "status": "confirmed",
                    "content": {"branch": "A-SH", "date": "2026-12-08", "time": "10:00", "purpose": "Open an account"},
                    "quote": None,
                },
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Fully booked",
                value={"time": ["This time at Shanghai branch is fully booked."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def handle_post(self, request, number):
        customer = self.get_customer(number, queryset=self.customers().select_related("primary_manager"))
        data = AppointmentRequest(data=request.data)
        data.is_valid(raise_exception=True)
        values = {key: value for key, value in data.validated_data.items() if value not in ("", None)}
        values["date"] = values["date"].isoformat()
        values["time"] = values["time"].isoformat(timespec="minutes")
        try:
            row = services.book_from_channel(customer, self.channel_client.kind, values)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        except Refused as refused:
            return Response({"detail": str(refused)}, status=409)
        return Response(self.serialize(customer, row), status=201)


urlpatterns = [
    path("customers/<str:number>/service-requests/pending", PendingRequestsView.as_view(), name="service-requests-pending"),
    path("customers/<str:number>/service-requests/<str:reference>", RequestStatusView.as_view(), name="service-request"),
    path(
        "customers/<str:number>/service-requests/<str:reference>/confirm",
        ConfirmView.as_view(),
        name="service-request-confirm",
    ),
    path(
        "customers/<str:number>/service-requests/<str:reference>/decline",
        DeclineView.as_view(),
        name="service-request-decline",
    ),
    path("customers/<str:number>/appointments", AppointmentView.as_view(), name="appointment-book"),
]
