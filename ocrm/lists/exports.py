"""XLSX export of any list: openpyxl in write-only mode, rows fetched in chunks with a
server-side cursor, capped by the export.max_rows parameter, and audited."""

import tempfile

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ocrm.audit import services as audit
from ocrm.audit.models import AuditLog

CHUNK = 2000


def table_rows(table_class, queryset, request=None, exclude=()):
    """Yield the header and then every row of `queryset` as rendered by `table_class`,
    one chunk of objects at a time (memory stays flat however many rows)."""
    chunk, header_sent = [], False
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) >= CHUNK:
            yield from _render_chunk(table_class, chunk, request, exclude, header_sent)
            header_sent, chunk = True, []
    if chunk or not header_sent:
        yield from _render_chunk(table_class, chunk, request, exclude, header_sent)


def _render_chunk(table_class, objects, request, exclude, header_sent):
    table = table_class(objects, request=request) if _accepts_request(table_class) else table_class(objects)
    values = table.as_values(exclude_columns=exclude)
    header = next(values)
    if not header_sent:
        yield header
    yield from values


def _accepts_request(table_class):
    return getattr(table_class, "accepts_request", False)


def write_xlsx(rows, sheet_title="export"):
    """Write rows (the first is the header) into a temporary XLSX file; returns (file, count)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(sheet_title)[:31] or "export")
    bold = Font(bold=True)
    count = -1
    for count, row in enumerate(rows):
        if count == 0:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.font = bold
                cells.append(cell)
            sheet.append(cells)
        else:
            sheet.append([_cell_value(v) for v in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle, max(count, 0)


def _cell_value(value):
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    # Cells starting with these are formulas to spreadsheet programs: never let data run.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def xlsx_response(rows, *, filename, request, object_type, detail=None, pii=False):
    """Stream an XLSX file of `rows` and write the export to the audit log."""
    handle, count = write_xlsx(rows, sheet_title=filename)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    audit.record(
        AuditLog.Action.EXPORT,
        None,
        request=request,
        object_type=object_type,
        object_repr=f"{filename} ({count})",
        detail={"rows": count, "query": request.GET.urlencode(), "pii": pii, **(detail or {})},
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
