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
import operator
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import django_tables2 as tables
from django.db import connections, models
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext as _
from django_tables2.utils import Accessor, signature
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


@contextmanager
def read_ahead(alias="default"):
    """A `submit(function, *args)` that runs a chunk's own queries (phones, documents, tags of its
    rows) in a second thread on its own connection, while the thread that asked writes the chunk
    before it: a 100k-row export waited 4–7 s on those queries with the CPU idle. Inside a
    transaction the queries run at once, in the asking thread: another connection would not see
    the transaction's rows."""
    if connections[alias].in_atomic_block:

        def submit(function, *args):
            done = Future()
            done.set_result(function(*args))
            return done

        yield submit
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read-ahead")
    try:
        yield pool.submit
    finally:
        pool.submit(connections.close_all).result()  # the thread's own connection, not the caller's
        pool.shutdown()


def table_rows(table_class, queryset, request=None, exclude=()):
    """Yield the header and then every row of `queryset` as rendered by `table_class`,
    one chunk of objects at a time (memory stays flat however many rows). A table with its own
    `export_rows(queryset, request=, exclude=)` (the same rows, read faster) writes them itself."""
    own = getattr(table_class, "export_rows", None)
    if own is not None:
        yield from own(queryset, request=request, exclude=exclude)
        return
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
    values = table_values(table, exclude)
    header = next(values)
    if not header_sent:
        yield header
    yield from values


def table_values(table, exclude=()):
    """What django-tables2's Table.as_values(exclude) yields, the header row first, at a fraction of
    its cost: as_values works out every cell's arguments anew (inspect.signature per cell, 104k calls
    for 65k cells), which made it half the time of a large export. Here each column's way to its
    value is worked out once (_ColumnValue) and reused for every row."""
    columns = [column for column in table.columns.iterall() if not (column.column.exclude_from_export or column.name in exclude)]
    yield [force_str(column.header, strings_only=True) for column in columns]
    getters = None
    for row in table.rows:
        if getters is None:
            getters = [_ColumnValue(table, column, row.record) for column in columns]
        yield [force_str(getter(row), strings_only=True) for getter in getters]


class _ColumnValue:
    """One column's export value of a row, as BoundRow.get_cell_value computes it: the value at the
    column's accessor (a choice field's label), None for an empty value, else the column's value
    function (value_<name>, render_<name> or the column's own) with the arguments it asks for.
    Anything beyond a plain Column (links with a text, many-to-many columns ...) is left to
    django-tables2 itself."""

    def __init__(self, table, bound_column, record):
        column = bound_column.column
        self.name, self.column, self.bound_column, self.table = bound_column.name, column, bound_column, table
        self.empty_values = column.empty_values
        self.accessor = Accessor(bound_column.accessor)
        self.plain = type(column) is tables.Column
        field = self.accessor.get_field(record) if isinstance(record, models.Model) else None
        # A choice field's labels, read once (Model._get_FIELD_display hashes the choices on each call).
        self.choices = None
        if getattr(field, "choices", None) and field.name == self.accessor.bits[-1]:
            self.attname = field.attname
            self.choices = {make_hashable(key): force_str(label, strings_only=True) for key, label in field.flatchoices}
        bits = self.accessor.bits
        self.attributes = operator.attrgetter(".".join(bits)) if isinstance(record, models.Model) and bits else None
        function = bound_column.value
        self.as_is = self.plain and function == column.value  # Column.value returns the value itself
        self.function = function
        self.arguments, self.any_argument = signature(function)

    def __call__(self, row):
        if not self.plain:
            return row.get_cell_value(self.name)
        record = row.record
        if self.choices is not None:
            penultimate = record if len(self.accessor.bits) == 1 else self.accessor.penultimate(record)[0]
            if not isinstance(penultimate, models.Model):
                return row.get_cell_value(self.name)
            value = getattr(penultimate, self.attname)
            value = self.choices.get(make_hashable(value), value)
        else:
            value = self._resolve(record)
        if value in self.empty_values:
            return None
        if self.as_is:
            return value
        offered = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": self.table,
        }
        if not self.any_argument:
            if any(argument not in offered for argument in self.arguments):
                return None
            offered = {argument: offered[argument] for argument in self.arguments}
        return self.function(**offered)

    def _resolve(self, record):
        if self.attributes is not None:  # a model's attributes: what Accessor.resolve would do, at once
            try:
                value = self.attributes(record)
            except Exception:  # a missing related row, a method on the way: Accessor.resolve decides
                value = None
            else:
                if not callable(value):
                    return value
        try:
            return self.accessor.resolve(record)
        except Exception:  # as django-tables2: a value that cannot be reached is empty
            return None


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
        row = []
        for value in values:
            kind = type(value)
            if kind is str:  # most cells: text that only needs the guard's first look
                row.append(self._text(value) if value.startswith(FORMULA_START) and would_run(value) else value)
            elif value is None or kind is int or kind is float or kind is bool:
                row.append(value)
            else:
                row.append(self._cell(value))
        self.worksheet.append(row)
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
