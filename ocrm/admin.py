"""Django admin of the kernel models, and the scope rules every admin page follows.

Administrators of one bank (the system_admin role: is_staff, not superuser) work in the
same admin as the superuser, so each ModelAdmin restricts its rows to the user's data
scope (Model.objects.visible_to) exactly as the pages do, and an object outside the
scope answers 404 instead of admin's "doesn't exist" redirect.

Maker-checker holds here as on the pages: fields that only an approved change request may
change (ocrm.approvals.services.guarded_fields) are read-only on every admin form, unless the
ModelAdmin sends such changes to a checker itself (`submits_change_requests`, e.g. customers)."""

import json

from django.contrib import admin
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ocrm.approvals import services as approvals
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.lists.models import ExportFile


def bank_of(obj, user):
    """The bank whose rules apply to an admin form: the object's, else the user's (an add form)."""
    if obj is not None:
        if obj._meta.label_lower == "sysadmin.bank":
            return obj.pk
        if getattr(obj, "bank_id", None) is not None:
            return obj.bank_id
    return user.bank_id


class GuardedFieldsMixin:
    """Fields only a checker may change are read-only (ModelAdmin and inlines alike)."""

    submits_change_requests = False  # True: the admin turns such changes into a ChangeRequest itself

    def guarded_fields(self, request, obj=None):
        return approvals.guarded_fields(self.model, bank_of(obj, request.user))

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if self.submits_change_requests:
            return readonly
        return readonly + tuple(sorted(self.guarded_fields(request, obj) - set(readonly)))


class ScopedAdminMixin(GuardedFieldsMixin):
    """Rows limited to the user's data scope for everyone but superusers.

    A model whose QuerySet has visible_to() uses it; any other model names the path to
    its bank in `scope_bank_field` ("" when the model is the bank itself)."""

    scope_bank_field = "bank"

    def scope_queryset(self, request, queryset):
        user = request.user
        if user.is_superuser:
            return queryset
        if hasattr(queryset, "visible_to"):
            return queryset.visible_to(user)
        if self.scope_bank_field is None or user.bank_id is None:
            return queryset.none()
        if self.scope_bank_field == "":
            return queryset.filter(pk=user.bank_id)
        return queryset.filter(**{f"{self.scope_bank_field}__id": user.bank_id})

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def related_queryset(self, request, model):
        """Choices offered for a foreign key to `model`; None = admin's default."""
        if model._meta.label_lower == "sysadmin.bank":  # banks have no visible_to: one's own bank only
            return model._default_manager.filter(pk=request.user.bank_id)
        queryset = model._default_manager.all()
        if hasattr(queryset, "visible_to"):
            return queryset.visible_to(request.user)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser and "queryset" not in kwargs:
            queryset = self.related_queryset(request, db_field.related_model)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Outside the scope is the same as not there, and says nothing about which.
        raise Http404(_("No %(name)s matches the given query.") % {"name": opts.verbose_name})


class ReadOnlyAdminMixin:
    """Records nobody edits through admin, not even a superuser."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _cell(value):
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes_table(changes):
    """{field: [before, after]} as a small HTML table."""
    if not changes:
        return "—"
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
        (
            (
                field,
                _cell(pair[0] if isinstance(pair, list) and len(pair) == 2 else None),
                _cell(pair[1] if isinstance(pair, list) and len(pair) == 2 else pair),
            )
            for field, pair in sorted(changes.items())
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("field"),
        _("before"),
        _("after"),
        rows,
    )


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("local_time", "actor_name", "ip", "action", "object_type", "object_id", "object_repr")
    # No filter on object_type: its choices would be a DISTINCT over the whole log.
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_name", "object_repr", "object_id", "=ip")
    date_hierarchy = None  # a month-partitioned table: no full-table date aggregation
    show_full_result_count = False  # counting a huge log on every page is wasted work
    fields = (
        "at",
        "bank_id",
        "actor",
        "actor_name",
        "ip",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes_display",
        "detail_display",
    )
    readonly_fields = fields

    @admin.display(description=_("time"), ordering="at")
    def local_time(self, obj):
        return timezone.localtime(obj.at).strftime("%Y-%m-%d %H:%M:%S")

    @admin.display(description=_("changes"))
    def changes_display(self, obj):
        return changes_table(obj.changes)

    @admin.display(description=_("detail"))
    def detail_display(self, obj):
        return _cell(obj.detail) if obj.detail else "—"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "job",
        "business_date",
        "bank_id",
        "status",
        "started_at",
        "finished_at",
        "progress_done",
        "progress_total",
        "attempts",
    )
    list_filter = ("status", "job", "business_date")
    search_fields = ("job", "key", "task_id")
    show_full_result_count = False
    readonly_fields = (
        "job",
        "bank_id",
        "business_date",
        "key",
        "status",
        "started_at",
        "finished_at",
        "progress_done",
        "progress_total",
        "counts",
        "error_report",
        "attempts",
        "task_id",
        "triggered_by",
        "created_at",
    )
    fields = readonly_fields


@admin.register(ExportFile)
class ExportFileAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only, and owners only (ExportFile.visible_to): an export may hold clear personal data."""

    list_display = ("id", "owner", "title", "filename", "status", "row_count", "created_at")
    list_filter = ("status",)
    exclude = ("file",)


# The outbox's admin pages (gateways, deny list, templates and messages read-only).
from ocrm.outbox import admin as outbox_admin  # noqa: E402, F401
