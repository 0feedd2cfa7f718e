"""Pages of the investment calculators (投资试算器): a form (GET) and its result tables, the loan
schedule also as a chart and an XLSX file. Thin views over marketing.calculators.formulas with
the bank's rounding rule and disclosure text (services)."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from marketing.calculators import forms, formulas, services
from ocrm.lists import exports
from ocrm.pages import PermissionPageMixin


class CalculatorView(PermissionPageMixin, View):
    permission_required = services.VIEW_PERM
    form_class = None
    template_name = None
    title = ""

    def compute(self, data, rounding):
        raise NotImplementedError

    def get(self, request):
        bank = request.user.bank
        form = self.form_class(request.GET or None)
        result = None
        if form.is_bound and form.is_valid():
            result = self.compute(form.cleaned_data, services.rounding_for(bank))
            if request.GET.get("export") == "xlsx" and hasattr(self, "export"):
                return self.export(request, result)
        context = {
            "title": str(self.title),
            "form": form,
            "result": result,
            "disclosure": services.disclosure_for(bank),
        }
        return render(request, self.template_name, context)


class IndexView(PermissionPageMixin, View):
    permission_required = services.VIEW_PERM

    def get(self, request):
        return render(request, "marketing/calculators/index.html", {"title": _("Investment calculators")})


class DepositView(CalculatorView):
    form_class = forms.DepositForm
    template_name = "marketing/calculators/deposit.html"
    title = gettext_lazy("Time deposit")

    def compute(self, data, rounding):
        return formulas.time_deposit(
            data["principal"],
            data["annual_rate"],
            data["start"],
            data["term_months"],
            compound=data["compound"],
            convention=data["day_count"],
            demand_rate_percent=data.get("demand_rate"),
            withdraw_on=data.get("withdraw_on"),
            rounding=rounding,
        )


class LoanView(CalculatorView):
    form_class = forms.LoanForm
    template_name = "marketing/calculators/loan.html"
    title = gettext_lazy("Loan repayment schedule")

    def compute(self, data, rounding):
        schedule = formulas.loan_schedule(
            data["amount"],
            data["annual_rate"],
            data["months"],
            data["method"],
            first_due=data.get("first_due"),
            rounding=rounding,
        )
        chart = [
            {"n": r.number, "principal": str(r.principal), "interest": str(r.interest), "balance": str(r.balance)}
            for r in schedule.rows
        ]
        return {"schedule": schedule, "chart": chart}

    def export(self, request, result):
        header = [_("No."), _("Due date"), _("Payment"), _("Principal"), _("Interest"), _("Balance")]
        rows = [header] + [[r.number, r.due, r.payment, r.principal, r.interest, r.balance] for r in result["schedule"].rows]
        return exports.xlsx_response(rows, filename="loan-schedule", request=request, object_type="loan_schedule")


class RegularInvestmentView(CalculatorView):
    form_class = forms.RegularInvestmentForm
    template_name = "marketing/calculators/regular.html"
    title = gettext_lazy("Fund regular investment")

    def compute(self, data, rounding):
        value, invested, gain, years = formulas.regular_investment(
            data["monthly_amount"], data["annual_return"], data["months"], rounding
        )
        return {"value": value, "invested": invested, "gain": gain, "years": years}


class GoalView(CalculatorView):
    form_class = forms.GoalForm
    template_name = "marketing/calculators/goal.html"
    title = gettext_lazy("Retirement and education goals")

    def compute(self, data, rounding):
        savings = data.get("current_savings") or formulas.ZERO
        if data["kind"] == "retirement":
            return formulas.retirement_goal(
                data["cost_today"],
                data["years_until"],
                data["years_in_retirement"],
                data["inflation"],
                data["annual_return"],
                savings,
                rounding,
            )
        return formulas.education_goal(
            data["cost_today"], data["years_until"], data["inflation"], data["annual_return"], savings, rounding
        )
