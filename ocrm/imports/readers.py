"""Reading an uploaded or delivered file into rows of text cells, or rejecting it with one clear reason.

What a file is comes from its content, never from its name: a PNG renamed .xlsx is a PNG.
CSV is decoded as UTF-8 (with or without BOM), then GB18030 (what Chinese Excel writes);
XLSX is checked as a ZIP archive (an XLSX workbook inside, bounded uncompressed size and
compression ratio) BEFORE openpyxl parses a byte of it, so a zip bomb never expands.

Two ways in, one reader (SheetFile):
* read_table(content, spec, ...): an upload held in memory (organisation import, batch
  maintenance), read whole into a Table; a value under no column name, no data rows or more
  rows than import.max_rows reject the file;
* SheetFile(path, spec, ...).rows(): a feed file streamed row by row (millions of rows);
  the caller decides what a stray cell means (feeds reject that row alone).
The header is mapped through the spec (Chinese or English column names) either way."""

import codecs
import csv
import datetime
import io
import os
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ocrm import parameters

# Members of an XLSX may not expand beyond this in total, nor compress better than this
# ratio (real sheet XML compresses 5-30x; a zip bomb compresses 1000x).
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # tiny members may legitimately have odd ratios
MAX_ZIP_MEMBERS = 2000

# A streamed file's encoding is decided on its first megabyte.
SNIFF_BYTES = 1024 * 1024

# Magic numbers of files people upload by mistake, so the message can say what it was.
# (Two-letter ones such as BMP's "BM" are left out: a text header could start with them; the
# NUL-byte test below still refuses those files as binary.)
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", gettext_lazy("PNG image")),
    (b"\xff\xd8\xff", gettext_lazy("JPEG image")),
    (b"GIF87a", gettext_lazy("GIF image")),
    (b"GIF89a", gettext_lazy("GIF image")),
    (b"%PDF", gettext_lazy("PDF document")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", gettext_lazy("Excel 97-2003 (.xls) or other legacy Office file")),
    (b"\x1f\x8b", gettext_lazy("gzip archive")),
    (b"Rar!", gettext_lazy("RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", gettext_lazy("7-Zip archive")),
    (b"II*\x00", gettext_lazy("TIFF image")),
    (b"MM\x00*", gettext_lazy("TIFF image")),
    (b"\x7fELF", gettext_lazy("executable program")),
    (b"{\\rtf", gettext_lazy("RTF document")),
]

DELIMITERS = (",", ";", "\t")


class FileRejected(Exception):
    """The whole file cannot be read; str(exc) says why, for the person who sent it."""


class FileTooLarge(FileRejected):
    """The file is larger than the upload limit (import.max_upload_bytes)."""

    def __init__(self, size, limit):
        super().__init__(too_large_message(size, limit))


@dataclass
class Table:
    """A file read whole: recognised columns (keys, in file order) and data rows (row number, {key: text})."""

    format: str
    encoding: str = ""
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)


# --- limits ------------------------------------------------------------------------------------------


def upload_limit(bank=None):
    """The largest file one upload may be, in bytes (parameter import.max_upload_bytes). Feeds
    delivered through the inbox folder have no limit as CSV: they are streamed, not held."""
    return parameters.get("import.max_upload_bytes", bank)


def row_limit(bank=None):
    """The most data rows one staged file may hold (parameter import.max_rows)."""
    return parameters.get("import.max_rows", bank)


def archive_limits():
    """(largest total uncompressed size, highest compression ratio) an XLSX may have: a safety
    bound against zip bombs, the same for every bank."""
    return (
        getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES),
        getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO),
    )


def too_large_message(size, limit):
    return _("The file is %(size)s; the largest file accepted is %(limit)s.") % {
        "size": megabytes(size),
        "limit": megabytes(limit),
    }


def megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


# --- what the file is ----------------------------------------------------------------------------------


def sniff_format(head):
    """'xlsx' or 'csv' from the first bytes; FileRejected for anything else."""
    if not head:
        raise FileRejected(_("The file is empty."))
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    for magic, description in SIGNATURES:
        if head.startswith(magic):
            raise FileRejected(_("This is a %(what)s, not a spreadsheet. Upload a CSV or XLSX file.") % {"what": description})
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            _('The file is encoded as UTF-16. Save it as "CSV UTF-8" (or GB18030) or as XLSX and upload it again.')
        )
    if b"\x00" in head[:65536]:
        raise FileRejected(_("This is a binary file, not a spreadsheet. Upload a CSV or XLSX file."))
    return "csv"


def sniff_encoding(sample, *, complete):
    """'utf-8' (BOM optional) or 'gb18030', decided on `sample`: the whole file when `complete`,
    else its first SNIFF_BYTES (cut at the last newline, so that a character split by the cut
    does not count)."""
    if not complete and b"\n" in sample:
        sample = sample[: sample.rfind(b"\n") + 1]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(sample, encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return "utf-8" if encoding == "utf-8-sig" else encoding
    raise FileRejected(
        _(
            "The file's character encoding is not UTF-8 or GB18030, so its text cannot be read reliably. "
            'Save it as "CSV UTF-8" (or as XLSX) and upload it again.'
        )
    )


# Control characters (but tab, CR, LF) and private-use code points.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\U000f0000-\U0010ffff]")


def _looks_like_text(text):
    """Refuse decodings that produce control characters or private-use code points: a
    GB18030 decode of bytes in another encoding 'succeeds' with exactly that kind of junk."""
    return _NOT_TEXT.search(text) is None


def check_xlsx_archive(content):
    """Inspect the ZIP directory of an XLSX without expanding anything."""
    max_uncompressed, max_ratio = archive_limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRejected(_("The file looks like a ZIP/XLSX file but is damaged: %(error)s") % {"error": exc}) from exc
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                what = _("a Word document")
            elif "ppt/presentation.xml" in names:
                what = _("a PowerPoint presentation")
            else:
                what = _("a ZIP archive")
            raise FileRejected(_("This is %(what)s, not an XLSX workbook. Upload a CSV or XLSX file.") % {"what": what})
        if len(infos) > MAX_ZIP_MEMBERS:
            raise FileRejected(
                _("The XLSX file holds %(n)d parts; a workbook has far fewer. It was not opened.") % {"n": len(infos)}
            )
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size >= RATIO_CHECK_MIN_BYTES:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > max_ratio:
                    raise FileRejected(
                        _(
                            "The XLSX file was not opened: its part %(part)s would expand %(ratio)d times "
                            "(to %(size)s); this looks like a zip bomb."
                        )
                        % {"part": info.filename, "ratio": ratio, "size": megabytes(info.file_size)}
                    )
        if total > max_uncompressed:
            raise FileRejected(
                _("The XLSX file was not opened: it would expand to %(size)s; the limit is %(limit)s.")
                % {"size": megabytes(total), "limit": megabytes(max_uncompressed)}
            )


# --- cells and the header --------------------------------------------------------------------------------

_SPACES = re.compile(r"[\u00a0\u3000\u200b\ufeff]")


def clean_cell(value):
    """Trim, and turn non-breaking/ideographic/zero-width spaces into nothing special."""
    return _SPACES.sub(" ", value or "").strip()


def best_delimiter(header_line, spec):
    """Comma, semicolon or tab: whichever splits the header into the most known columns."""
    best, best_hits = ",", -1
    for delimiter in DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        hits = sum(1 for cell in cells if spec.column_for_header(clean_cell(cell)) is not None)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


def map_header(header, spec):
    """{position in the row: column key} of the cleaned header cells; FileRejected for an unknown,
    repeated or missing required column."""
    if not any(header):
        raise FileRejected(_("The first row must hold the column names; it is empty."))
    positions, unknown, seen = {}, [], {}
    for index, name in enumerate(header):
        if not name:
            continue
        column = spec.column_for_header(name)
        if column is None:
            unknown.append(f"{get_column_letter(index + 1)}: {name}")
            continue
        if column.key in seen:
            raise FileRejected(
                _("The column %(column)s appears twice (columns %(a)s and %(b)s).")
                % {"column": column.key, "a": get_column_letter(seen[column.key] + 1), "b": get_column_letter(index + 1)}
            )
        seen[column.key] = index
        positions[index] = column.key
    if unknown:
        raise FileRejected(_(spec.unknown_columns_text) % {"columns": "; ".join(unknown), "known": spec.header_help()})
    missing = [c for c in spec.columns if c.required and c.key not in seen]
    if missing:
        raise FileRejected(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(f"{c.key} ({c.label_zh})" for c in missing)}
        )
    return positions


# --- the one reader --------------------------------------------------------------------------------------


class SheetFile:
    """An open CSV or XLSX file: its format, encoding, recognised columns (in file order, once the
    header is read) and its data rows, one at a time.

    `source` is the file's bytes (an upload) or a path (a delivered feed, streamed; only an XLSX
    is read whole, and only up to `max_bytes`)."""

    def __init__(self, source, spec, *, max_bytes):
        self.spec = spec
        self.columns = []
        self._handle = None
        if isinstance(source, (bytes, bytearray)):
            self.path, self._content = None, bytes(source)
            size, head = len(self._content), self._content[:SNIFF_BYTES]
        else:
            self.path, self._content = source, None
            size = os.path.getsize(source)
            with open(source, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        self.format = sniff_format(head)
        self.encoding = ""
        if self.format == "xlsx":
            # A workbook is parsed in memory: large files come as CSV, which is streamed.
            if size > max_bytes:
                raise FileTooLarge(size, max_bytes)
            if self._content is None:
                with open(source, "rb") as handle:
                    self._content = handle.read()
            check_xlsx_archive(self._content)
        else:
            complete = self._content is not None
            self.encoding = sniff_encoding(self._content if complete else head, complete=complete)

    def _open(self):
        return io.BytesIO(self._content) if self._content is not None else open(self.path, "rb")

    def raw_rows(self):
        """Every row of the file as a list of cell texts, the header first."""
        if self.format == "xlsx":
            yield from _xlsx_rows(self._content)
            return
        with self._open() as handle:
            self._handle = handle
            text = io.TextIOWrapper(
                handle, encoding="utf-8-sig" if self.encoding == "utf-8" else "gb18030", errors="strict", newline=""
            )
            first = text.readline()
            reader = csv.reader(_chain([first], text), delimiter=best_delimiter(first, self.spec))
            try:
                yield from reader
            except UnicodeDecodeError as exc:
                raise FileRejected(
                    _(
                        "The file is not consistently %(encoding)s: a byte near line %(line)d cannot be "
                        'decoded. Save it as "CSV UTF-8" (or as XLSX) and send it again.'
                    )
                    % {"encoding": self.encoding, "line": reader.line_num + 1}
                ) from exc
            except csv.Error as exc:
                raise FileRejected(
                    _("The CSV file is malformed near line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
                ) from exc

    @property
    def bytes_read(self):
        """How far into the file reading has got (CSV; XLSX workbooks are parsed as a whole)."""
        handle = self._handle
        return handle.tell() if handle is not None and not handle.closed else 0

    def rows(self):
        """(row number as a spreadsheet shows it, {key: cell}, position of a value under no column
        name or None) of every data row; blank rows are skipped."""
        raw = iter(self.raw_rows())
        header = [clean_cell(c) for c in next(raw, None) or []]
        positions = map_header(header, self.spec)
        self.columns = list(positions.values())
        for offset, cells in enumerate(raw):
            texts = [clean_cell(c) for c in cells]
            if not any(texts):
                continue
            stray = next((i for i, text in enumerate(texts) if text and i not in positions), None)
            values = {key: texts[i] if i < len(texts) else "" for i, key in positions.items()}
            yield offset + 2, values, stray  # the header is row 1, as a spreadsheet program shows it


def read_table(content, spec, *, max_rows, max_bytes):
    """Read a whole upload (bytes) against `spec` (an ocrm.imports.specs.Spec) into a Table."""
    if len(content) > max_bytes:
        raise FileTooLarge(len(content), max_bytes)
    sheet = SheetFile(content, spec, max_bytes=max_bytes)
    table = Table(sheet.format, sheet.encoding)
    for row_number, values, stray in sheet.rows():
        if stray is not None:
            raise FileRejected(
                _("Row %(row)d has a value in column %(column)s, which has no column name in the first row.")
                % {"row": row_number, "column": get_column_letter(stray + 1)}
            )
        if len(table.rows) >= max_rows:
            raise FileRejected(
                _(
                    "The file holds more than %(max)d data rows, the limit of one import (parameter import.max_rows). "
                    "Split it into smaller files."
                )
                % {"max": max_rows}
            )
        table.rows.append((row_number, values))
    table.columns = sheet.columns
    if not table.rows:
        raise FileRejected(_("The file has column names but no data rows."))
    return table


def _chain(first, rest):
    yield from first
    yield from rest


# --- XLSX cells ----------------------------------------------------------------------------------------


def _xlsx_rows(content):
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise _unreadable(exc) from exc
    try:
        if not workbook.worksheets:
            raise FileRejected(_("The XLSX file has no worksheet."))
        sheet = workbook.worksheets[0]
        try:
            for values in sheet.iter_rows(values_only=True):
                yield [_xlsx_text(v) for v in values]
        except FileRejected:
            raise
        except Exception as exc:
            raise _unreadable(exc) from exc
    finally:
        workbook.close()


def _unreadable(exc):
    cause = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            # Entity declarations ("billion laughs", external entities) have no place in a workbook.
            return FileRejected(
                _("The XLSX file was refused: its XML declares entities (%(error)s), which spreadsheet programs never write.")
                % {"error": cause}
            )
        cause = cause.__cause__ or cause.__context__
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return FileRejected(_("The XLSX file could not be read: %(error)s") % {"error": first_line})


def _xlsx_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
