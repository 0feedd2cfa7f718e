"""The models of every workbench area, gathered for Django and the migrations.

Each model lives in its area's models.py; import it from there in new code.
"""

from workbench.todo.models import Task

__all__ = ["Task"]
from workbench.dashboard.models import DeskDismissal  # noqa: E402
from workbench.workreports.models import WorkReport, WorkReportComment  # noqa: E402

__all__ += ["DeskDismissal", "WorkReport", "WorkReportComment"]
