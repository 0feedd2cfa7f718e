"""The task pages (lists, board, create, edit, complete, bulk actions)."""

from django.urls import path

from ocrm import links
from workbench.todo import views

urlpatterns = [
    path("tasks/", views.MyTasksView.as_view(), name="tasks"),
    path("tasks/team/", views.TeamTasksView.as_view(), name="team_tasks"),
    path("tasks/board/", views.BoardView.as_view(), name="task_board"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/bulk/", views.TaskBulkView.as_view(), name="task_bulk"),
    path("tasks/<int:pk>/", views.TaskEditView.as_view(), name="task"),
    path("tasks/customer/<str:number>/", views.CustomerTasksView.as_view(), name="customer_tasks"),
    path("tasks/<int:pk>/done/", views.TaskCompleteView.as_view(), name="task_complete"),
]

# The pages services link to (ocrm.links).
links.register("task", "workbench:task")
links.register("task_complete", "workbench:task_complete")
links.register("tasks", "workbench:tasks")
links.register("task_board", "workbench:task_board")
