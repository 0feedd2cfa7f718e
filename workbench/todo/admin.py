"""Django admin of tasks, read-only under the same scope as the pages (tasks change through
workbench.todo.services, which keeps due moments and the audit trail right)."""

from django.contrib import admin

from ocrm.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from workbench.todo.models import Task


@admin.register(Task)
class TaskAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "assignee", "customer", "due_date", "priority", "status", "source")
    list_filter = ("status", "priority", "source")
    search_fields = ("title", "assignee__username")
    raw_id_fields = ("customer", "assignee", "created_by")
    list_select_related = ("assignee", "customer")
    show_full_result_count = False
