from django.urls import path

from ocrm import links
from reports.catalogue import views

urlpatterns = [
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/customers/", views.report_view("customers"), name="customers_report"),
    path("catalogue/balances/", views.report_view("balances"), name="balances_report"),
    path("catalogue/penetration/", views.report_view("penetration"), name="penetration_report"),
    path("catalogue/transactions/", views.report_view("transactions"), name="transactions_report"),
    path("catalogue/measures/", views.report_view("measures"), name="measures_report"),
    path("catalogue/campaigns/", views.report_view("campaigns"), name="campaigns_report"),
    path("catalogue/service-requests/", views.report_view("servicerequests"), name="servicerequests_report"),
    path("catalogue/cross-border/", views.report_view("crossborder"), name="crossborder_report"),
    path("catalogue/profit-sharing/", views.report_view("profitsharing"), name="profitsharing_report"),
    path("catalogue/monthly/", views.MonthlyReportView.as_view(), name="monthly_report"),
    path("catalogue/subscriptions/", views.SubscriptionsView.as_view(), name="subscriptions"),
]

links.register("report_catalogue", "reports:catalogue")
links.register("report_subscriptions", "reports:subscriptions")
