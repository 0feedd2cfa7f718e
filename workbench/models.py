"""The models of every workbench area, gathered for Django and the migrations.

Each model lives in its area's models.py; import it from there in new code.
"""

from workbench.announcements.models import (
    Announcement,
    AnnouncementAttachment,
    AnnouncementBranch,
    AnnouncementReceipt,
    AnnouncementRole,
)
from workbench.todo.models import Task

__all__ = ["Task", "Announcement", "AnnouncementAttachment", "AnnouncementBranch", "AnnouncementReceipt", "AnnouncementRole"]
