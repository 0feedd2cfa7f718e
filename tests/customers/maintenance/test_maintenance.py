"""Customer batch maintenance: staging, preview, apply (all or nothing), error report, scope.

Every bad-input case checks the reason (row and column where there are any) and that no
customer data was written."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from customers.maintenance import services as service
from customers.maintenance.models import MaintenanceBatch, MaintenanceRow
from customers.master.models import ContactPoint, Customer, CustomerTag, RetailProfile, Tag
from ocrm import pii
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.errors import NotVisible
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_customer, make_staff
from tests.support.waiting import wait_for
from tests.sysadmin.imports.test_imports import zip_bomb_xlsx

pytestmark = pytest.mark.django_db

HEADER = [
    "customer_number",
    "add_tags",
    "remove_tags",
    "mobile",
    "email",
    "occupation",
    "income_band",
    "risk_level",
    "do_not_sms",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def data(org):
    """Customers of the supervisor's subtree (A-SH), one outside it (A-BJ), one of bank B; two tags."""
    c1 = make_customer("C001", org.a_sh, org.manager)
    c2 = make_customer("C002", org.a_sh_sub, org.manager_sub, name_local="李娜", name_latin="Li Na")
    corp = make_customer("C003", org.a_sh, org.manager, name_local="甲公司", name_latin="Jia Co", kind="corporate")
    bj = make_customer("C900", org.a_bj, org.manager_bj)
    other_bank = make_customer("B001", org.b_hk, org.b_manager)
    vip, old = Tag.objects.create(bank=org.bank_a, name="VIP"), Tag.objects.create(bank=org.bank_a, name="旧客户")
    Tag.objects.create(bank=org.bank_b, name="B-only")
    CustomerTag.objects.create(customer=c1, tag=old)
    ContactPoint.objects.create(bank_id=c1.bank_id, customer=c1, kind="mobile", value="+8613800138000", is_primary=True)
    return type(
        "Data",
        (),
        {
            "org": org,
            "c1": c1,
            "c2": c2,
            "corp": corp,
            "bj": bj,
            "other_bank": other_bank,
            "vip": vip,
            "old": old,
            "user": org.supervisor,
        },
    )


def xlsx(rows, title="customers"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stage(user, content, name="changes.xlsx"):
    return service.stage_file(SimpleUploadedFile(name, content), user)


def customer_state():
    """Everything batch maintenance may write, to prove that nothing was."""
    return (
        list(
            Customer.objects.order_by("pk").values_list(
                "pk", "risk_level", "do_not_contact", "do_not_sms", "do_not_email", "updated_at"
            )
        ),
        list(
            RetailProfile.objects.order_by("pk").values_list(
                "pk", "occupation", "employer", "income_band", "education", "marital_status", "interests", "hobbies"
            )
        ),
        list(ContactPoint.objects.order_by("pk").values_list("pk", "kind", "value", "is_primary")),
        list(CustomerTag.objects.order_by("pk").values_list("customer_id", "tag_id")),
    )


def errors_of(batch):
    return {(row.row_number, e["field"]): e["message"] for row in batch.rows.all() for e in row.errors}


def assert_rejected(batch, *fragments):
    assert batch.status == MaintenanceBatch.Status.REJECTED
    for fragment in fragments:
        assert fragment in batch.error, batch.error
    assert not MaintenanceRow.objects.filter(batch=batch).exists()
    with pytest.raises(service.ApplyError, match="rejected"):
        service.apply_batch(batch, batch.uploaded_by)


def assert_refused(batch, user, before):
    """Apply is refused while any row is invalid, and nothing is written."""
    assert not batch.can_apply
    with pytest.raises(service.ApplyError, match="row"):
        service.apply_batch(batch, user)
    assert customer_state() == before
    batch.refresh_from_db()
    assert batch.status == MaintenanceBatch.Status.VALIDATED


# --- the happy path -----------------------------------------------------------------------------------


def test_good_file_previews_then_applies_exactly(data):
    before = customer_state()
    audit_before = AuditLog.objects.count()
    batch = stage(
        data.user,
        xlsx(
            [
                HEADER,
                ["C001", "VIP", "旧客户", "13900139000", "", "Engineer", "high", "R3", "是"],
                ["C002", "VIP、旧客户", "", "", "Li.Na@Example.com", "", "", "", ""],
            ]
        ),
    )
    assert batch.status == MaintenanceBatch.Status.VALIDATED and batch.invalid_rows == 0, errors_of(batch)
    assert customer_state() == before  # staging writes no customer data
    rows = {row.customer_number: row.changes for row in batch.rows.all()}
    mobile = rows["C001"].pop("mobile")
    assert rows["C001"] == {
        "risk_level": ["", "R3"],
        "do_not_sms": [False, True],
        "occupation": ["", "Engineer"],
        "income_band": ["", "high"],
        "tags": [["旧客户"], ["VIP"]],
    }
    assert mobile == [pii.mask_phone("+8613800138000"), pii.mask_phone("+8613900139000")]
    assert "13900139000" not in str(mobile) and "13800138000" not in str(mobile)  # the preview is masked
    email = rows["C002"].pop("email")
    assert email[0] is None and "li.na@example.com" not in email[1]
    assert rows["C002"] == {"tags": [[], ["VIP", "旧客户"]]}
    assert batch.changed_rows == 2 and batch.can_apply

    service.apply_batch(batch, data.user)
    batch.refresh_from_db()
    assert batch.status == MaintenanceBatch.Status.APPLIED and batch.applied_by == data.user
    c1 = Customer.objects.get(pk=data.c1.pk)
    assert (c1.risk_level, c1.do_not_sms, c1.do_not_contact) == ("R3", True, False)
    assert RetailProfile.objects.get(customer=c1).occupation == "Engineer"
    assert RetailProfile.objects.get(customer=c1).income_band == "high"
    assert list(ContactPoint.objects.filter(customer=c1, kind="mobile").values_list("value", "is_primary")) == [
        ("+8613900139000", True)
    ]
    assert set(c1.tags.values_list("name", flat=True)) == {"VIP"}
    assert set(data.c2.tags.values_list("name", flat=True)) == {"VIP", "旧客户"}
    assert ContactPoint.objects.get(customer=data.c2, kind="email").value == "li.na@example.com"
    # Untouched: the other customers.
    assert Customer.objects.get(pk=data.bj.pk).risk_level == ""
    # Audited: one summary entry, the row changes by the safety net, the tags explicitly.
    entries = AuditLog.objects.filter(pk__gt=0).order_by("pk")[audit_before:]
    summary = [e for e in entries if e.object_type == "customers.maintenancebatch" and e.detail.get("step") == "applied"]
    assert len(summary) == 1 and summary[0].detail["changed"] == 2
    tag_entries = [e for e in entries if "tags" in e.changes]
    assert {e.object_id: e.changes["tags"] for e in tag_entries} == {
        str(data.c1.pk): [["旧客户"], ["VIP"]],
        str(data.c2.pk): [[], ["VIP", "旧客户"]],
    }
    assert any(e.object_type == "customers.customer" and e.changes.get("risk_level") == ["", "R3"] for e in entries)
    assert all(e.actor_id == data.user.pk for e in entries)


def test_reapplying_the_same_file_changes_nothing(data):
    content = xlsx([HEADER, ["C001", "VIP", "旧客户", "13900139000", "", "Engineer", "high", "R3", "true"]])
    service.apply_batch(stage(data.user, content), data.user)
    before, audit_before = customer_state(), AuditLog.objects.count()
    again = stage(data.user, content)
    assert again.invalid_rows == 0 and again.changed_rows == 0 and again.unchanged_rows == 1
    assert again.rows.get().changes == {}
    service.apply_batch(again, data.user)
    service.apply_batch(again, data.user)  # an applied batch applied again: nothing either
    assert customer_state() == before  # updated_at included: no row was saved
    new_entries = AuditLog.objects.order_by("pk")[audit_before:]
    assert [e.object_type for e in new_entries] == ["customers.maintenancebatch"] * 2  # staged + applied summaries


def test_chinese_headers_and_labels_are_accepted(data):
    batch = stage(
        data.user, xlsx([["客户号", "添加标签", "学历", "婚姻状况", "禁止联系"], ["C001", "VIP", "master", "Married", "否"]])
    )
    assert batch.invalid_rows == 0, errors_of(batch)
    assert batch.rows.get().changes == {
        "education": ["", "master"],
        "marital_status": ["", "married"],
        "tags": [["旧客户"], ["VIP", "旧客户"]],
    }


# --- bad rows: every error names the row and the column; apply is refused, nothing written ---------------


def test_unknown_customer_and_other_banks_customer(data):
    before = customer_state()
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2"], ["NOPE", "R2"], ["B001", "R2"]]))
    errors = errors_of(batch)
    assert "no customer with the number NOPE" in errors[(3, "customer_number")]
    assert "no customer with the number B001" in errors[(4, "customer_number")]  # another bank's is unknown here
    assert batch.invalid_rows == 2 and batch.valid_rows == 1
    assert_refused(batch, data.user, before)


def test_customer_outside_the_uploaders_scope(data):
    before = customer_state()
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C900", "R2"]]))
    assert "outside your data scope" in errors_of(batch)[(2, "customer_number")]
    assert_refused(batch, data.user, before)


def test_duplicate_customer_rows_are_both_flagged(data):
    before = customer_state()
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2"], ["C002", "R1"], ["C001", "R3"]]))
    errors = errors_of(batch)
    assert "rows 2, 4" in errors[(2, "customer_number")] and "rows 2, 4" in errors[(4, "customer_number")]
    assert (3, "customer_number") not in errors
    assert_refused(batch, data.user, before)


@pytest.mark.parametrize(
    "column,value,fragment",
    [
        ("mobile", "12345", "not a valid phone number"),
        ("mobile", "+862161234567", "not a mobile number"),
        ("email", "not-an-address", "not a valid e-mail address"),
        ("income_band", "rich", "is not one of: low, middle, high, very_high"),
        ("risk_level", "R9", "is not one of: R1"),
        ("do_not_sms", "maybe", "not a yes/no value"),
        ("add_tags", "VIP, Nonexistent", "Unknown tag(s): Nonexistent"),
        ("add_tags", "B-only", "Unknown tag(s): B-only"),  # another bank's tag
        ("occupation", "x" * 101, "At most 100 characters"),
    ],
)
def test_bad_values(data, column, value, fragment):
    before = customer_state()
    batch = stage(data.user, xlsx([["customer_number", "hobbies", column], ["C002", "Golf", ""], ["C001", "Golf", value]]))
    errors = errors_of(batch)
    assert list(errors) == [(3, column)], errors
    assert fragment in errors[(3, column)]
    assert_refused(batch, data.user, before)


def test_tag_added_and_removed_in_one_row_and_profile_field_of_a_corporate(data):
    before = customer_state()
    batch = stage(
        data.user,
        xlsx(
            [
                ["customer_number", "add_tags", "remove_tags", "occupation"],
                ["C001", "VIP", "VIP", ""],
                ["C003", "", "", "Engineer"],
            ]
        ),
    )
    errors = errors_of(batch)
    assert "both added and removed" in errors[(2, "remove_tags")]
    assert "corporate customer" in errors[(3, "occupation")]
    assert_refused(batch, data.user, before)


def test_a_row_that_became_invalid_after_upload_blocks_the_apply(data):
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2"], ["C002", "R2"]]))
    assert batch.can_apply
    Customer.objects.filter(pk=data.c2.pk).update(branch=data.org.a_bj)  # moved out of the uploader's subtree
    before = customer_state()
    with pytest.raises(service.ApplyError, match="became invalid"):
        service.apply_batch(batch, data.user)
    assert customer_state() == before  # C001 was not written either
    batch.refresh_from_db()
    assert batch.status == MaintenanceBatch.Status.VALIDATED and batch.invalid_rows == 1
    assert "outside your data scope" in errors_of(batch)[(3, "customer_number")]


# --- bad files: rejected as a whole, nothing staged, nothing written ----------------------------------------


def test_unknown_column_is_named_with_its_letter(data):
    before = customer_state()
    batch = stage(data.user, xlsx([["customer_number", "risk_level", "salary"], ["C001", "R2", "1000"]]))
    assert_rejected(batch, "Unknown columns: C: salary")
    assert customer_state() == before


def test_wrong_sheet_is_rejected(data):
    before = customer_state()
    # The first worksheet is an organisation file, not a maintenance sheet.
    batch = stage(data.user, xlsx([["code", "level", "country"], ["A-X", "branch", "CN"]], title="branches"))
    assert_rejected(batch, "Unknown columns: A: code; B: level; C: country", "customer_number (客户号)")
    assert "birth_date" not in batch.error  # the list of columns offers only what a file may hold
    assert customer_state() == before


def test_missing_key_column_is_rejected(data):
    batch = stage(data.user, xlsx([["risk_level"], ["R2"]]))
    assert_rejected(batch, "Required columns are missing: customer_number (客户号)")


def test_value_in_a_column_without_header_names_row_and_column(data):
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2", "stray"]]))
    assert_rejected(batch, "Row 2 has a value in column C")


def test_checker_field_column_refuses_the_whole_file(data):
    before = customer_state()
    batch = stage(data.user, xlsx([["customer_number", "出生日期", "risk_level"], ["C001", "1990-01-01", "R2"]]))
    assert_rejected(batch, "birth_date (出生日期)", "customers.checker_fields")
    # A bank that puts risk_level under maker-checker refuses that column too.
    SystemParameter.objects.create(
        bank=data.org.bank_a, key="customers.checker_fields", value_type="json", value='["risk_level"]'
    )
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2"]]))
    assert_rejected(batch, "risk_level (风险等级)", "checker")
    assert customer_state() == before


def test_huge_file_is_rejected_and_not_stored(data):
    SystemParameter.objects.create(bank=data.org.bank_a, key="import.max_upload_bytes", value_type="int", value="1000")
    batch = stage(data.user, xlsx([["customer_number", "risk_level"]] + [[f"C{i:05d}", "R2"] for i in range(300)]))
    assert_rejected(batch, "the largest file accepted is")
    assert not batch.file


def test_too_many_rows_is_rejected(data):
    SystemParameter.objects.create(bank=data.org.bank_a, key="import.max_rows", value_type="int", value="2")
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2"], ["C002", "R2"], ["C003", "R2"]]))
    assert_rejected(batch, "more than 2 data rows")


def test_zip_bomb_is_rejected_before_it_expands(data):
    before = customer_state()
    batch = stage(data.user, zip_bomb_xlsx(50 * 1024 * 1024), name="bomb.xlsx")
    assert_rejected(batch, "zip bomb")
    assert customer_state() == before


def test_not_a_spreadsheet_is_rejected(data):
    batch = stage(data.user, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, name="changes.xlsx")
    assert_rejected(batch, "PNG image")


# --- pages ------------------------------------------------------------------------------------------------------


def test_pages_upload_preview_apply_and_error_report(data, client, django_assert_max_num_queries):
    client.force_login(data.user)
    assert client.get(reverse("customers:batch_list")).status_code == 200
    template = client.get(reverse("customers:batch_template"))
    header = [c.value for c in next(load_workbook(io.BytesIO(b"".join(template.streaming_content))).active.rows)]
    assert header[0] == "customer_number" and "add_tags" in header and "birth_date" not in header
    response = client.post(
        reverse("customers:batch_upload"),
        {"file": SimpleUploadedFile("c.xlsx", xlsx([["customer_number", "risk_level"], ["C001", "R4"]]))},
    )
    batch = MaintenanceBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customers:batch_detail", args=[batch.pk])
    with django_assert_max_num_queries(15):
        page = client.get(reverse("customers:batch_detail", args=[batch.pk])).content.decode()
    assert 'id="batch-apply"' in page and "R4" in page
    client.post(reverse("customers:batch_apply", args=[batch.pk]))
    assert Customer.objects.get(pk=data.c1.pk).risk_level == "R4"

    client.post(
        reverse("customers:batch_upload"),
        {"file": SimpleUploadedFile("bad.xlsx", xlsx([["customer_number", "risk_level"], ["C001", "R2"], ["X", "R9"]]))},
    )
    bad = MaintenanceBatch.objects.order_by("-pk").first()
    page = client.get(reverse("customers:batch_detail", args=[bad.pk])).content.decode()
    assert 'id="batch-apply"' not in page and 'data-row="3" data-field="risk_level"' in page
    assert client.post(reverse("customers:batch_apply", args=[bad.pk])).status_code == 302
    assert Customer.objects.get(pk=data.c1.pk).risk_level == "R4"  # refused: C001's R2 was not written
    report = client.get(reverse("customers:batch_errors", args=[bad.pk]))
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.rows]
    assert len(rows[0]) == 4  # row, column, value, reason (in the user's language)
    assert sorted(tuple(row[:3]) for row in rows[1:]) == [(3, "customer_number", "X"), (3, "risk_level", "R9")]
    assert all(row[3] for row in rows[1:])
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, object_type="customers.maintenancebatch").exists()


def test_other_banks_and_out_of_scope_batches_are_404(data, client):
    batch = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R2"]]))
    sup_bj = make_staff("a.sup.bj", branch=data.org.a_bj, roles=["branch_supervisor"])
    for user in (data.org.b_supervisor, sup_bj):
        client.force_login(user)
        for name in ("customers:batch_detail", "customers:batch_errors"):
            assert client.get(reverse(name, args=[batch.pk])).status_code == 404, (user, name)
        assert client.post(reverse("customers:batch_apply", args=[batch.pk])).status_code == 404
        with pytest.raises(NotVisible):
            service.apply_batch(batch, user)
    assert Customer.objects.get(pk=data.c1.pk).risk_level == ""
    client.force_login(data.org.manager)  # no maintain_batch permission
    assert client.get(reverse("customers:batch_list")).status_code == 403
    assert client.get(reverse("customers:batch_detail", args=[batch.pk])).status_code == 403
    # A bank-wide user of the same bank is in scope.
    assert MaintenanceBatch.objects.visible_to(data.org.auditor).filter(pk=batch.pk).exists()


# --- large files: applied by a worker ------------------------------------------------------------------


def wait_for_run(run_id, seconds=90):
    return wait_for(
        lambda: JobRun.objects.exclude(status__in=(JobRun.Status.QUEUED, JobRun.Status.RUNNING)).filter(pk=run_id).first(),
        f"job run {run_id} to finish",
        timeout=seconds,
    )


def test_a_large_file_is_applied_by_a_worker_and_the_page_follows_it(data, celery_worker_factory, client):
    SystemParameter.objects.create(bank=data.org.bank_a, key="customers.batch_sync_apply_max_rows", value_type="int", value="1")
    good = stage(data.user, xlsx([["customer_number", "risk_level", "add_tags"], ["C001", "R4", "VIP"], ["C003", "R5", ""]]))
    stale = stage(data.user, xlsx([["customer_number", "risk_level"], ["C001", "R1"], ["C002", "R1"]]))
    client.force_login(data.user)
    client.cookies["django_language"] = "en"
    detail = reverse("customers:batch_detail", args=[good.pk])
    assert "(in the background)" in client.get(detail).content.decode()

    # Queued while no worker runs: the page says so, offers no second Apply, and nothing is written yet.
    html = client.post(reverse("customers:batch_apply", args=[good.pk]), follow=True).content.decode()
    assert "being applied in the background" in html and 'id="batch-applying"' in html and 'id="batch-apply"' not in html
    assert 'http-equiv="refresh"' in html
    client.post(reverse("customers:batch_apply", args=[good.pk]))  # a second click queues nothing more
    assert JobRun.objects.filter(job=service.APPLY_JOB).count() == 1
    client.post(reverse("customers:batch_apply", args=[stale.pk]))
    # C002 leaves the uploader's scope after the check: the worker's re-check must refuse the whole stale file.
    Customer.objects.filter(pk=data.c2.pk).update(branch=data.org.a_bj)
    assert Customer.objects.get(pk=data.c1.pk).risk_level == ""

    celery_worker_factory()
    good_run = wait_for_run(service.latest_apply_run(good).pk)
    stale_run = wait_for_run(service.latest_apply_run(stale).pk)

    # The good file: every row written, in one transaction, by the person who pressed Apply.
    good.refresh_from_db()
    assert good.status == MaintenanceBatch.Status.APPLIED and good.applied_by == data.user, good_run.error_report
    assert Customer.objects.get(pk=data.c1.pk).risk_level == "R4" and Customer.objects.get(pk=data.corp.pk).risk_level == "R5"
    assert set(data.c1.tags.values_list("name", flat=True)) == {"旧客户", "VIP"}
    assert good_run.status == JobRun.Status.SUCCEEDED and good_run.triggered_by == data.user
    assert good_run.counts["changed"] == 2 and good_run.progress_done == good_run.progress_total == 4  # 2 checked + 2 written
    applied = AuditLog.objects.filter(object_type="customers.maintenancebatch", object_id=str(good.pk), detail__step="applied")
    assert applied.count() == 1 and applied.get().actor_id == data.user.pk
    assert AuditLog.objects.filter(
        object_type="customers.customer", object_id=str(data.c1.pk), actor=data.user, changes__risk_level=["", "R4"]
    ).exists()
    html = client.get(detail).content.decode()
    assert 'id="batch-applying"' not in html and 'id="count-changed">2<' in html and 'http-equiv="refresh"' not in html

    # The stale file: refused as a whole (C001's R1 not written either), the reason on its page.
    stale.refresh_from_db()
    assert stale_run.status == JobRun.Status.FAILED and stale.status == MaintenanceBatch.Status.VALIDATED
    assert stale.invalid_rows == 1 and Customer.objects.get(pk=data.c1.pk).risk_level == "R4"
    html = client.get(reverse("customers:batch_detail", args=[stale.pk])).content.decode()
    assert 'id="batch-apply-failed"' in html and "became invalid" in html and "outside your data scope" in html


# --- downloads arrive inert ------------------------------------------------------------------------------

FORMULA = "=1+cmd|' /C calc'!A0"


def test_the_error_report_arrives_inert_with_row_numbers_as_numbers(data, client):
    # As text in a CSV (a workbook would hold it as a formula, which the reader sees as an empty cell).
    batch = stage(data.user, f"customer_number,risk_level\n{FORMULA},R2\n".encode(), name="changes.csv")
    assert batch.invalid_rows == 1
    client.force_login(data.user)
    report = client.get(reverse("customers:batch_errors", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0]
    row, column, value, _reason = next(sheet.iter_rows(min_row=2))
    assert (row.data_type, row.value, column.value) == ("n", 2, "customer_number")
    assert (value.data_type, value.value, value.quotePrefix) == ("s", FORMULA, True)  # a string cell


def test_the_template_is_text_formatted_and_holds_only_its_header(data, client):
    client.force_login(data.user)
    workbook = load_workbook(io.BytesIO(b"".join(client.get(reverse("customers:batch_template")).streaming_content)))
    sheet = workbook.worksheets[0]
    assert sheet.max_row == 1 and all(sheet.column_dimensions[c.column_letter].number_format == "@" for c in sheet[1])
    assert [row[0].value for row in workbook.worksheets[1].iter_rows(min_row=2, max_row=3)] == ["customer_number", "add_tags"]
