"""The bank's cross-border agreements: list, accept (propose) with a partner bank, suspend, resume."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from crossborder.agreements import services
from ocrm.errors import Refused, messages_of
from ocrm.pages import PermissionPageMixin
from sysadmin.org.models import Bank

PERMISSION = "sysadmin.view_bank"


class AgreementListView(PermissionPageMixin, View):
    permission_required = PERMISSION

    def get(self, request):
        user = request.user
        rows = []
        for agreement in services.visible_agreements(user).select_related("bank_a", "bank_b"):
            side = agreement.side_of(user.bank_id) or "a"
            other = "b" if side == "a" else "a"
            rows.append(
                {
                    "agreement": agreement,
                    "partner": getattr(agreement, f"bank_{other}"),
                    "ours_accepted": getattr(agreement, f"accepted_by_{side}_at"),
                    "theirs_accepted": getattr(agreement, f"accepted_by_{other}_at"),
                    "ours_suspended": getattr(agreement, f"suspended_by_{side}_at"),
                    "theirs_suspended": getattr(agreement, f"suspended_by_{other}_at"),
                }
            )
        partners = Bank.objects.filter(is_active=True).exclude(pk=user.bank_id).order_by("code")
        return render(
            request,
            "crossborder/agreements.html",
            {"rows": rows, "partners": partners, "may_change": services.is_bank_admin(user)},
        )


class AgreementActionView(PermissionPageMixin, View):
    permission_required = PERMISSION
    http_method_names = ["post"]

    def post(self, request, action):
        try:
            if action == "accept":
                partner = request.POST.get("partner", "")
                services.accept(request.user, int(partner) if partner.isdigit() else 0)
            elif action == "suspend":
                services.suspend(request.user, int(request.POST.get("agreement", "0") or 0))
            elif action == "resume":
                services.resume(request.user, int(request.POST.get("agreement", "0") or 0))
            else:
                raise Refused(_("Unknown action."))
        except (Refused, PermissionDenied) as error:
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("Done."))
        return redirect("crossborder:agreements")
