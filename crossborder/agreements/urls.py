from django.urls import path

from crossborder.agreements import views

urlpatterns = [
    path("agreements/", views.AgreementListView.as_view(), name="agreements"),
    path("agreements/<slug:action>/", views.AgreementActionView.as_view(), name="agreement_action"),
]
