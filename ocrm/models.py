"""The kernel's models, gathered for Django (it loads `ocrm.lists.models`). Each lives in its
package: audit, batch (job runs), notifications, approvals (change requests), lists (export files).
"""

from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun, JobSchedule
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification, NotificationPreference
from ocrm.outbox.models import (
    CallbackReceipt,
    DeniedAddress,
    Gateway,
    MessageEvent,
    MessageTemplate,
    OutboundMessage,
)

__all__ = [
    "AuditLog", "CallbackReceipt", "ChangeRequest", "DeniedAddress", "ExportFile", "Gateway", "JobRun", "JobSchedule",
    "MessageEvent", "MessageTemplate", "Notification", "NotificationPreference", "OutboundMessage",
]  # fmt: skip
