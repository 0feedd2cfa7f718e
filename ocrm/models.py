"""The kernel's models, gathered for Django (it loads `ocrm.lists.models`). Each lives in its
package: audit, batch (job runs), notifications, approvals (change requests), lists (export files).
"""

from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun, JobSchedule
from ocrm.lists.models import ExportFile
from ocrm.notifications.models import Notification

__all__ = ["AuditLog", "ChangeRequest", "ExportFile", "JobRun", "JobSchedule", "Notification"]
