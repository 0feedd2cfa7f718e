"""The dashboard page, its cards (each loaded on its own with htmx), the today list and the
shortcut menu (thin views over workbench.dashboard.services)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from ocrm import views as ocrm_views
from ocrm.errors import messages_of
from ocrm.pages import add_errors, is_htmx
from workbench.dashboard import services
from workbench.dashboard.forms import SetAsideForm, ShortcutsForm


class DashboardView(LoginRequiredMixin, View):
    """The page itself is light: the shortcut bar and empty cards that load themselves."""

    def get(self, request):
        return dashboard_page(request)


def dashboard_page(request):
    user = request.user
    node = services.drill_node(user, request.GET.get("branch"))
    return render(
        request,
        "workbench/dashboard/page.html",
        {
            "cards": services.cards_for(user),
            "node": node,
            "shortcuts": services.shortcuts(user),
            "branch_query": f"?branch={node.pk}" if node is not None else "",
        },
    )


class HomeView(LoginRequiredMixin, View):
    """The site's home page ("/"): the dashboard for staff who work with customers (a book of
    their own or a branch subtree), the kernel's page of what one can do for everyone else."""

    def get(self, request):
        if services.works_with_customers(request.user):
            return dashboard_page(request)
        return ocrm_views.home(request)


class CardView(LoginRequiredMixin, View):
    def get(self, request, card):
        user = request.user
        found = services.card_for(user, card)
        node = services.drill_node(user, request.GET.get("branch"))
        context = services.computed(found, user, node, timezone.now())
        return render(request, found.template, {"card": found, "node": node, **context})


def render_today(request):
    snooze = SetAsideForm.base_fields["snooze_hours"].choices
    return render(request, "workbench/dashboard/today.html", {"items": services.today_items(request.user), "snooze": snooze})


class TodayView(LoginRequiredMixin, View):
    def get(self, request):
        return render_today(request)


class SetAsideView(LoginRequiredMixin, View):
    """Snooze or dismiss an item of the today list (POST, with a reason)."""

    http_method_names = ["post"]

    def post(self, request):
        form = SetAsideForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors)
            services.set_aside(request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in messages_of(error):
                messages.error(request, message)
        else:
            messages.success(request, _("Set aside."))
        if is_htmx(request):
            return render_today(request)
        return redirect("workbench:dashboard")


class ShortcutsView(LoginRequiredMixin, View):
    def get(self, request):
        return self.show(ShortcutsForm(user=request.user))

    def post(self, request):
        form = ShortcutsForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.save_shortcuts(request.user, form.names())
            except ValidationError as error:
                add_errors(form, error)
                return self.show(form)
            messages.success(request, _("Shortcuts saved."))
            return redirect("workbench:dashboard")
        return self.show(form)

    def show(self, form):
        return render(self.request, "workbench/dashboard/shortcuts.html", {"form": form, "max": services.MAX_SHORTCUTS})
