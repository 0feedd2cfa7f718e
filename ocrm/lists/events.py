"""The audit events of exports, one function per event type, called explicitly by the code that
writes, hands out or cancels an export (the habit of Saleor's order/events.py): a file that may
hold personal data never leaves the system without an entry saying who took what.

    export_written(...)     a file was written for someone (a list, an error report)
    export_downloaded(...)  a background export was downloaded from "my exports"
    export_cancelled(...)   its owner cancelled a background export
"""

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog


def export_written(*, object_type, filename, pii, rows=None, query="", request=None, actor=None, bank_id=None, **detail):
    """`rows` rows of `object_type` were written into `filename` (rows=None: a streamed file,
    counted nowhere). `detail` adds what identifies the export (a batch, a load, a file format)."""
    shown = rows if rows is not None else detail.get("file_format", "stream")
    return audit.record(
        AuditLog.Action.EXPORT,
        None,
        actor=actor,
        request=request,
        bank_id=bank_id,
        object_type=object_type,
        object_repr=f"{filename} ({shown})",
        detail={"rows": rows, "query": query, "pii": pii, **detail},
    )


def export_downloaded(export, user, request=None):
    """`user` downloaded the background export `export` (an ocrm.lists.models.ExportFile)."""
    return audit.record(
        AuditLog.Action.EXPORT,
        export,
        actor=user,
        request=request,
        object_type=export.object_type,
        object_repr=f"{export.filename} ({export.row_count}): download",
        detail={
            "event": "download",
            "rows": export.row_count,
            "query": export.query,
            "pii": export.pii,
            "export_file": export.pk,
        },
    )


def export_cancelled(export, user):
    return audit.record(
        AuditLog.Action.OTHER,
        export,
        actor=user,
        object_repr=f"{export.filename}: cancelled",
        detail={"event": "export_cancelled", "query": export.query},
    )
