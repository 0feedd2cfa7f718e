"""Routes of customer sharing."""

from django.urls import path

from customers.ownership.sharing import views
from ocrm import links

urlpatterns = [
    path("sharing/with-me/", views.SharedWithMeView.as_view(), name="shared_with_me"),
    path("sharing/by-me/", views.SharedByMeView.as_view(), name="shared_by_me"),
    path("sharing/colleagues/", views.ColleagueSuggestView.as_view(), name="share_colleagues"),
    path("sharing/<int:pk>/revoke/", views.ShareRevokeView.as_view(), name="share_revoke"),
]

# The pages services link to from notifications (ocrm.links).
links.register("shared_with_me", "customers:shared_with_me")

# Below one customer's number ("<str:number>/...", see customers/urls.py).
customer_urlpatterns = [
    path("share/", views.ShareCreateView.as_view(), name="share"),
]
