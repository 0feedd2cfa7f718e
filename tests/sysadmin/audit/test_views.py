"""The audit-log pages through the shared page checks (tests.support.views): an auditor's
scope is the whole bank, so there is no out-of-scope object, only another bank's. What the
log records and its filters are in test_audit.py."""

from ocrm.audit.models import AuditLog
from ocrm.scoping import SCOPE_SUBTREE
from tests.support.views import ModelPagesTests, Page


class TestAuditLogPages(ModelPagesTests):
    model = AuditLog
    permission = "sysadmin.view_audit"
    scope = SCOPE_SUBTREE  # still the whole bank for the audit log (AuditLog.objects.visible_to)
    outside_branch = None
    pages = {
        "list": Page("sysadmin:audit_list", max_queries=7),
        "detail": Page("sysadmin:audit_detail", max_queries=7),
    }

    def make(self, branch, n):
        return AuditLog.objects.create(
            bank_id=branch.bank_id,
            action=AuditLog.Action.UPDATE,
            actor_name="someone",
            object_type="sysadmin.branch",
            object_id=str(branch.pk),
            object_repr=f"PT-AUDIT-{n}",
        )

    def shown(self, obj):
        return obj.object_repr
