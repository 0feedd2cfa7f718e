"""Task pages: my tasks, my team's tasks (supervisors), the board, create, edit, complete, bulk
actions. Thin views: tasks come from Task.objects.visible_to(user) (404 outside the scope); the
work is done by workbench.todo.services."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from customers.master.models import Customer
from ocrm.errors import NotVisible
from ocrm.lists.views import ScopedListView
from ocrm.pages import PermissionPageMixin, ServiceActionView, ServiceFormView
from workbench.todo import sections, services
from workbench.todo.filtersets import TaskFilterSet, TeamTaskFilterSet
from workbench.todo.forms import BulkForm, CompleteForm, TaskForm, colleague_choices
from workbench.todo.models import Task
from workbench.todo.tables import TaskTable, TeamTaskTable


def visible_customer(user, number):
    """The customer of this number the user may see, or a ValidationError naming the field."""
    if not number:
        return None
    found = Customer.objects.visible_to(user).active().filter(number=number.strip()).first()
    if found is None:
        raise ValidationError({"customer": _("No customer of yours has this number.")})
    return found


class CustomerTasksView(PermissionPageMixin, TemplateView):
    """The 360 page's tasks section, loaded by htmx (workbench.todo.sections)."""

    permission_required = ("customers.view_customer", "workbench.view_task")
    template_name = "workbench/todo/section.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        customer = Customer.objects.visible_to(user).filter(number=self.kwargs["number"]).first()
        if customer is None:
            raise NotVisible
        return super().get_context_data(customer=customer, **sections.tasks_section_context(customer, user), **kwargs)


class MyTasksView(ScopedListView):
    model = Task
    permission_required = "workbench.view_task"
    table_class = TaskTable
    filterset_class = TaskFilterSet
    select_related = ("customer",)
    title = gettext_lazy("My tasks")
    export_filename = "my-tasks"
    create_url = "workbench:task_create"
    create_perm = "workbench.add_task"
    template_name = "workbench/todo/task_list.html"

    def get_base_queryset(self):
        return Task.objects.filter(assignee=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(csrf=get_token(self.request), team=False, **kwargs)


class TeamTasksView(MyTasksView):
    permission_required = ("workbench.view_task", "workbench.reassign_task")
    table_class = TeamTaskTable
    filterset_class = TeamTaskFilterSet
    select_related = ("customer", "assignee")
    title = gettext_lazy("My team's tasks")
    export_filename = "team-tasks"

    def get_base_queryset(self):
        return Task.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(team=True, colleagues=colleague_choices(self.request.user))
        return context


class BoardView(PermissionPageMixin, TemplateView):
    permission_required = "workbench.view_task"
    template_name = "workbench/todo/board.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(board=services.board(self.request.user, timezone.now()), title=_("Task board"), **kwargs)


class TaskCreateView(ServiceFormView):
    permission_required = ("workbench.view_task", "workbench.add_task")
    form_class = TaskForm
    template_name = "workbench/todo/task_form.html"
    title = gettext_lazy("New task")

    def get_form(self):
        kwargs = self.get_form_kwargs()
        if self.request.method == "GET":
            kwargs["initial"] = {"customer": self.request.GET.get("customer", "")[:32]}
        return TaskForm(user=self.request.user, with_assignee=services.may_reassign(self.request.user), **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.create_task(
            assignee=data.get("assignee") or self.request.user,
            title=data["title"],
            actor=self.request.user,
            customer=visible_customer(self.request.user, data.get("customer")),
            due_date=data.get("due_date"),
            due_time=data.get("due_time"),
            priority=data["priority"],
            notes=data.get("notes", ""),
        )

    def get_success_message(self, task):
        return _("Task “%(title)s” created.") % {"title": task.title}

    def get_success_url(self, task):
        return reverse("workbench:task_board")


class TaskEditView(ServiceFormView):
    """A task's page: what it says, its history fields, the edit form and the done button."""

    permission_required = "workbench.view_task"
    model = Task
    select_related = ("customer", "assignee", "created_by", "closed_by")
    form_class = TaskForm
    template_name = "workbench/todo/task_detail.html"
    success_message = gettext_lazy("Task saved.")

    def get_form(self):
        task = self.object
        initial = {
            "title": task.title,
            "due_date": task.due_date,
            "due_time": task.due_time,
            "priority": task.priority,
            "notes": task.notes,
            "assignee": task.assignee_id,
        }
        return TaskForm(
            user=self.request.user,
            with_assignee=services.may_reassign(self.request.user),
            with_customer=False,
            initial=initial,
            **self.get_form_kwargs(),
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("workbench.change_task"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        task = self.object
        assignee = data.get("assignee")
        if assignee is not None and assignee.pk != task.assignee_id:
            task = services.reassign_task(task, self.request.user, assignee)
        return services.update_task(
            task,
            self.request.user,
            title=data["title"],
            due_date=data.get("due_date"),
            due_time=data.get("due_time"),
            priority=data["priority"],
            notes=data.get("notes", ""),
        )

    def get_success_url(self, task):
        return reverse("workbench:task", args=[task.pk])

    def get_title(self):
        return self.object.title

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            task=self.object,
            complete_form=CompleteForm(),
            may_change=self.request.user.has_perm("workbench.change_task"),
            overdue=self.object.is_open and self.object.due_at is not None and self.object.due_at <= timezone.now(),
            **kwargs,
        )


class TaskCompleteView(ServiceActionView):
    permission_required = ("workbench.view_task", "workbench.change_task")
    model = Task
    form_class = CompleteForm

    def perform(self):
        return services.close_task(self.object, self.request.user, outcome=self.form.cleaned_data.get("outcome", ""))

    def get_success_message(self, task):
        return _("Task “%(title)s” done.") % {"title": task.title}

    def get_success_url(self, task):
        back = self.request.POST.get("next", "")
        if back in ("board", "mine", "team"):
            return reverse({"board": "workbench:task_board", "mine": "workbench:tasks", "team": "workbench:team_tasks"}[back])
        return reverse("workbench:task", args=[self.object.pk])


class TaskBulkView(ServiceActionView):
    """Bulk complete (anyone, their own tasks; a supervisor, the team's) and bulk reassign (supervisor)."""

    permission_required = ("workbench.view_task", "workbench.change_task")
    form_class = BulkForm

    def get_form_kwargs(self):
        return {"user": self.request.user}

    def perform(self):
        data = self.form.cleaned_data
        if data["action"] == "reassign":
            return ("reassign", services.bulk_reassign(data["tasks"], self.request.user, data["assignee"]))
        return ("complete", services.bulk_complete(data["tasks"], self.request.user))

    def get_success_message(self, result):
        action, tasks = result
        if action == "reassign":
            return _("%(n)d tasks reassigned.") % {"n": len(tasks)}
        return _("%(n)d tasks done.") % {"n": len(tasks)}

    def get_success_url(self, result):
        return reverse("workbench:team_tasks" if self.request.POST.get("next") == "team" else "workbench:tasks")
