"""Django admin of the organisation: banks, the branch tree, staff, holidays and bank codes
(system parameters and password history: sysadmin.parameters.admin, sysadmin.accounts.admin).

The system_admin role (is_staff, not superuser) administers one bank: every page here
shows that bank's rows only (ocrm.admin.ScopedAdminMixin), foreign-key choices stay
inside it, and an object of another bank answers 404."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from guardian.admin import GuardedModelAdmin, UserManage

from ocrm.admin import ScopedAdminMixin
from sysadmin.accounts import services
from sysadmin.accounts.forms import StaffAdminAuthenticationForm, StaffAdminPasswordChangeForm, StaffAdminSetPasswordForm
from sysadmin.org import services as org_services
from sysadmin.org.models import TIMEZONE_CHOICES, Bank, BankCode, Branch, Holiday, Staff
from sysadmin.org.services import record_role_change
from sysadmin.roles import ROLE_LABELS

admin.site.site_header = _("OCRM administration")


admin.site.site_title = _("OCRM administration")


# Admin's own log-in and password pages keep the lock-out messages and the password audit.
admin.site.login_form = StaffAdminAuthenticationForm


admin.site.password_change_form = StaffAdminPasswordChangeForm


class OrgScopedAdmin(ScopedAdminMixin):
    """Scope rules for the organisation models: a bank administrator's choices of bank
    are their own bank, and of branches the branches they may see."""

    def related_queryset(self, request, model):
        if model is Bank:
            return Bank.objects.filter(pk=request.user.bank_id)
        return super().related_queryset(request, model)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if not request.user.is_superuser and request.user.bank_id and "bank" not in initial:
            if any(f.name == "bank" for f in self.model._meta.fields):
                initial["bank"] = request.user.bank_id
        return initial


def timezone_field(required, help_text, label):
    """A select of the tz database's common zones instead of free text."""
    blank = [] if required else [("", _("(the branch's time zone)"))]
    return forms.ChoiceField(choices=blank + TIMEZONE_CHOICES, required=required, label=label, help_text=help_text)


@admin.register(Bank)
class BankAdmin(OrgScopedAdmin, admin.ModelAdmin):
    scope_bank_field = ""  # the bank itself
    list_display = ("code", "name_local", "name_en", "base_currency", "bic", "head_office_country", "is_active")
    list_filter = ("is_active", "head_office_country")
    search_fields = ("code", "name_local", "name_en", "bic")

    # A new tenant, or removing one, is the superuser's decision, never a bank's administrator's.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ScopedUserManage(UserManage):
    """Guardian's "grant to user" box: only users the administrator may see."""

    actor = None

    def clean_user(self):
        user = super().clean_user()
        if not self.actor.is_superuser and not Staff.objects.visible_to(self.actor).filter(pk=user.pk).exists():
            raise ValidationError(self.fields["user"].error_messages["does_not_exist"])
        return user


@admin.register(Branch)
class BranchAdmin(OrgScopedAdmin, GuardedModelAdmin):
    list_display = ("code", "tree_name", "bank", "level", "country", "timezone", "parent", "is_active")
    list_filter = (("bank", RelatedOnlyFieldListFilter), "level", "country", "is_active")
    search_fields = ("code", "name_local", "name_en")
    list_select_related = ("bank", "parent")
    ordering = ("bank__code", "path")  # the tree order: every branch right below its parent
    readonly_fields = ("path",)
    fields = ("bank", *org_services.BRANCH_FIELDS, "path")

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj):
        depth = max(obj.depth - 1, 0)
        return format_html('<span style="padding-left:{}em">{}{}</span>', depth * 1.5, "└ " if depth else "", obj.name_local)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "timezone":
            return timezone_field(True, db_field.help_text, db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_obj_perms_user_select_form(self, request):
        return type("ScopedUserManageForRequest", (ScopedUserManage,), {"actor": request.user})

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        if not request.user.is_superuser and not Staff.objects.visible_to(request.user).filter(pk=user_id).exists():
            raise Http404(_("No staff member matches the given query."))
        return super().obj_perms_manage_user_view(request, object_pk, user_id)


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(ROLE_LABELS.get(obj.name, obj.name))


class StaffChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Staff
        fields = "__all__"


class StaffCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Staff
        fields = ("username",)


class LockedFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return (("yes", _("Locked")), ("no", _("Not locked")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(locked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(locked_at__isnull=True)
        return queryset


@admin.register(Staff)
class StaffAdmin(OrgScopedAdmin, UserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    change_password_form = StaffAdminSetPasswordForm
    list_display = (
        "username",
        "name_local",
        "employee_no",
        "bank",
        "branch",
        "status",
        "locked_badge",
        "must_change_password",
        "last_login",
    )
    list_filter = (
        ("bank", RelatedOnlyFieldListFilter),
        ("branch", RelatedOnlyFieldListFilter),
        "status",
        LockedFilter,
        "groups",
        "must_change_password",
        "is_staff",
    )
    search_fields = ("username", "name_local", "employee_no", "first_name", "last_name", "email", "phone")
    list_select_related = ("bank", "branch")
    ordering = ("username",)
    actions = ("unlock_selected", "require_password_change")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("name_local", "first_name", "last_name", "employee_no", "email", "phone")}),
        (_("Organisation and roles"), {"fields": ("bank", "branch", "groups")}),
        (_("Preferences"), {"fields": ("language", "time_zone")}),
        (
            _("Status and lock state"),
            {
                "fields": (
                    "status",
                    "is_active",
                    "must_change_password",
                    "password_changed_at",
                    "locked_at",
                    "failed_login_count",
                    "last_login",
                    "date_joined",
                )
            },
        ),
        (_("Superuser only"), {"classes": ("collapse",), "fields": ("is_staff", "is_superuser", "user_permissions")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (
            _("Organisation and roles"),
            {
                "classes": ("wide",),
                "fields": (
                    "name_local",
                    "employee_no",
                    "bank",
                    "branch",
                    "groups",
                    "language",
                    "time_zone",
                ),
            },
        ),
    )

    @admin.display(description=_("locked"), ordering="locked_at")
    def locked_badge(self, obj):
        if obj.locked_at is None:
            return "—"
        return format_html('<strong style="color:#b00">{}</strong>', _("Locked"))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        return queryset

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # Admin access follows the roles; superuser rights and single permissions are not a bank's to give.
        return [fs for fs in fieldsets if "is_superuser" not in fs[1]["fields"]]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["password_changed_at", "locked_at", "failed_login_count", "last_login", "date_joined", "is_staff"]
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            # Nobody widens their own rights: another administrator changes my roles.
            readonly += ["groups", "bank", "is_active", "status"]
        return readonly

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            return timezone_field(False, db_field.help_text, db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs.setdefault("queryset", Group.objects.filter(name__in=list(ROLE_LABELS)).order_by("name"))
            kwargs["form_class"] = RoleChoiceField
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label = _("roles")
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and obj.bank_id is None:
            obj.bank_id = obj.branch.bank_id if obj.branch_id else request.user.bank_id
        if not change:
            # An administrator chose the first password: the owner must replace it.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        staff = form.instance
        before = set(staff.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(staff.groups.values_list("name", flat=True))
        record_role_change(staff, before, after, request.user)

    # --- actions ---

    def has_unlock_permission(self, request):
        return request.user.has_perm("sysadmin.unlock_staff")

    @admin.action(description=_("Unlock selected accounts"), permissions=["unlock"])
    def unlock_selected(self, request, queryset):
        done = 0
        for staff in queryset.filter(locked_at__isnull=False):
            try:
                services.unlock_staff(staff, request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"{staff.username}: {exc}", messages.ERROR)
                continue
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d account unlocked.", "%(n)d accounts unlocked.", done) % {"n": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.action(description=_("Require password change at next log-in"), permissions=["change"])
    def require_password_change(self, request, queryset):
        done = 0
        for staff in queryset:
            try:
                services.require_password_change(staff, request.user)
            except PermissionDenied as exc:
                self.message_user(request, f"{staff.username}: {exc}", messages.ERROR)
                continue
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(n)d staff member must change the password at the next log-in.",
                "%(n)d staff members must change the password at the next log-in.",
                done,
            )
            % {"n": done},
            messages.SUCCESS,
        )


@admin.register(Holiday)
class HolidayAdmin(OrgScopedAdmin, admin.ModelAdmin):
    list_display = ("date", "name", "country", "branch", "bank")
    list_filter = (("bank", RelatedOnlyFieldListFilter), "country", ("branch", RelatedOnlyFieldListFilter))
    search_fields = ("name",)
    list_select_related = ("bank", "branch")
    date_hierarchy = "date"
    ordering = ("-date",)


@admin.register(BankCode)
class BankCodeAdmin(OrgScopedAdmin, admin.ModelAdmin):
    list_display = ("code", "name", "bic", "country", "bank")
    list_filter = (("bank", RelatedOnlyFieldListFilter), "country")
    search_fields = ("code", "name", "bic")
    list_select_related = ("bank",)
