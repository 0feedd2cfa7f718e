"""Routes of announcements (under workbench/)."""

from django.urls import path

from ocrm import links
from workbench.announcements import views

urlpatterns = [
    path("announcements/", views.CurrentListView.as_view(), name="announcements"),
    path("announcements/history/", views.HistoryView.as_view(), name="announcement_history"),
    path("announcements/<int:pk>/", views.DetailView.as_view(), name="announcement_detail"),
    path("announcements/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="announcement_acknowledge"),
    path("announcements/attachments/<int:pk>/", views.AttachmentView.as_view(), name="announcement_attachment"),
    path("announcements/manage/", views.ManageListView.as_view(), name="announcement_manage_list"),
    path("announcements/manage/new/", views.CreateView.as_view(), name="announcement_create"),
    path("announcements/manage/<int:pk>/", views.ManageView.as_view(), name="announcement_manage"),
    path("announcements/manage/<int:pk>/attach/", views.AttachView.as_view(), name="announcement_attach"),
    path(
        "announcements/manage/attachments/<int:pk>/remove/",
        views.RemoveAttachmentView.as_view(),
        name="announcement_attachment_remove",
    ),
    path("announcements/manage/<int:pk>/publish/", views.PublishView.as_view(), name="announcement_publish"),
    path("announcements/manage/<int:pk>/withdraw/", views.WithdrawView.as_view(), name="announcement_withdraw"),
    path("announcements/manage/<int:pk>/reach/", views.ReachView.as_view(), name="announcement_reach"),
]

# The pages services link to from notifications and the desk (ocrm.links).
links.register("announcements", "workbench:announcements")
links.register("announcement_detail", "workbench:announcement_detail")
links.register("announcement_manage", "workbench:announcement_manage")
links.register("announcement_reach", "workbench:announcement_reach")
