from django.urls import path

from . import account_views

urlpatterns = [
    path("login/", account_views.StaffLoginView.as_view(), name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
]
