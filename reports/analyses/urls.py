"""The ACRM analyses' routes (under reports/)."""

from django.urls import path

from reports.analyses import views

urlpatterns = [
    path("analyses/", views.IndexView.as_view(), name="analyses"),
    path("analyses/pareto/", views.ParetoView.as_view(), name="analyses_pareto"),
    path("analyses/pareto/customers/", views.TopCustomersView.as_view(), name="analyses_top_customers"),
    path("analyses/segments/", views.SegmentsView.as_view(), name="analyses_segments"),
    path("analyses/segments/group/", views.SegmentGroupView.as_view(), name="analyses_segment_group"),
    path("analyses/churn/", views.ChurnView.as_view(), name="analyses_churn"),
    path("analyses/churn/<str:number>/", views.ChurnCustomerView.as_view(), name="analyses_churn_customer"),
    path("analyses/risk/", views.RiskView.as_view(), name="analyses_risk"),
]
