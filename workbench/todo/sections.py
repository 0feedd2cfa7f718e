"""The tasks section of the 360° page: this customer's open tasks (and the last ones closed)
that the user may see, with a button to create one. The page draws a placeholder (no query)
that htmx fills from workbench:customer_tasks, so the 360 page's query budget stays as it was."""

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy

from customers.profile import sections
from workbench.todo.models import Task

TASKS_IN_SECTION = 15


def tasks_section_context(customer, user):
    """One query: open tasks first (soonest due first), then the latest closed."""
    rows = list(
        Task.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("assignee")
        .annotate(closed=Case(When(status=Task.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("closed", "due_at", "-closed_at", "-pk")[:TASKS_IN_SECTION]
    )
    now = timezone.now()
    return {
        "tasks": [(task, task.is_open and task.due_at is not None and task.due_at <= now) for task in rows],
        "may_add_task": user.has_perm("workbench.add_task"),
        "may_plan": user.has_perm("workbench.add_appointment"),
    }


def placeholder_context(customer, user):
    return {}


def register_sections():
    sections.register(
        "tasks",
        gettext_lazy("Tasks"),
        "workbench/todo/section_placeholder.html",
        placeholder_context,
        order=85,
        perm="workbench.view_task",
    )
