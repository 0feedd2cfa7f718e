"""The personal details page (个人信息修改)."""

from django.urls import path

from sysadmin.personal import views

urlpatterns = [path("me/", views.PersonalDetailsView.as_view(), name="personal_details")]
