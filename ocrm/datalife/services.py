"""The nightly partition job's policy (the SQL is in partitions.py, which migrations import)."""

import datetime

from django.utils import timezone

from ocrm import parameters, tenants
from ocrm.batch.jobs import audit_once
from ocrm.datalife.partitions import drop_before, maintain

AUDIT_TABLE = "ocrm_auditlog"


def audit_cutoff(today):
    """The day before which every bank's (and the global) audit.retention_days has passed,
    a day early so that no bank's local midnight is crossed; None when one keeps for ever (0).
    The row-by-row job (sysadmin.audit) removes a shorter-keeping bank's entries before that."""
    if "audit.retention_days" not in parameters.DECLARED:
        return None
    banks = tenants.tenant_model().objects.values_list("pk", flat=True)
    days = [parameters.get("audit.retention_days", None), *(parameters.get("audit.retention_days", b) for b in banks)]
    if min(days) <= 0:
        return None
    return today - datetime.timedelta(days=max(days) + 1)


def run_maintenance(run):
    """The nightly job: every partitioned table's months ahead (partition.months_ahead), the
    default partitions emptied into their months, the audit log's months past retention dropped."""
    report = maintain(parameters.get("partition.months_ahead"))
    created = sum(r["created"] for r in report.values())
    moved = sum(r["moved"] for r in report.values())
    dropped, deleted = [], 0
    cutoff = audit_cutoff(timezone.now().astimezone(datetime.UTC).date())
    if cutoff is not None:
        dropped, deleted = drop_before(AUDIT_TABLE, cutoff)
    run.count(created=created, moved=moved, dropped=len(dropped), deleted=deleted)
    audit_once(run, None, {"tables": report, "dropped": dropped, "audit_cutoff": cutoff, "deleted_from_default": deleted})
