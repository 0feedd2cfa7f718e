"""The channel API's views: the base of every API view (ChannelView), the kernel's own endpoints
(whoami, echo), and the bank administrators' pages (channel clients: register, the secret shown
once, rotate, revoke; the webhook dead letters with replay).

The API:

Another area subclasses ChannelView, implements get() and/or handle_post(), and finds customers with
self.get_customer(number): the client's bank only, and for online banking only the customer the
channel asserted in X-Channel-Customer; anything else is a 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.master.models import Customer
from ocrm import pii
from ocrm.pages import PermissionPageMixin
from sysadmin.org.models import Bank
from workbench.channelapi import audit, credentials, delivery, idempotency, offers, signing
from workbench.channelapi.authentication import ChannelSignatureAuthentication
from workbench.channelapi.models import ChannelClient
from workbench.channelapi.ratelimit import ChannelClientThrottle


class ChannelView(APIView):
    authentication_classes = [ChannelSignatureAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ChannelClientThrottle]
    # Kinds of client allowed on this endpoint; None = every kind.
    channel_kinds = None
    endpoint_name = None  # the audited name; defaults to the class name
    # A POST that only reads (the look-up: a POST so that identity numbers stay out of URLs).
    read_only_post = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # post() is the kernel's (idempotency); a subclass that overrode it would skip that.
        if "post" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: implement handle_post(), not post()")
        if "handle_post" in cls.__dict__:
            # The class's own post() runs the kernel's and carries handle_post()'s @extend_schema,
            # so the OpenAPI schema documents the POST with its serializers.
            def post(self, request, *args, **kwargs):
                return ChannelView.post(self, request, *args, **kwargs)

            post.kwargs = dict(getattr(cls.__dict__["handle_post"], "kwargs", {}))
            cls.post = post
        if cls.handle_post is ChannelView.handle_post:
            # No POST here: it is not offered (405) nor documented.
            cls.http_method_names = [method for method in ChannelView.http_method_names if method != "post"]
        else:
            # A base without handle_post() took POST away from its subclasses: give it back.
            cls.http_method_names = list(ChannelView.http_method_names)

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
        # The audit trail's safety net names the request's user as the actor of every change; a
        # channel is no staff member (its calls are audited as ChannelCall rows), so the Django
        # request carries no user and audited changes made from the API name no actor.
        request._request.user = AnonymousUser()

    def customers(self):
        """The customers this call may reach."""
        client = self.channel_client
        queryset = Customer.objects.filter(bank_id=client.bank_id)
        if client.kind == ChannelClient.Kind.ONLINE:
            queryset = queryset.filter(number=self.asserted_customer_number or None)
        return queryset

    def get_customer(self, number=None, queryset=None, **lookup):
        """The customer by number (or `lookup`) among self.customers(), or among `queryset`, which must
        be self.customers() narrowed or annotated; else 404."""
        if number is not None:
            lookup["number"] = number
        customer = (self.customers() if queryset is None else queryset).filter(**lookup).first()
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
            durable=not self.read_only_post,
        )

    def handle_post(self, request, *args, **kwargs):
        raise Http404

    def _endpoint(self):
        return self.endpoint_name or type(self).__name__

    def changes_nothing(self, request, response=None):
        """A call that wrote nothing but its audit row: a GET, a read-only POST (read_only_post, the
        look-up), or any refused call (its transaction was rolled back)."""
        refused = response is not None and response.status_code >= 400
        return request.method in ("GET", "HEAD", "OPTIONS") or self.read_only_post or refused

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The catalogue generation this call read is this call's only (a worker's thread serves others).
        offers.saw_generation(None)
        client = getattr(request, "auth", None)
        if not isinstance(client, ChannelClient):
            # A refused signature, timestamp or nonce of a known key is audited under that client too.
            client = getattr(request._request, "channel_claimed_client", None)
        if isinstance(client, ChannelClient):
            audit.record_call(
                client,
                request.method,
                self._endpoint(),
                getattr(self, "audit_customer", None),
                response.status_code,
                relaxed=self.changes_nothing(request, response),
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

    @extend_schema(
        request=dict,
        responses={201: dict},
        examples=[
            OpenApiExample("Any JSON body", value={"a": 1}, request_only=True),
            OpenApiExample("Echoed", value={"received": {"a": 1}}, response_only=True, status_codes=["201"]),
        ],
    )
    def handle_post(self, request):
        return Response({"received": request.data}, status=201)


# --- the administrators' pages (the user's bank only) -----------------------------------------

MANAGE_PERM = "workbench.manage_channelclients"
PAGE_SIZE = 200


def _bank_of(user):
    return Bank.objects.filter(pk=user.bank_id).first() if user.bank_id else None


class DeadLettersView(PermissionPageMixin, View):
    permission_required = MANAGE_PERM

    def get(self, request):
        bank = _bank_of(request.user)
        rows = list(delivery.dead_letters(bank)[:PAGE_SIZE]) if bank else []
        return render(request, "workbench/channelapi/dead_letters.html", {"rows": rows, "title": _("Webhook dead letters")})

    def post(self, request):
        bank = _bank_of(request.user)
        ids = [int(value) for value in request.POST.getlist("delivery") if value.isdigit()]
        if bank is None or not ids:
            messages.warning(request, _("Choose the deliveries to send again."))
        else:
            count = delivery.replay(bank, ids, user=request.user)
            messages.success(request, _("%(count)d deliveries will be sent again.") % {"count": count})
        return redirect("workbench:channel_dead_letters")


class RegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=ChannelClient.Kind.choices)
    webhook_url = forms.URLField(label=gettext_lazy("webhook URL"), required=False)
    requests_per_minute = forms.IntegerField(label=gettext_lazy("requests per minute"), min_value=1, initial=600)


def _clients_of(user):
    return ChannelClient.objects.filter(bank_id=user.bank_id) if user.bank_id else ChannelClient.objects.none()


class ClientsView(PermissionPageMixin, View):
    """The bank's channel clients; registering one shows its secret on this answer only."""

    permission_required = MANAGE_PERM
    template_name = "workbench/channelapi/clients.html"

    def _render(self, request, form, shown=None):
        clients = list(_clients_of(request.user).order_by("name"))
        context = {"clients": clients, "form": form, "shown": shown, "title": _("Channel clients")}
        return pii.no_store(render(request, self.template_name, context))

    def get(self, request):
        return self._render(request, RegisterForm())

    def post(self, request):
        form = RegisterForm(request.POST)
        bank = _bank_of(request.user)
        if bank is None:
            raise PermissionDenied
        if form.is_valid():
            if _clients_of(request.user).filter(name=form.cleaned_data["name"]).exists():
                form.add_error("name", _("A channel client of this name exists already."))
            else:
                data = form.cleaned_data
                client, secret = credentials.register(
                    bank,
                    data["name"],
                    data["kind"],
                    webhook_url=data["webhook_url"] or "",
                    requests_per_minute=data["requests_per_minute"],
                )
                return self._render(request, RegisterForm(), shown=(client, secret))
        return self._render(request, form)


class RotateView(PermissionPageMixin, View):
    permission_required = MANAGE_PERM

    def post(self, request, pk):
        client = get_object_or_404(_clients_of(request.user), pk=pk, revoked_at__isnull=True)
        client, secret = credentials.rotate(client)
        view = ClientsView()
        view.request = request
        return view._render(request, RegisterForm(), shown=(client, secret))


class RevokeView(PermissionPageMixin, View):
    permission_required = MANAGE_PERM

    def post(self, request, pk):
        client = get_object_or_404(_clients_of(request.user), pk=pk, revoked_at__isnull=True)
        credentials.revoke(client)
        messages.success(request, _("The channel client's credentials are revoked."))
        return redirect("workbench:channel_clients")
