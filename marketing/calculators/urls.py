"""Routes of the investment calculators."""

from django.urls import path

from marketing.calculators import views

urlpatterns = [
    path("calculators/", views.IndexView.as_view(), name="calculators"),
    path("calculators/deposit/", views.DepositView.as_view(), name="calculator_deposit"),
    path("calculators/loan/", views.LoanView.as_view(), name="calculator_loan"),
    path("calculators/regular-investment/", views.RegularInvestmentView.as_view(), name="calculator_regular"),
    path("calculators/goal/", views.GoalView.as_view(), name="calculator_goal"),
]
