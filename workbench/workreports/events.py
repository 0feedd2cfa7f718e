"""Audit events of work reports (the convention: ocrm/audit/__init__.py)."""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def report_drafted(report, actor):
    return audit.record(
        AuditLog.Action.CREATE,
        report,
        actor=actor,
        changes={"kind": [None, report.kind], "period_start": [None, report.period_start]},
        bank_id=report.bank_id,
        detail={"event": "work_report_drafted"},
    )


def report_saved(report, actor, before):
    after = {"summary": report.summary, "plan": report.plan, "status": report.status}
    return audit.record(
        AuditLog.Action.UPDATE,
        report,
        actor=actor,
        changes=audit.diff(before, after),
        bank_id=report.bank_id,
        detail={"event": "work_report_submitted" if report.status == "submitted" else "work_report_saved"},
    )


def report_commented(comment, actor):
    return audit.record(
        AuditLog.Action.CREATE,
        comment,
        actor=actor,
        changes={"text": [None, comment.text]},
        bank_id=comment.bank_id,
        detail={"event": "work_report_commented", "report": comment.report_id},
    )
