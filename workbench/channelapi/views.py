"""The base of every channel API view (ChannelView) and the kernel's own endpoint (whoami).

Another area subclasses ChannelView, implements get() and/or handle_post(), and finds customers with
self.get_customer(number): the client's bank only, and for online banking only the customer the
channel asserted in X-Channel-Customer; anything else is a 404."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.master.models import Customer
from workbench.channelapi import idempotency, signing
from workbench.channelapi.authentication import ChannelSignatureAuthentication
from workbench.channelapi.models import ChannelCall, ChannelClient
from workbench.channelapi.ratelimit import ChannelClientThrottle


class ChannelView(APIView):
    authentication_classes = [ChannelSignatureAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ChannelClientThrottle]
    # Kinds of client allowed on this endpoint; None = every kind.
    channel_kinds = None
    endpoint_name = None  # the audited name; defaults to the class name

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # post() is the kernel's (idempotency); a subclass that overrode it would skip that.
        if "post" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: implement handle_post(), not post()")

    @property
    def channel_client(self) -> ChannelClient:
        return self.request.auth

    @property
    def asserted_customer_number(self):
        return self.request.headers.get(signing.HEADER_CUSTOMER, "")

    def initial(self, request, *args, **kwargs):
        self.audit_customer = None
        super().initial(request, *args, **kwargs)
        if self.channel_kinds is not None and request.auth.kind not in self.channel_kinds:
            raise Http404

    def customers(self):
        """The customers this call may reach."""
        client = self.channel_client
        queryset = Customer.objects.filter(bank_id=client.bank_id)
        if client.kind == ChannelClient.Kind.ONLINE:
            queryset = queryset.filter(number=self.asserted_customer_number or None)
        return queryset

    def get_customer(self, number=None, **lookup):
        if number is not None:
            lookup["number"] = number
        customer = self.customers().filter(**lookup).first()
        if customer is None:
            raise Http404
        self.audit_customer = customer
        return customer

    def post(self, request, *args, **kwargs):
        key = request.headers.get(idempotency.HEADER, "")
        if not key or len(key) > 200:
            raise ValidationError({"Idempotency-Key": "Required on every POST (at most 200 characters)."})
        return idempotency.run_once(
            self.channel_client,
            key,
            self._endpoint(),
            request._request.body,
            lambda: self.handle_post(request, *args, **kwargs),
        )

    def handle_post(self, request, *args, **kwargs):
        raise Http404

    def _endpoint(self):
        return self.endpoint_name or type(self).__name__

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        client = getattr(request, "auth", None)
        if isinstance(client, ChannelClient):
            ChannelCall.objects.create(
                client=client,
                bank_id=client.bank_id,
                method=request.method,
                endpoint=self._endpoint(),
                customer=getattr(self, "audit_customer", None),
                status_code=response.status_code,
                outcome="ok" if response.status_code < 400 else "refused",
            )
        return response


class WhoAmISerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    bank = serializers.CharField()


class WhoAmIView(ChannelView):
    """The calling client as the API sees it: a check that signing works."""

    endpoint_name = "whoami"

    @extend_schema(
        responses=WhoAmISerializer,
        examples=[OpenApiExample("Counter", value={"name": "Counter 1", "kind": "counter", "bank": "BANKA"})],
    )
    def get(self, request):
        client = self.channel_client
        return Response(WhoAmISerializer({"name": client.name, "kind": client.kind, "bank": client.bank.code}).data)


class EchoView(ChannelView):
    """A POST that only echoes its body: used to test idempotency without side effects elsewhere."""

    endpoint_name = "echo"

    @extend_schema(request=dict, responses=dict)
    def handle_post(self, request):
        return Response({"received": request.data}, status=201)
