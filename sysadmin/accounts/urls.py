"""Routes of log-in, log-out and password change (included from ocrm/urls.py at "accounts/")."""

from django.urls import path

from ocrm import links
from sysadmin.accounts import views as account_views

urlpatterns = [
    path("login/", account_views.StaffLoginView.as_view(), name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
]

links.register("password_change", "password_change")
