"""Log-in, log-out, password change, and the second factor (enrol, verify, recovery codes, reset)."""

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST

from ocrm.pages import ServiceFormView
from sysadmin.accounts import mfa
from sysadmin.accounts.forms import (
    SecondFactorCodeForm,
    SecondFactorResetForm,
    StaffAuthenticationForm,
    StaffPasswordChangeForm,
)
from sysadmin.accounts.services import change_own_password


class StaffLoginView(auth_views.LoginView):
    template_name = "sysadmin/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("login")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "sysadmin/password_change.html"
    form_class = StaffPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        change_own_password(self.request.user, form.cleaned_data["new_password1"], request=self.request)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect(self.get_success_url())


# --- the second factor ---------------------------------------------------------------------------


def _next_url(request):
    """Where to go once the code is in: the page that sent the person here, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url("home")


def _show_recovery_codes(request, codes):
    """The codes in clear, this once: only their hashes are kept."""
    return render(request, "sysadmin/accounts/mfa_recovery_codes.html", {"codes": codes, "next": _next_url(request)})


@method_decorator(login_required, name="dispatch")
class SecondFactorEnrolView(View):
    """Set up the authenticator app: a QR code (drawn here) and the key for typing in, then a
    first code to prove it works. Someone who already has an app must verify with it first, or a
    stolen password alone could replace it."""

    template_name = "sysadmin/accounts/mfa_enrol.html"

    def dispatch(self, request, *args, **kwargs):
        if mfa.confirmed_device(request.user) is not None and not request.user.is_verified():
            return redirect(f"{resolve_url('mfa_verify')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render_page(SecondFactorCodeForm())

    def post(self, request):
        form = SecondFactorCodeForm(request.POST)
        if form.is_valid():
            codes = mfa.confirm_enrolment(request.user, form.cleaned_data["code"], request)
            if codes is not None:
                messages.success(request, _("Your authenticator app is set up."))
                return _show_recovery_codes(request, codes)
            form.add_error("code", _("That code is not right. Check the time on your phone and try the newest code."))
        return self.render_page(form)

    def render_page(self, form):
        user = self.request.user
        device = mfa.pending_device(user, self.request.session)
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "qr_svg": mfa.qr_svg(device),
                "manual_key": mfa.manual_key(device),
                "enrolled": mfa.confirmed_device(user) is not None,
                "required": mfa.second_factor_needed(user),
                "next": _next_url(self.request),
            },
        )


@method_decorator(login_required, name="dispatch")
class SecondFactorVerifyView(View):
    template_name = "sysadmin/accounts/mfa_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if mfa.confirmed_device(request.user) is None:
            return redirect(f"{resolve_url('mfa_enrol')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": SecondFactorCodeForm(), "next": _next_url(request)})

    def post(self, request):
        form = SecondFactorCodeForm(request.POST)
        if form.is_valid():
            if mfa.verify(request.user, form.cleaned_data["code"], request):
                return redirect(_next_url(request))
            form.add_error("code", _("That code is not right, or it was used already."))
        return render(request, self.template_name, {"form": form, "next": _next_url(request)})


@login_required
@require_POST
def recovery_codes_view(request):
    """A fresh set of recovery codes (the old ones stop working), for someone verified in this session."""
    if not request.user.is_verified():
        return redirect("mfa_verify")
    return _show_recovery_codes(request, mfa.regenerate_recovery_codes(request.user, request))


class SecondFactorResetView(ServiceFormView):
    """A system administrator forgets a colleague's authenticator (a lost phone); audited."""

    permission_required = "sysadmin.reset_staff_mfa"
    form_class = SecondFactorResetForm
    template_name = "sysadmin/accounts/mfa_reset.html"
    title = gettext_lazy("Reset a second factor")
    success_url = "mfa_reset"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def perform(self, form):
        staff = form.cleaned_data["staff"]
        mfa.reset(staff, self.request.user, form.cleaned_data["reason"], request=self.request)
        return staff

    def get_success_message(self, staff):
        return _("%(name)s sets up an authenticator app again at the next log-in.") % {"name": staff.display_name}
