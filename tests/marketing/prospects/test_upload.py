"""Prospect upload (XLSX/CSV): every bad row named by row and field, nothing kept unless every
row is good (the ECIF duplicate check per row, set-based over the file), the page, its scope."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from customers.master.models import ContactPoint, IdentityDocument
from marketing.prospects import services
from marketing.prospects.models import Prospect
from sysadmin.org.models import Staff
from sysadmin.parameters.models import SystemParameter
from tests.customers.test_chinese_pages import ALLOWED, findings, interface_words, untranslated  # noqa: F401
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

RESIDENT_ID = "110101199003074477"


@pytest.fixture(autouse=True)
def _english(english_staff):
    """Messages read in English."""


def sheet(rows, header=("name", "phone", "email", "id_type", "id_number", "source", "notes")):
    book = Workbook()
    ws = book.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_good_file_creates_every_prospect(org):
    content = sheet(
        [
            ("李娜", "13900001111", "", "", "", "referral", "met at the fair"),
            ("Anna Smith", "", "anna@example.com", "", "", "event", ""),
            ("赵敏", "", "", "resident_id", RESIDENT_ID, "", ""),
        ]
    )
    prospects = services.upload(content, owner=org.manager)
    assert len(prospects) == 3
    assert set(Prospect.objects.filter(owner=org.manager).values_list("name", flat=True)) == {"李娜", "Anna Smith", "赵敏"}
    zhao = Prospect.objects.get(name="赵敏")
    assert zhao.clear_id_number() == RESIDENT_ID and zhao.source == "other"


def test_chinese_column_names_are_read(org):
    content = sheet([("李娜", "13900001111")], header=("姓名", "手机号码"))
    assert len(services.upload(content, owner=org.manager)) == 1


def test_every_bad_row_is_named_and_nothing_is_kept(org):
    content = sheet(
        [
            ("李娜", "13900001111", "", "", "", "", ""),  # row 2: good
            ("", "13900002222", "", "", "", "", ""),  # row 3: no name
            ("王五", "", "not-an-email", "", "", "", ""),  # row 4: bad e-mail
            ("赵六", "", "", "passport_x", "E123", "", ""),  # row 5: unknown document type
            ("孙七", "", "", "", "", "", ""),  # row 6: no way to reach
            ("周八", "", "", "", "", "walk_in", ""),  # row 7: no way to reach
        ]
    )
    with pytest.raises(ValidationError) as refused:
        services.upload(content, owner=org.manager)
    messages = refused.value.messages
    assert [m.split(",")[0] for m in messages] == ["Row 3", "Row 4", "Row 5", "Row 6", "Row 7"]
    assert "name" in messages[0] and "e-mail" in messages[1] and "identity document" in messages[2]
    assert not Prospect.objects.exists()


def test_the_same_person_twice_in_the_file_names_both_rows(org):
    content = sheet([("李娜", "13900001111"), ("李娜", "139 0000 1111")], header=("name", "phone"))
    with pytest.raises(ValidationError) as refused:
        services.upload(content, owner=org.manager)
    assert refused.value.messages == [
        "Row 2, phone: the same value as row 3.",
        "Row 3, phone: the same value as row 2.",
    ]
    assert not Prospect.objects.exists()


def test_a_likely_duplicate_of_a_customer_refuses_the_whole_file(org):
    customer = make_customer("C-UP-1", org.a_sh, org.manager, name_local="王伟")
    ContactPoint.objects.create(bank_id=org.bank_a.pk, customer=customer, kind="mobile", value="+8613812345678", is_primary=True)
    other = make_customer("C-UP-2", org.a_sh, org.manager, name_local="张三")
    document = IdentityDocument(
        bank_id=org.bank_a.pk, customer=other, doc_type="resident_id", issuing_country="CN", is_primary=True
    )
    document.set_number(RESIDENT_ID)
    document.save()
    content = sheet(
        [
            ("赵敏", "13700000000", "", "", "", "", ""),  # row 2: new person
            ("王伟", "138 1234 5678", "", "", "", "", ""),  # row 3: scored match
            ("李娜", "", "", "resident_id", RESIDENT_ID, "", ""),  # row 4: same document
        ]
    )
    with pytest.raises(ValidationError) as refused:
        services.upload(content, owner=org.manager)
    assert len(refused.value.messages) == 2
    assert refused.value.messages[0].startswith("Row 3, name:") and "C-UP-1" in refused.value.messages[0]
    assert refused.value.messages[1].startswith("Row 4, identity document") or "C-UP-2" in refused.value.messages[1]
    assert not Prospect.objects.exists()


def test_a_file_that_is_not_a_sheet_is_refused_with_the_reason(org):
    with pytest.raises(ValidationError) as refused:
        services.upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, owner=org.manager)
    assert "PNG" in refused.value.messages[0]


def test_a_missing_required_column_is_refused(org):
    with pytest.raises(ValidationError) as refused:
        services.upload(sheet([("13900001111",)], header=("phone",)), owner=org.manager)
    assert "name" in refused.value.messages[0]


def test_the_upload_page(client, org):
    client.force_login(org.manager)
    assert client.get(reverse("marketing:prospect_upload")).status_code == 200
    bad = SimpleUploadedFile("p.xlsx", sheet([("", "13900001111")], header=("name", "phone")))
    response = client.post(reverse("marketing:prospect_upload"), {"file": bad})
    assert response.status_code == 200 and "Row 2, name" in response.content.decode()
    good = SimpleUploadedFile("p.xlsx", sheet([("李娜", "13900001111")], header=("name", "phone")))
    response = client.post(reverse("marketing:prospect_upload"), {"file": good})
    assert response.status_code == 302
    assert Prospect.objects.get().owner == org.manager


def test_only_those_who_capture_prospects_may_upload(client, org):
    client.force_login(org.teller)
    assert client.get(reverse("marketing:prospect_upload")).status_code == 403


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(client, org):
    SystemParameter.objects.create(bank=org.bank_a, key="import.max_upload_bytes", value_type="int", value="1000")
    client.force_login(org.manager)
    big = SimpleUploadedFile("p.xlsx", sheet([("李娜" * 50, f"1390000{i:04d}") for i in range(200)], header=("name", "phone")))
    response = client.post(reverse("marketing:prospect_upload"), {"file": big})
    assert response.status_code == 200 and "the largest file accepted is" in response.content.decode()
    assert not Prospect.objects.exists()


def test_the_upload_page_in_chinese_shows_no_english(org, untranslated, interface_words):  # noqa: F811
    Staff.objects.filter(pk=org.manager.pk).update(language="zh-hans")
    client = Client()
    client.force_login(Staff.objects.get(pk=org.manager.pk))
    client.cookies["django_language"] = "zh-hans"
    untranslated.clear()
    response = client.get(reverse("marketing:prospect_upload"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    found = findings(response.content.decode(), interface_words) | {f"untranslated {m!r}" for m in untranslated - ALLOWED}
    assert not found
    bad = SimpleUploadedFile("p.xlsx", sheet([("", "13900001111")], header=("name", "phone")))
    page = client.post(reverse("marketing:prospect_upload"), {"file": bad}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "第 2 行，" in page
