"""Routes of customer batch maintenance."""

from django.urls import path

from customers.maintenance import views

urlpatterns = [
    path("batch/", views.BatchListView.as_view(), name="batch_list"),
    path("batch/upload/", views.BatchUploadView.as_view(), name="batch_upload"),
    path("batch/template.xlsx", views.BatchTemplateView.as_view(), name="batch_template"),
    path("batch/<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("batch/<int:pk>/apply/", views.BatchApplyView.as_view(), name="batch_apply"),
    path("batch/<int:pk>/errors.xlsx", views.BatchErrorsView.as_view(), name="batch_errors"),
]
