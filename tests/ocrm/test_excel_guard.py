"""Every file the system writes for Excel goes through the one guard (ocrm.lists.exports.cell):
a text cell a spreadsheet program would run arrives inert (issue 11, finding 9).

The downloadable files are found, not listed by hand: every GET route of the site (the
permission sweep's walk, with its objects in the URL parameters) whose answer is a CSV or
XLSX file, and the export (?export=xlsx) of every list page. The classic payloads are planted
where each file draws its cells from (customer, branch and staff names, audit entries, the
rejected cells of a feed, of an organisation import and of a batch maintenance file, the file
names), every file is downloaded as the superuser and read back cell by cell: no cell may be a
formula or text that starts like one. A background export ("my exports") is written by the
worker's own code and downloaded the same way."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import load_workbook

from customers.ecif.feeds.models import FeedError
from customers.maintenance import services as maintenance
from customers.master.models import Customer
from ocrm.audit.models import AuditLog
from ocrm.lists import background
from ocrm.lists.exports import FORMULA_START, PLAIN_NUMBER
from ocrm.lists.models import ExportFile
from ocrm.lists.views import ScopedListView
from sysadmin.imports import services as imports
from sysadmin.org.models import Branch, Staff
from tests.factories import build_org
from tests.ocrm.lists.test_parameter_fuzz import discover_list_pages
from tests.support.shared_data import shared_rows
from tests.test_permission_sweep import all_routes, build_sweep_data, logged_in_clients, variants_for

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]

PAYLOADS = ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1")
FILE_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# The downloads that must carry the payloads (each draws its cells from what was planted).
MUST_CARRY = {
    "customers:feed_errors_xlsx",
    "customers:feed_errors_csv",
    "sysadmin:import_errors_xlsx",
    "customers:batch_errors",
    "export_download",
    "customers:list?export",
    "sysadmin:staff_list?export",
    "sysadmin:branch_list?export",
    "sysadmin:audit_list?export",
}


def plant_payloads(data, tmp_path):
    """Put every payload where the downloads read from, in bank A."""
    org, side = data.org, data.a
    Customer.objects.filter(pk=side.customer.pk).update(name_local=PAYLOADS[0], name_latin=PAYLOADS[1])
    Branch.objects.filter(pk=org.a_sh.pk).update(name_local=PAYLOADS[2])
    Staff.objects.filter(pk=org.manager.pk).update(name_local=PAYLOADS[3], employee_no=PAYLOADS[4])
    for payload in PAYLOADS:
        AuditLog.objects.create(bank_id=org.bank_a.pk, action=AuditLog.Action.OTHER, object_repr=payload)
        FeedError.objects.create(load=side.feed_load, row_number=3, field=payload, value=payload, reason=payload)
    rows = "".join(f'A-{n},"{p}","{p}",Mars/Base\n' for n, p in enumerate(PAYLOADS))
    side.import_batch = imports.stage_file(
        org.bank_a,
        "branches",
        SimpleUploadedFile("branches.csv", f"code,name_local,country,timezone\n{rows}".encode()),
        org.admin,
    )
    assert side.import_batch.invalid_rows == len(PAYLOADS)
    rows = "".join(f'"{p}","{p}"\n' for p in PAYLOADS)
    side.maintenance_batch = maintenance.stage_file(
        SimpleUploadedFile("changes.csv", f"customer_number,occupation\n{rows}".encode()), org.supervisor
    )
    assert side.maintenance_batch.invalid_rows == len(PAYLOADS)
    # A background export of the customer list, written by the worker's code (ocrm.lists.background).
    side.export_file = ExportFile.objects.create(
        owner=data.users["superuser"],
        bank_id=org.bank_a.pk,
        title="Customers",
        url_name="customers:list",
        filename="customers",
        object_type="customers.customer",
    )
    assert background.run_export(side.export_file.pk).status == ExportFile.Status.DONE


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("guard-media")
    with override_settings(MEDIA_ROOT=str(media)), shared_rows(django_db_blocker):
        data = build_sweep_data(build_org())
        data.clients = logged_in_clients({"superuser": data.users["superuser"]})
        plant_payloads(data, media)
        yield data


@pytest.fixture(autouse=True)
def _clear_cache():
    """The client's session lives in Redis for the whole module (shared_rows clears it)."""
    yield


def cells(response):
    """Every cell of a downloaded CSV or XLSX file, as (value, is_formula, marked_as_text). In XLSX the
    guard writes a string cell with Excel's quotePrefix (text even when edited, no visible apostrophe);
    in CSV, which has no cell types, it prefixes an apostrophe."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        assert body.startswith("\ufeff".encode()), "a CSV for Excel starts with the BOM"
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")):
            yield from ((value, False, False) for value in row)
        return
    workbook = load_workbook(io.BytesIO(body))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from (
                (cell.value, cell.data_type == "f", cell.data_type == "s" and cell.quotePrefix)
                for cell in row
                if cell.value is not None
            )


def raw_formulas(response):
    """The cells a spreadsheet program would run, and how many payloads arrived (inert)."""
    raw, carried = [], 0
    for value, is_formula, marked_as_text in cells(response):
        text = str(value)
        starts_like_a_formula = text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text)
        if is_formula or (isinstance(value, str) and starts_like_a_formula and not marked_as_text):
            raw.append(repr(text[:40]))
        carried += (text.startswith("'") and text[1:] in PAYLOADS) or (marked_as_text and text in PAYLOADS)
    return raw, carried


def downloads(data):
    """[(key, url)] of every downloadable file: the file routes of the urlconf, then the export of every
    list page that offers one (ocrm.lists.views.ScopedListView)."""
    client = data.clients["superuser"]
    found = []
    for route in all_routes():
        if route.is_admin:
            continue
        for variant in variants_for(route, data)[:1]:
            response = client.get(variant.url)
            if response.status_code == 200 and response.get("Content-Type", "").startswith(FILE_TYPES):
                found.append((route.key, variant.url))
    exporting = {route.key for route in all_routes() if route.view_class and issubclass(route.view_class, ScopedListView)}
    found += [(f"{key}?export", f"{url}?export=xlsx") for key, url, _names in discover_list_pages(data) if key in exporting]
    return found


def test_every_downloadable_file_arrives_with_the_payloads_inert(world):
    client = world.clients["superuser"]
    files = downloads(world)
    keys = {key for key, _url in files}
    # The walk finds the files of every kind: reports, templates, a background export, list exports.
    assert {"sysadmin:import_template", "customers:batch_template", "export_download"} <= keys, keys
    problems, carriers = [], set()
    for key, url in files:
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith(FILE_TYPES):
            problems.append(f"{key}: {url} answered {response.status_code} {response.get('Content-Type')}")
            continue
        raw, carried = raw_formulas(response)
        if raw:
            problems.append(f"{key}: {len(raw)} cell(s) that would run: {', '.join(raw[:6])}")
        if carried:
            carriers.add(key)
    assert not problems, "\n".join(problems)
    # The test is not blind: the payloads reached these files, and arrived inert.
    assert carriers >= MUST_CARRY, f"the payloads did not reach: {sorted(MUST_CARRY - carriers)}"


def test_the_feed_error_report_csv_carries_every_payload_inert(world):
    """The file of the finding: each payload in the value and reason columns, with one apostrophe."""
    response = world.clients["superuser"].get(f"/customers/feeds/{world.a.feed_load.pk}/errors.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"), newline="")))
    planted = [row for row in rows if row[0] == "3"]
    assert [row[2] for row in planted] == ["'" + payload for payload in PAYLOADS]
    assert [row[3] for row in planted] == ["'" + payload for payload in PAYLOADS]
