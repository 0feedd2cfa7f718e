"""Routes of customer batch maintenance."""

from django.urls import path

from customers.maintenance import views

urlpatterns = [
    path("batch/", views.BatchListView.as_view(), name="batch_list"),
    path("batch/upload/", views.BatchUploadView.as_view(), name="batch_upload"),
    path("batch/template.xlsx", views.batch_template, name="batch_template"),
    path("batch/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batch/<int:pk>/apply/", views.batch_apply, name="batch_apply"),
    path("batch/<int:pk>/errors.xlsx", views.batch_errors, name="batch_errors"),
]
