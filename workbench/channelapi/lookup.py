"""Customer look-up for channels: by customer number, identity number or phone, always in a POST body."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from customers.master.models import ContactPoint, IdentityDocument
from ocrm import pii
from workbench.channelapi import classification
from workbench.channelapi.views import ChannelView

# The look-up's fields; what a channel receives of them is its bank's classification (classification.py).
LOOKUP_FIELDS = ("number", "name", "name_masked", "star_rating", "tier")


class LookupRequest(serializers.Serializer):
    customer_number = serializers.CharField(required=False, max_length=32)
    id_number = serializers.CharField(required=False, max_length=64)
    phone = serializers.CharField(required=False, max_length=40)

    def validate(self, attrs):
        if len([value for value in attrs.values() if value]) != 1:
            raise serializers.ValidationError("Give exactly one of customer_number, id_number, phone.")
        return attrs


class LookupResponse(serializers.Serializer):
    """The look-up's answer: only the fields the channel's classification allows are present."""

    number = serializers.CharField(required=False, help_text="The customer number.")
    name = serializers.CharField(required=False, help_text="The full name (counter and online banking by default).")
    name_masked = serializers.CharField(required=False, help_text="The masked name.")
    star_rating = serializers.IntegerField(required=False, allow_null=True)
    tier = serializers.CharField(required=False, allow_blank=True)


def customer_fields(customer, allowed):
    values = {
        "number": customer.number,
        "name": customer.name_local,
        "name_masked": pii.mask_text(customer.name_local),
        "star_rating": customer.star_rating,
        "tier": customer.tier,
    }
    return {field: values[field] for field in allowed if field in LOOKUP_FIELDS}


class CustomerLookupView(ChannelView):
    endpoint_name = "customer-lookup"
    read_only_post = True

    @extend_schema(
        request=LookupRequest,
        responses=LookupResponse,
        examples=[
            OpenApiExample("By identity number", value={"id_number": "110101199003071234"}, request_only=True),
            OpenApiExample(
                "Counter answer",
                value={"number": "C0001", "name_masked": "张*", "star_rating": 3, "tier": "mass"},
                response_only=True,
            ),
        ],
    )
    def handle_post(self, request):
        query = LookupRequest(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        customers = self.customers()
        if data.get("customer_number"):
            customers = customers.filter(number=data["customer_number"])
        elif data.get("id_number"):
            digest = pii.keyed_hash(pii.normalise_id_number(data["id_number"]))
            ids = IdentityDocument.objects.filter(bank_id=self.channel_client.bank_id, number_hash=digest)
            customers = customers.filter(pk__in=ids.values("customer_id"))
        else:
            points = ContactPoint.objects.filter(
                bank_id=self.channel_client.bank_id, kind__in=["mobile", "phone"], value=data["phone"]
            )
            customers = customers.filter(pk__in=points.values("customer_id"))
        customer = customers.first()
        if customer is None:
            raise Http404
        self.audit_customer = customer
        return Response(customer_fields(customer, classification.fields_for(self.channel_client)))
