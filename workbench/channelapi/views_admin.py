"""Administrators' pages of the channel API: the webhook dead letters of the bank, with replay."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from ocrm.pages import PermissionPageMixin
from sysadmin.org.models import Bank
from workbench.channelapi import delivery

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
