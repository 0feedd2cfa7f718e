"""Reading an uploaded file into rows of text cells, or rejecting it with one clear reason.

What a file is comes from its content, never from its name: a PNG renamed .xlsx is a PNG.
CSV is decoded as UTF-8 (with or without BOM), then GB18030 (what Chinese Excel writes);
XLSX is checked as a ZIP archive (an XLSX workbook inside, bounded uncompressed size and
compression ratio) BEFORE openpyxl parses a byte of it, so a zip bomb never expands."""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

# Members of an XLSX may not expand beyond this in total, nor compress better than this
# ratio (real sheet XML compresses 5-30x; a zip bomb compresses 1000x).
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # tiny members may legitimately have odd ratios
MAX_ZIP_MEMBERS = 2000

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


class FileRejected(Exception):
    """The whole file cannot be imported; str(exc) says why, for the person who sent it."""


@dataclass
class Table:
    """The file as read: recognised columns (keys) and data rows (row number, {key: text})."""

    format: str
    encoding: str = ""
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)


def limits():
    return {
        "max_bytes": settings.IMPORT_MAX_UPLOAD_BYTES,
        "max_uncompressed": getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES),
        "max_ratio": getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO),
    }


def sniff_format(content):
    """'xlsx' or 'csv' from the bytes; FileRejected for anything else."""
    if not content:
        raise FileRejected(_("The file is empty."))
    if content.startswith(b"PK\x03\x04") or content.startswith(b"PK\x05\x06"):
        return "xlsx"
    for magic, description in SIGNATURES:
        if content.startswith(magic):
            raise FileRejected(_("This is a %(what)s, not a spreadsheet. Upload a CSV or XLSX file.") % {"what": description})
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            _('The file is encoded as UTF-16. Save it as "CSV UTF-8" (or GB18030) or as XLSX and upload it again.')
        )
    if b"\x00" in content[:65536]:
        raise FileRejected(_("This is a binary file, not a spreadsheet. Upload a CSV or XLSX file."))
    return "csv"


def read_file(content, spec, max_rows):
    """Parse `content` (bytes) against `spec` (a specs.Spec). Returns a Table."""
    lim = limits()
    if len(content) > lim["max_bytes"]:
        raise FileRejected(too_large_message(len(content), lim["max_bytes"]))
    fmt = sniff_format(content)
    if fmt == "xlsx":
        check_xlsx_archive(content, lim["max_uncompressed"], lim["max_ratio"])
        table, raw_rows = Table("xlsx"), _xlsx_rows(content)
    else:
        text, encoding = decode_text(content)
        table, raw_rows = Table("csv", encoding), _csv_rows(text, spec)
    return _build_table(table, raw_rows, spec, max_rows)


def too_large_message(size, limit):
    return _("The file is %(size)s; the largest file accepted is %(limit)s.") % {
        "size": _megabytes(size),
        "limit": _megabytes(limit),
    }


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


# --- CSV ----------------------------------------------------------------------------------


def decode_text(content):
    """Decode CSV bytes: UTF-8 (BOM optional), then GB18030. Returns (text, encoding)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, ("utf-8" if encoding == "utf-8-sig" else encoding)
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


def _csv_rows(text, spec):
    first_line = text.split("\n", 1)[0]
    delimiter = _best_delimiter(first_line, spec)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRejected(
            _("The CSV file is malformed near line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from exc


def _best_delimiter(header_line, spec):
    """Comma, semicolon or tab: whichever splits the header into the most known columns."""
    best, best_hits = ",", -1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        hits = sum(1 for cell in cells if spec.column_for_header(cell) is not None)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best


# --- XLSX ---------------------------------------------------------------------------------


def check_xlsx_archive(content, max_uncompressed, max_ratio):
    """Inspect the ZIP directory without expanding anything."""
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
                        % {"part": info.filename, "ratio": ratio, "size": _megabytes(info.file_size)}
                    )
        if total > max_uncompressed:
            raise FileRejected(
                _("The XLSX file was not opened: it would expand to %(size)s; the limit is %(limit)s.")
                % {"size": _megabytes(total), "limit": _megabytes(max_uncompressed)}
            )


def _xlsx_rows(content):
    from openpyxl import load_workbook

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
    from defusedxml import DefusedXmlException

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


# --- shared -------------------------------------------------------------------------------

_SPACES = re.compile(r"[\u00a0\u3000\u200b\ufeff]")


def clean_cell(value):
    """Trim, and turn non-breaking/ideographic/zero-width spaces into nothing special."""
    return _SPACES.sub(" ", value or "").strip()


def _build_table(table, raw_rows, spec, max_rows):
    raw_rows = iter(raw_rows)
    header = None
    for header_cells in raw_rows:
        header = [clean_cell(c) for c in header_cells]
        break
    if header is None or not any(header):
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
                % {
                    "column": column.key,
                    "a": get_column_letter(seen[column.key] + 1),
                    "b": get_column_letter(index + 1),
                }
            )
        seen[column.key] = index
        positions[index] = column.key
    if unknown:
        raise FileRejected(
            _("Unknown columns: %(columns)s. The columns of this kind are: %(known)s.")
            % {"columns": "; ".join(unknown), "known": spec.header_help()}
        )
    missing = [c for c in spec.columns if c.required and c.key not in seen]
    if missing:
        raise FileRejected(
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(f"{c.key} ({c.label_zh})" for c in missing)}
        )
    table.columns = [key for _index, key in sorted(positions.items())]
    count = 0
    for offset, cells in enumerate(raw_rows):
        row_number = offset + 2  # the header is row 1, as a spreadsheet program shows it
        texts = [clean_cell(c) for c in cells]
        if not any(texts):
            continue
        for index, text in enumerate(texts):
            if text and index not in positions:
                raise FileRejected(
                    _("Row %(row)d has a value in column %(column)s, which has no column name in the first row.")
                    % {"row": row_number, "column": get_column_letter(index + 1)}
                )
        count += 1
        if count > max_rows:
            raise FileRejected(
                _(
                    "The file holds more than %(max)d data rows, the limit of one import (parameter import.max_rows). "
                    "Split it into smaller files."
                )
                % {"max": max_rows}
            )
        table.rows.append((row_number, {key: texts[index] if index < len(texts) else "" for index, key in positions.items()}))
    if not table.rows:
        raise FileRejected(_("The file has column names but no data rows."))
    return table
