"""Administrators' pages of the channel API (the user's bank only): channel clients (register, the
secret shown once, rotate, revoke) and the webhook dead letters with replay."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ocrm import pii
from ocrm.pages import PermissionPageMixin
from sysadmin.org.models import Bank
from workbench.channelapi import credentials, delivery
from workbench.channelapi.models import ChannelClient

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
