"""URL patterns of the branch and staff pages (included by sysadmin/urls.py)."""

from django.urls import path

from sysadmin.org import views as org_views

urlpatterns: list = [
    path("branches/", org_views.BranchListView.as_view(), name="branch_list"),
    path("branches/new/", org_views.BranchCreateView.as_view(), name="branch_create"),
    path("branches/timezones/", org_views.branch_timezones, name="branch_timezones"),
    path("branches/<int:pk>/", org_views.BranchDetailView.as_view(), name="branch_detail"),
    path("branches/<int:pk>/edit/", org_views.BranchEditView.as_view(), name="branch_edit"),
    path("staff/", org_views.StaffListView.as_view(), name="staff_list"),
    path("staff/new/", org_views.StaffCreateView.as_view(), name="staff_create"),
    path("staff/<int:pk>/", org_views.StaffDetailView.as_view(), name="staff_detail"),
    path("staff/<int:pk>/edit/", org_views.StaffEditView.as_view(), name="staff_edit"),
    path("staff/<int:pk>/unlock/", org_views.StaffUnlockView.as_view(), name="staff_unlock"),
]
