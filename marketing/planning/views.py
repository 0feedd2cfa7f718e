"""Pages of wealth planning, all below one customer's number (CustomerRouteMixin: the user's
scope, else 404): the plan form and its preview, saving an illustration (POST), the customer's
illustrations (an htmx fragment the 360 page loads), one illustration and its print view."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from customers.master.views import CustomerRouteMixin
from marketing.planning import services
from marketing.planning.forms import PlanForm
from marketing.planning.models import PlanIllustration

VIEW_PERM = "customers.view_customer"


class PlanView(CustomerRouteMixin, View):
    permission_required = VIEW_PERM

    def get(self, request, number):
        return self.page(request, PlanForm(initial={"goal_1_date": services.default_goal_date()}), None)

    def post(self, request, number):
        form = PlanForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, None, status=400)
        plan = services.build_plan(self.customer, form.goals(), form.cleaned_data.get("other_bank_assets"))
        if request.POST.get("action") != "save":
            return self.page(request, form, plan)  # the preview: nothing written
        illustration = services.save_illustration(plan, request.user, request)
        return redirect("marketing:plan_illustration", self.customer.number, illustration.pk)

    def page(self, request, form, plan, status=200):
        context = {"title": _("Wealth plan"), "customer": self.customer, "form": form, "plan": plan}
        return render(request, "marketing/planning/plan.html", context, status=status)


class IllustrationListView(CustomerRouteMixin, View):
    """The customer's illustrations, newest first (the 360 section loads it with htmx)."""

    permission_required = VIEW_PERM

    def get(self, request, number):
        context = {"customer": self.customer, "illustrations": services.illustrations_of(self.customer)}
        return render(request, "marketing/planning/_illustrations.html", context)


class IllustrationView(CustomerRouteMixin, View):
    permission_required = VIEW_PERM
    template_name = "marketing/planning/illustration.html"

    def get(self, request, number, pk):
        illustration = get_object_or_404(
            PlanIllustration.objects.filter(customer=self.customer).select_related("created_by"), pk=pk
        )
        context = {"title": _("Plan illustration"), "customer": self.customer, "illustration": illustration}
        return render(request, self.template_name, context)


class IllustrationPrintView(IllustrationView):
    template_name = "marketing/planning/print.html"
