"""Log-in, log-out and password change."""

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sysadmin.accounts.forms import StaffAuthenticationForm, StaffPasswordChangeForm
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
