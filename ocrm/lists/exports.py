"""Every file the system writes for Excel: one XLSX writer, one CSV writer, one guard.

* The guard: a text cell that a spreadsheet program would run — starting with = + - @, a tab
  or a carriage return (a number such as -5 or +86 excepted) — is made inert. In XLSX it is
  written as a string cell with Excel's quote prefix (shown as it is, never evaluated, and kept
  text when edited: no visible apostrophe); in CSV, which has no cell types, with a leading
  apostrophe (cell()). Numbers, decimals and booleans stay numbers, so Excel can add them up.
* XlsxWriter: openpyxl in write-only mode (rows go straight to a temporary file, memory stays
  flat), a bold header row per sheet, decimals shown with their places, optional column widths
  and text-formatted columns (a template whose codes such as 001 must stay text).
* csv_stream(): a streamed CSV in UTF-8 with the BOM Excel needs to read Chinese.

List exports render their rows with the list's own table (table_rows, chunked with a
server-side cursor) and are capped by export.max_rows; xlsx_response/csv_response write the
export's audit entry (ocrm.lists.events)."""

import csv
import decimal
import logging
import re
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ocrm.lists import events

logger = logging.getLogger("ocrm.lists.exports")

CHUNK = 2000

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

# What makes a spreadsheet program read a text cell as a formula (or hide one behind a tab/CR).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# --- the guard ------------------------------------------------------------------------------------


def would_run(text):
    """Would a spreadsheet program read this text as a formula (or hide one behind a tab/CR)?"""
    return text.startswith(FORMULA_START) and not (text[0] in "+-" and PLAIN_NUMBER.fullmatch(text))


def cell(value):
    """A value as a CSV cell: None, numbers, decimals and booleans as they are; any other value
    as text, made inert with a leading apostrophe when a spreadsheet program would run it."""
    if value is None or isinstance(value, (bool, int, float, decimal.Decimal)):
        return value
    text = str(value)
    return "'" + text if would_run(text) else text


# --- who wrote a file -------------------------------------------------------------------------------


def file_properties(*, user, title, clear_pii=False, approved_by=None, approved_at=None, note=""):
    """The document properties of an exported workbook: who took it, when, and whether it holds
    personal data in clear (and who approved that)."""
    now = timezone.now()
    if clear_pii:
        contents = _("Personal data in clear, approved by %(checker)s at %(time)s.") % {
            "checker": getattr(approved_by, "username", "") or "—",
            "time": timezone.localtime(approved_at or now).strftime("%Y-%m-%d %H:%M %Z"),
        }
    else:
        contents = _("Personal data masked.")
    return {
        "creator": user.username,
        "lastModifiedBy": user.username,
        "created": now.replace(tzinfo=None),
        "title": str(title)[:200],
        "subject": _("Personal data in clear") if clear_pii else _("Personal data masked"),
        "description": " ".join(part for part in (contents, note) if part),
        "keywords": "clear-pii" if clear_pii else "masked",
    }


# --- reading a list ---------------------------------------------------------------------------------


def table_rows(table_class, queryset, request=None, exclude=()):
    """Yield the header and then every row of `queryset` as rendered by `table_class`,
    one chunk of objects at a time (memory stays flat however many rows)."""
    chunk, header_sent = [], False
    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) >= CHUNK:
            yield from render_chunk(table_class, chunk, request, exclude, header_sent)
            header_sent, chunk = True, []
    if chunk or not header_sent:
        yield from render_chunk(table_class, chunk, request, exclude, header_sent)


def render_chunk(table_class, objects, request, exclude, header_sent):
    """The rows of `objects` as `table_class` exports them, the header first unless `header_sent`."""
    accepts_request = getattr(table_class, "accepts_request", False)
    table = table_class(objects, request=request) if accepts_request else table_class(objects)
    values = table.as_values(exclude_columns=exclude)
    header = next(values)
    if not header_sent:
        yield header
    yield from values


# --- XLSX -------------------------------------------------------------------------------------------


class XlsxWriter:
    """One XLSX workbook written row by row. add_sheet() for each sheet, then save()."""

    def __init__(self, properties=None):
        self.workbook = Workbook(write_only=True)
        for name, value in (properties or {}).items():
            setattr(self.workbook.properties, name, value)
        self._bold = Font(bold=True)
        self._sheets = []

    def add_sheet(self, title, header=None, *, widths=(), text_columns=0):
        """A new sheet (title cut to Excel's 31 characters). `widths`: column widths in characters;
        `text_columns`: how many columns are formatted as text for what people type in later."""
        sheet = XlsxSheet(self, self.workbook.create_sheet(title=str(title)[:31] or "export"))
        for index, width in enumerate(widths, start=1):
            sheet.worksheet.column_dimensions[get_column_letter(index)].width = width
        for index in range(1, text_columns + 1):
            sheet.worksheet.column_dimensions[get_column_letter(index)].number_format = "@"
        self._sheets.append(sheet)
        if header is not None:
            sheet.header(header)
        return sheet

    def save(self):
        """The workbook in a temporary file, read from its start: (file, size in bytes)."""
        handle = tempfile.TemporaryFile()
        self.workbook.save(handle)
        size = handle.tell()
        handle.seek(0)
        return handle, size

    def discard(self):
        """Give up an unfinished workbook: remove openpyxl's temporary files of its sheets."""
        for sheet in self._sheets:
            sheet.close()


class XlsxSheet:
    def __init__(self, writer, worksheet):
        self.writer = writer
        self.worksheet = worksheet
        self.rows = 0  # data rows written (the header not counted)

    def header(self, values):
        cells = []
        for value in values:
            header_cell = self._text(str(value))
            header_cell.font = self.writer._bold
            cells.append(header_cell)
        self.worksheet.append(cells)

    def append(self, values):
        self.worksheet.append([self._cell(value) for value in values])
        self.rows += 1

    def blank(self):
        self.worksheet.append([])

    def _text(self, text):
        """A string cell: never a formula, whatever it starts with; shown without an apostrophe."""
        text_cell = WriteOnlyCell(self.worksheet, value=text)
        text_cell.data_type = "s"  # openpyxl would write "=..." as a formula
        if would_run(text):
            text_cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        return text_cell

    def _cell(self, value):
        if value is not None and not isinstance(value, (bool, int, float, decimal.Decimal)):
            text = str(value)
            return self._text(text) if would_run(text) else text
        if isinstance(value, decimal.Decimal) and value.is_finite():
            places = max(0, -value.as_tuple().exponent)
            if places:
                # 100.50 shows as 100.50, not 100.5: the places the source had.
                number = WriteOnlyCell(self.worksheet, value=value)
                number.number_format = "0." + "0" * places
                return number
        return value

    def close(self):
        try:
            self.worksheet.close()
            if self.worksheet._writer is not None:
                self.worksheet._writer.cleanup()
        except (OSError, ValueError):
            logger.warning("could not remove the temporary file of an abandoned XLSX sheet", exc_info=True)


def write_xlsx(rows, sheet_title="export", properties=None):
    """Write rows (the first is the header) into a temporary XLSX file; returns (file, data rows)."""
    writer = XlsxWriter(properties)
    rows = iter(rows)
    sheet = writer.add_sheet(sheet_title, next(rows, []))
    for row in rows:
        sheet.append(row)
    handle, _size = writer.save()
    return handle, sheet.rows


def xlsx_file_response(handle, filename):
    """An XLSX file (from XlsxWriter.save()) as a download named `filename`."""
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def xlsx_response(rows, *, filename, request, object_type, detail=None, pii=False):
    """Stream an XLSX file of `rows` and write the export to the audit log. The file's properties
    name the user and say whether it holds personal data in clear (`pii`)."""
    properties = file_properties(user=request.user, title=filename, clear_pii=pii)
    handle, count = write_xlsx(rows, sheet_title=filename, properties=properties)
    events.export_written(
        request=request,
        object_type=object_type,
        filename=filename,
        rows=count,
        query=list_query(request),
        pii=pii,
        **(detail or {}),
    )
    return xlsx_file_response(handle, f"{filename}-{_stamp()}.xlsx")


# --- CSV --------------------------------------------------------------------------------------------


class _Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value):
        return value


def csv_stream(rows):
    """The lines of a CSV file of `rows`, a BOM first so that Excel opens the UTF-8 file with its
    Chinese text intact; every cell through the guard."""
    yield "\ufeff"
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(["" if value is None else cell(value) for value in row])


def csv_response(rows, *, filename, request, object_type, detail=None, pii=False):
    """Stream a CSV file of `rows` and write the export to the audit log (rows are counted
    nowhere: the file is sent as it is written)."""
    events.export_written(
        request=request,
        object_type=object_type,
        filename=filename,
        file_format="csv",
        query=list_query(request),
        pii=pii,
        **(detail or {}),
    )
    response = StreamingHttpResponse(csv_stream(rows), content_type=CSV_TYPE)
    # A CSV file has no properties: its name says who took it and when.
    response["Content-Disposition"] = f'attachment; filename="{filename}-{_user_part(request)}{_stamp()}.csv"'
    return response


def _user_part(request):
    name = re.sub(r"[^\w.-]+", "_", getattr(getattr(request, "user", None), "username", "") or "")
    return f"{name}-" if name else ""


def list_query(request):
    """The filter an export was written with: the list's own (`request.list_query`, a search
    kept behind a token expanded) or the query string. The audit entry masks searched numbers."""
    return getattr(request, "list_query", None) or request.GET.urlencode()


def _stamp():
    return timezone.localtime().strftime("%Y%m%d-%H%M")
