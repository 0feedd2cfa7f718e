"""Branch and staff pages for supervisors and administrators (instead of Django admin).

Thin views: every queryset starts from Model.objects.visible_to(user) (an object
outside the user's scope is a 404), forms limit choices to that scope, and saving goes
through sysadmin.org.services (ocrm.pages.ServiceFormView), which re-checks the scope on
locked rows."""

import datetime

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import DetailView
from django_tables2 import RequestConfig

from ocrm.audit.models import AuditLog
from ocrm.lists.views import ScopedListView
from ocrm.pages import ScopedQuerysetMixin, ServiceActionView, ServiceFormView
from ocrm.scoping import scope_of
from sysadmin.org import services as org_services
from sysadmin.org.filtersets import BranchFilterSet, StaffFilterSet
from sysadmin.org.forms import BranchForm, StaffForm, country_timezones, timezone_choices
from sysadmin.org.models import Branch, Holiday, Staff
from sysadmin.org.tables import BranchStaffTable, BranchTable, StaffTable, local_time_text, role_names, weekday_names

UPCOMING_HOLIDAYS = 10


HOLIDAY_HORIZON_DAYS = 366


RECENT_AUDIT_ENTRIES = 20


def branches_for_pages(user):
    """Branches the user may look at: their data scope, and always their own branch, so a
    customer manager or teller (own scope / no browsing scope) still sees where they work,
    its hours and holidays. Editing never uses this widening."""
    visible = Branch.objects.visible_to(user)
    if user.branch_id and scope_of(user) not in ("all", "bank", "subtree"):
        visible = Branch.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk=user.branch_id))
    return visible


class BranchPageMixin(ScopedQuerysetMixin):
    model = Branch
    permission_required = "sysadmin.view_branch"

    def get_queryset(self):
        return branches_for_pages(self.request.user).select_related("parent", "bank")


class BranchListView(BranchPageMixin, ScopedListView):
    table_class = BranchTable
    filterset_class = BranchFilterSet
    title = gettext_lazy("Branches")
    export_filename = "branches"
    create_url = "sysadmin:branch_create"
    create_perm = "sysadmin.add_branch"

    def get_queryset(self):
        # Headcount as one aggregate: no query per row; staff who left are not counted.
        # GROUP BY queries ignore Meta.ordering, so the tree order (path) is spelled out.
        return (
            super()
            .get_queryset()
            .annotate(staff_count=Count("staff", filter=~Q(staff__status=Staff.Status.LEFT)))
            .order_by("bank__code", "path")
        )


class BranchDetailView(BranchPageMixin, DetailView):
    template_name = "sysadmin/org/branch_detail.html"
    context_object_name = "branch"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        branch = self.object
        user = self.request.user
        local_now = branch.local_now()
        today = local_now.date()
        staff = Staff.objects.visible_to(user).filter(branch=branch).select_related("branch").prefetch_related("groups")
        staff_table = BranchStaffTable(staff, prefix="staff-")
        RequestConfig(self.request, paginate={"per_page": 20}).configure(staff_table)
        context.update(
            title=str(branch),
            children=branches_for_pages(user).filter(parent=branch).order_by("code"),
            staff_table=staff_table,
            holidays=Holiday.objects.filter(
                Q(branch=branch) | Q(branch__isnull=True, country=branch.country),
                bank_id=branch.bank_id,
                date__gte=today,
                date__lte=today + datetime.timedelta(days=HOLIDAY_HORIZON_DAYS),
            ).order_by("date")[:UPCOMING_HOLIDAYS],
            local_time=local_time_text(branch),
            local_today=today,
            is_working_day=branch.is_working_day(today),
            working_days=weekday_names(branch.working_week),
            may_edit=user.has_perm("sysadmin.change_branch") and Branch.objects.visible_to(user).filter(pk=branch.pk).exists(),
        )
        return context


class OrgFormView(ServiceFormView):
    """Create (a new object) or edit (`editing`: the object in the user's strict data scope,
    never the read-only widening of the pages) through one call into sysadmin.org.services."""

    editing = False
    # A unique code or user name taken by someone else in the same moment: the database says so.
    refusals = (ValidationError, IntegrityError)

    def get_object(self):
        return super().get_object() if self.editing else self.model()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object, "actor": self.request.user}

    def refused(self, form, error):
        if isinstance(error, IntegrityError):
            form.add_error(None, _("Someone else saved conflicting data at the same time; check the values and save again."))
        else:
            super().refused(form, error)

    def get_success_message(self, saved):
        return _("%(object)s was saved.") % {"object": saved}

    def get_success_url(self, saved):
        return reverse(self.success_url_name, args=[saved.pk])

    def get_title(self):
        return self.title_for(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(editing=self.editing, **kwargs)


class BranchFormView(OrgFormView):
    model = Branch
    form_class = BranchForm
    template_name = "sysadmin/org/branch_form.html"
    success_url_name = "sysadmin:branch_detail"

    def perform(self, form):
        obj = self.object
        return org_services.save_branch(form.cleaned_data, self.request.user, branch=obj if obj.pk else None)


class BranchCreateView(BranchFormView):
    permission_required = "sysadmin.add_branch"

    def title_for(self, obj):
        return _("New branch")


class BranchEditView(BranchFormView):
    permission_required = "sysadmin.change_branch"
    editing = True

    def title_for(self, obj):
        return _("Edit %(branch)s") % {"branch": obj}


@require_GET
def branch_timezones(request):
    """The <option>s of the time-zone select for ?country= (htmx swaps them in when the
    country changes); the zone in ?timezone= stays selected if it belongs there."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (user.has_perm("sysadmin.add_branch") or user.has_perm("sysadmin.change_branch")):
        raise PermissionDenied
    country = request.GET.get("country", "")
    zones = timezone_choices(country)
    selected = request.GET.get("timezone", "")
    if selected not in zones:
        selected = zones[0] if len(zones) == 1 else ""
    return render(
        request,
        "sysadmin/org/timezone_options.html",
        {
            "zones": zones,
            "selected": selected,
            "narrowed": bool(country_timezones(country)),
        },
    )


class StaffPageMixin(ScopedQuerysetMixin):
    model = Staff
    permission_required = "sysadmin.view_staff"
    select_related = ("branch",)

    def get_base_queryset(self):
        return Staff.objects.prefetch_related("groups")


class StaffListView(StaffPageMixin, ScopedListView):
    table_class = StaffTable
    filterset_class = StaffFilterSet
    title = gettext_lazy("Staff")
    export_filename = "staff"
    create_url = "sysadmin:staff_create"
    create_perm = "sysadmin.add_staff"


class StaffDetailView(StaffPageMixin, DetailView):
    template_name = "sysadmin/org/staff_detail.html"
    context_object_name = "staff"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        staff = self.object
        user = self.request.user
        audit_entries = None
        if user.has_perm("sysadmin.view_audit"):
            audit_entries = list(
                AuditLog.objects.visible_to(user)
                .filter(object_type="sysadmin.staff", object_id=str(staff.pk))
                .order_by("-at", "-id")[:RECENT_AUDIT_ENTRIES]
            )
        context.update(
            title=str(staff),
            roles=role_names(staff),
            audit_entries=audit_entries,
            may_unlock=user.has_perm("sysadmin.unlock_staff"),
            may_edit=user.has_perm("sysadmin.change_staff") and org_services.may_edit_staff(user, staff),
        )
        return context


class StaffFormView(OrgFormView):
    model = Staff
    form_class = StaffForm
    template_name = "sysadmin/org/staff_form.html"
    success_url_name = "sysadmin:staff_detail"

    def perform(self, form):
        obj = self.object
        return org_services.save_staff(form.service_data(), self.request.user, staff=obj if obj.pk else None)


class StaffCreateView(StaffFormView):
    permission_required = "sysadmin.add_staff"

    def title_for(self, obj):
        return _("New staff member")


class StaffEditView(StaffFormView):
    permission_required = "sysadmin.change_staff"
    editing = True

    def check_object(self, obj):
        if not org_services.may_edit_staff(self.request.user, obj):
            raise PermissionDenied(_("You may not edit this staff member."))

    def title_for(self, obj):
        return _("Edit %(staff)s") % {"staff": obj}


class StaffUnlockView(ServiceActionView):
    model = Staff
    permission_required = "sysadmin.unlock_staff"

    def perform(self):
        return org_services.unlock_visible_staff(self.object.pk, self.request.user)

    def get_success_message(self, staff):
        return _("%(staff)s is unlocked.") % {"staff": staff}

    def get_success_url(self, staff):
        return reverse("sysadmin:staff_detail", args=[self.object.pk])
