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
from workbench.calendar.models import Appointment, CalendarFeed
from workbench.channelapi.models import ChannelCall, ChannelClient, IdempotencyRecord, WebhookEvent
from workbench.dashboard.models import BookFigure, DashFigure, DeskDismissal
from workbench.messaging.models import Conversation, Message, Participant
from workbench.reminders.models import Reminder, ReminderRule
from workbench.servicerequests.models import (
    ServiceRequest,
    ServiceRequestAttachment,
    ServiceRequestLogEntry,
    ServiceRequestType,
)
from workbench.todo.models import Task
from workbench.workreports.models import WorkReport, WorkReportComment

__all__ = [
    "Announcement",
    "AnnouncementAttachment",
    "AnnouncementBranch",
    "AnnouncementReceipt",
    "AnnouncementRole",
    "Appointment",
    "BookFigure",
    "CalendarFeed",
    "ChannelCall",
    "ChannelClient",
    "Conversation",
    "DashFigure",
    "DeskDismissal",
    "IdempotencyRecord",
    "Message",
    "Participant",
    "Reminder",
    "ReminderRule",
    "ServiceRequest",
    "ServiceRequestAttachment",
    "ServiceRequestLogEntry",
    "ServiceRequestType",
    "Task",
    "WorkReport",
    "WebhookEvent",
    "WorkReportComment",
]
from workbench.channelapi.models import ChannelFieldPolicy, WebhookDelivery  # noqa: F401
