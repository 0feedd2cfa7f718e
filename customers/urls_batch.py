"""URL patterns of customer batch maintenance (included by customers/urls.py, before the
"<str:number>/..." customer routes)."""

from django.urls import path

from . import views_batch

urlpatterns: list = [
    path("batch/", views_batch.BatchListView.as_view(), name="batch_list"),
    path("batch/upload/", views_batch.BatchUploadView.as_view(), name="batch_upload"),
    path("batch/template.xlsx", views_batch.batch_template, name="batch_template"),
    path("batch/<int:pk>/", views_batch.batch_detail, name="batch_detail"),
    path("batch/<int:pk>/apply/", views_batch.batch_apply, name="batch_apply"),
    path("batch/<int:pk>/errors.xlsx", views_batch.batch_errors, name="batch_errors"),
]
