"""Routes of the rate board."""

from django.urls import path

from customers.fx import views
from ocrm import links

urlpatterns = [
    path("fx/", views.BoardView.as_view(), name="fx_board"),
    path("fx/convert/", views.ConvertView.as_view(), name="fx_convert"),
    path("fx/history/", views.HistoryView.as_view(), name="fx_history"),
    path("fx/postings/", views.PostingListView.as_view(), name="fx_postings"),
    path("fx/postings/<int:pk>/", views.PostingDetailView.as_view(), name="fx_detail"),
    path("fx/post/", views.PostView.as_view(), name="fx_post"),
]

# The pages services link to from notifications (ocrm.links).
links.register("fx_board", "customers:fx_board")
