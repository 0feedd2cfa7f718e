"""Routes of log-in, log-out, password change and the second factor (included from ocrm/urls.py at "accounts/")."""

from django.urls import path

from ocrm import links
from sysadmin.accounts import views as account_views

urlpatterns = [
    path("login/", account_views.StaffLoginView.as_view(), name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("second-factor/enrol/", account_views.SecondFactorEnrolView.as_view(), name="mfa_enrol"),
    path("second-factor/verify/", account_views.SecondFactorVerifyView.as_view(), name="mfa_verify"),
    path("second-factor/recovery-codes/", account_views.recovery_codes_view, name="mfa_recovery_codes"),
    path("second-factor/reset/", account_views.SecondFactorResetView.as_view(), name="mfa_reset"),
]

links.register("password_change", "password_change")
links.register("audit_log", "sysadmin:audit_list")  # the lock-out's alerts point at the failed log-ins
