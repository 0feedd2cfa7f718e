"""The one reader of uploaded and delivered files (ocrm.imports.readers): what a file is, how it
is decoded, how its header is mapped, and the limits every upload shares."""

import codecs
import io

import pytest
from openpyxl import Workbook

from ocrm import parameters
from ocrm.imports import readers
from ocrm.imports.readers import FileRejected, FileTooLarge, SheetFile, read_table
from ocrm.imports.specs import Column, Columns, Spec, text
from sysadmin.parameters.models import SystemParameter

pytestmark = pytest.mark.django_db


class PeopleSpec(Spec):
    kind = "people"
    columns = (
        Column("code", "代码", "code", text(10), True),
        Column("name", "名称", "name", text(50), True),
        Column("note", "备注", "note", text(50)),
    )


class FeedLikeSpec(Columns):
    columns = PeopleSpec.columns
    unknown_columns_text = "Unknown columns: %(columns)s. The columns of this feed are: %(known)s."


SPEC = PeopleSpec()
BIG = 10**9


def xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(content, spec=SPEC, max_rows=100):
    return read_table(content, spec, max_rows=max_rows, max_bytes=BIG)


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("code,name\nA1,王伟\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "code,name\nA1,王伟\n".encode(), "utf-8"),
        ("代码;名称\nA1;王伟\n".encode("gb18030"), "gb18030"),
        ("code\tname\nA1\t王伟\n".encode(), "utf-8"),
    ],
)
def test_csv_encodings_delimiters_and_chinese_headers_read_alike(content, encoding):
    read = table(content)
    assert (read.format, read.encoding, read.columns, read.rows) == (
        "csv",
        encoding,
        ["code", "name"],
        [(2, {"code": "A1", "name": "王伟"})],
    )


def test_xlsx_with_typed_cells_and_blank_rows_reads_as_text():
    read = table(xlsx([["代码", "name", "note"], [1, "王伟", None], [None, None, None], ["A2", "李娜", 3.5]]))
    assert read.format == "xlsx"
    assert read.rows == [(2, {"code": "1", "name": "王伟", "note": ""}), (4, {"code": "A2", "name": "李娜", "note": "3.5"})]


def test_cells_are_trimmed_of_wide_and_zero_width_spaces():
    read = table("code,name\n\u3000A1\u200b, 王伟\u00a0\n".encode())
    assert read.rows == [(2, {"code": "A1", "name": "王伟"})]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "This is a PNG image, not a spreadsheet"),
        ("code,name\n".encode("utf-16"), "UTF-16"),
        ("code,name\nA1,José\n".encode("latin-1"), "not UTF-8 or GB18030"),
        (b"code,colour,name\nA1,red,x\n", "Unknown columns: B: colour. The columns of this kind are: code (代码), name (名称)"),
        (b"code\nA1\n", "Required columns are missing: name (名称)."),
        (b"code,name,\xe4\xbb\xa3\xe7\xa0\x81\nA,B,C\n", "The column code appears twice (columns A and C)."),
        (b"code,name\nA1,x,stray\n", "Row 2 has a value in column C, which has no column name in the first row."),
        (b"code,name\n\n", "The file has column names but no data rows."),
        (b",,\nA1,x\n", "The first row must hold the column names; it is empty."),
    ],
)
def test_a_file_that_cannot_be_read_whole_is_rejected_with_its_reason(content, reason):
    with pytest.raises(FileRejected) as caught:
        table(content)
    assert reason in str(caught.value)


def test_the_row_limit_counts_data_rows_only():
    content = b"code,name\nA1,x\n\nA2,y\n"
    assert len(table(content, max_rows=2).rows) == 2
    with pytest.raises(FileRejected, match="more than 1 data rows"):
        table(content, max_rows=1)


def test_a_streamed_file_names_stray_cells_instead_of_refusing_the_file(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(b"code,name\nA1,x\nA2,y,stray\n")
    sheet = SheetFile(path, FeedLikeSpec(), max_bytes=BIG)
    assert list(sheet.rows()) == [(2, {"code": "A1", "name": "x"}, None), (3, {"code": "A2", "name": "y"}, 2)]
    assert sheet.columns == ["code", "name"] and sheet.bytes_read == 0  # closed once read
    path.write_bytes(b"code,name,colour\nA1,x,red\n")
    with pytest.raises(FileRejected, match="The columns of this feed are"):
        list(SheetFile(path, FeedLikeSpec(), max_bytes=BIG).rows())


def test_a_byte_that_does_not_decode_after_the_first_megabyte_rejects_a_streamed_file(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(b"code,name\n" + b"A1,x\n" * 300_000 + b"A2,\xff\xfe\n")
    sheet = SheetFile(path, SPEC, max_bytes=BIG)
    assert sheet.encoding == "utf-8"
    with pytest.raises(FileRejected, match="not consistently utf-8: a byte near line"):  # decoded in blocks: near
        list(sheet.rows())


def test_one_upload_limit_for_every_bank_parameter(org):
    assert readers.upload_limit(org.bank_a) == parameters.default("import.max_upload_bytes") == 20 * 1024 * 1024
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_upload_bytes", value_type="int", value="10")
    assert readers.upload_limit(org.bank_a) == 10 and readers.upload_limit(org.bank_b) == 20 * 1024 * 1024
    with pytest.raises(FileTooLarge, match="the largest file accepted is 0.0 MB"):
        read_table(b"code,name\nA1,x\n", SPEC, max_rows=10, max_bytes=10)


def test_a_workbook_larger_than_an_upload_is_not_opened(tmp_path):
    path = tmp_path / "feed.xlsx"
    path.write_bytes(xlsx([["code", "name"], ["A1", "x"]]))
    with pytest.raises(FileTooLarge):
        SheetFile(path, SPEC, max_bytes=100)
    assert list(SheetFile(path, SPEC, max_bytes=BIG).rows()) == [(2, {"code": "A1", "name": "x"}, None)]
