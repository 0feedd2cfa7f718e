"""Routes of the contact policy (below one customer's number)."""

from django.urls import path

from customers.consent import views

urlpatterns = []

customer_urlpatterns = [
    path("consent/", views.ContactPolicyView.as_view(), name="consent"),
    path("consent/section/", views.ConsentSectionView.as_view(), name="consent_section"),
]
