"""Adding to a customer from the 360° page: notes, service contacts, documents, relationships,
tags. Scope (404 for another manager's customer, nothing written), validation naming the
field, uploads judged by content and size with nothing written when refused, audit entries."""

import datetime
import zoneinfo
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from customers.master import models as cm
from ocrm import parameters as ocrm_parameters
from ocrm.audit.models import AuditLog
from sysadmin.parameters.models import SystemParameter
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 40


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return Path(tmp_path)


@pytest.fixture
def customers(org):
    mine = make_customer("C100", org.a_sh, org.manager, name_local="王伟东")
    partner = make_customer("C101", org.a_sh, org.manager, name_local="李娜", name_latin="Li Na")
    foreign = make_customer("C200", org.a_bj, org.manager_bj, name_local="赵敏")  # another manager's customer
    return mine, partner, foreign


def client_for(user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def url(name, customer, *args):
    return reverse(f"customers:{name}", args=[customer.number, *args])


def files_in(media):
    return sorted(p for p in media.rglob("*") if p.is_file())


def entries(actor, object_type, action=None):
    qs = AuditLog.objects.filter(actor=actor, object_type=object_type)
    return qs.filter(action=action) if action else qs


# --- scope -----------------------------------------------------------------------------------------


def test_another_managers_customer_is_404_on_every_route_and_nothing_written(org, customers, media):
    mine, partner, foreign = customers
    relationship = cm.Relationship.objects.create(
        bank_id=foreign.bank_id, from_customer=foreign, to_customer=mine, kind="sibling"
    )
    tag = cm.Tag.objects.create(bank=org.bank_a, name="VIP")
    cm.CustomerTag.objects.create(customer=foreign, tag=tag)
    client, other_bank = client_for(org.manager), client_for(org.b_manager)
    posts = {
        "note_add": {"text": "hello"},
        "contact_log": {"channel": "phone", "role": "manager", "occurred_at": "2026-01-05T09:30", "subject": "x"},
        "document_upload": {"doc_type": "contract", "file": SimpleUploadedFile("a.pdf", PDF)},
        "relationship_add": {"kind": "spouse", "other_number": mine.number},
        "tag_add": {"name": "VIP"},
    }
    audit_before = AuditLog.objects.count()
    for name, data in posts.items():
        assert client.get(url(name, foreign)).status_code == 404, name
        assert client.post(url(name, foreign), data).status_code == 404, name
    assert client.post(url("relationship_remove", foreign, relationship.pk)).status_code == 404
    assert client.post(url("tag_remove", foreign, tag.pk)).status_code == 404
    # Another bank's manager, too.
    assert other_bank.post(url("note_add", mine), {"text": "x"}).status_code == 404
    assert not cm.CustomerNote.objects.exists() and not cm.ServiceContact.objects.exists()
    assert not cm.CustomerDocument.objects.exists() and files_in(media) == []
    assert cm.Relationship.objects.count() == 1 and cm.CustomerTag.objects.count() == 1
    assert AuditLog.objects.count() == audit_before


def test_a_user_without_the_add_permission_is_refused(org, customers):
    mine, _partner, _foreign = customers
    client = client_for(org.auditor)  # reads every customer of the bank, changes nothing
    assert client.get(url("detail", mine)).status_code == 200
    for name in ("note_add", "contact_log", "document_upload", "relationship_add", "tag_add"):
        assert client.post(url(name, mine), {}).status_code == 403, name
    html = client.get(url("detail", mine)).content.decode()
    assert 'id="note-add-form"' not in html and 'id="contact-log"' not in html and 'id="tags-manage"' not in html


def test_the_360_page_offers_the_actions(org, customers):
    mine, _partner, _foreign = customers
    html = client_for(org.manager).get(url("detail", mine)).content.decode()
    for marker, name in (
        ("note-add-form", "note_add"),
        ("contact-log", "contact_log"),
        ("document-upload", "document_upload"),
        ("relationship-manage", "relationship_add"),
        ("tags-manage", "tag_add"),
    ):
        assert f'id="{marker}"' in html, marker
        assert url(name, mine) in html, name


# --- notes and service contacts -------------------------------------------------------------------------


def test_note_added_and_audited(org, customers):
    mine, _partner, _foreign = customers
    client = client_for(org.manager)
    response = client.post(url("note_add", mine), {"text": "  Prefers calls after 6 pm  "})
    assert response.status_code == 302 and response["Location"].endswith("#section-notes")
    note = cm.CustomerNote.objects.get(customer=mine)
    assert note.text == "Prefers calls after 6 pm" and note.author == org.manager and note.bank_id == mine.bank_id
    assert entries(org.manager, "customers.customernote", AuditLog.Action.CREATE).filter(object_id=str(note.pk)).exists()
    # The notes section is deferred: the page loads its rows from customers:section.
    assert "customers/sections/deferred.html" in [t.name for t in client.get(url("detail", mine)).templates]
    assert "Prefers calls after 6 pm" in client.get(url("section", mine, "notes")).content.decode()

    response = client.post(url("note_add", mine), {"text": "   "})
    assert response.status_code == 200 and cm.CustomerNote.objects.count() == 1
    assert response.context["form"].errors["text"]


def test_contact_logged_in_the_users_time_zone(org, customers):
    mine, _partner, _foreign = customers
    client = client_for(org.manager)  # works at a Shanghai branch
    response = client.post(
        url("contact_log", mine),
        {
            "channel": "visit",
            "role": "manager",
            "occurred_at": "2026-01-05T09:30",
            "subject": "Annual review",
            "outcome": "Interested in a time deposit",
            "notes": "Brings documents next week",
            "next_action": "Send the offer",
            "next_action_date": "2026-01-12",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    contact = cm.ServiceContact.objects.get(customer=mine)
    assert contact.occurred_at == datetime.datetime(2026, 1, 5, 9, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert contact.occurred_at == datetime.datetime(2026, 1, 5, 1, 30, tzinfo=datetime.UTC)
    assert contact.staff == org.manager and contact.next_action_date == datetime.date(2026, 1, 12)
    assert entries(org.manager, "customers.servicecontact", AuditLog.Action.CREATE).count() == 1
    html = client.get(url("section", mine, "service_contacts")).content.decode()  # the 360 page's deferred section
    assert "Annual review" in html and "2026-01-05 09:30" in html  # shown back in the user's zone


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"next_action": "", "next_action_date": "2026-01-12"}, "next_action"),
        ({"next_action": "Call back", "next_action_date": "2026-01-01"}, "next_action_date"),
        ({"occurred_at": "2099-01-01T10:00"}, "occurred_at"),
        ({"channel": "telepathy"}, "channel"),
        ({"subject": ""}, "subject"),
    ],
)
def test_contact_log_bad_input_names_the_field(org, customers, changes, field):
    mine, _partner, _foreign = customers
    data = {"channel": "phone", "role": "manager", "occurred_at": "2026-01-05T09:30", "subject": "Call", **changes}
    response = client_for(org.manager).post(url("contact_log", mine), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not cm.ServiceContact.objects.exists()


# --- documents -------------------------------------------------------------------------------------------


def upload(client, customer, name, content, doc_type="contract"):
    return client.post(
        url("document_upload", customer),
        {
            "doc_type": doc_type,
            "description": "signed",
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
    )


def test_pdf_upload_stored_and_audited(org, customers, media):
    mine, _partner, _foreign = customers
    client = client_for(org.manager)
    response = upload(client, mine, "Contract 王伟东.pdf", PDF)
    assert response.status_code == 302 and response["Location"].endswith("#section-documents")
    document = cm.CustomerDocument.objects.get(customer=mine)
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert document.original_name == "Contract 王伟东.pdf" and document.uploaded_by == org.manager
    # Stored through Django storage under customers.master.models.document_path: no name, no PII.
    assert document.file.name.startswith(f"customer-documents/{mine.bank_id}/") and document.file.name.endswith(".pdf")
    assert "王" not in document.file.name and (media / document.file.name).read_bytes() == PDF
    assert entries(org.manager, "customers.customerdocument", AuditLog.Action.CREATE).count() == 1
    # And it opens through the audited document view.
    assert client.get(url("document", mine, document.pk)).status_code == 200


def test_png_named_pdf_is_stored_as_png(org, customers, media):
    mine, _partner, _foreign = customers
    assert upload(client_for(org.manager), mine, "scan.pdf", PNG, doc_type="id_scan").status_code == 302
    document = cm.CustomerDocument.objects.get(customer=mine)
    assert document.content_type == "image/png" and document.file.name.endswith(".png")


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("invoice.pdf", EXE, "is not a PDF, JPEG or PNG file"),
        ("empty.pdf", b"", "empty"),
        ("notes.txt", b"plain text that claims nothing", "is not a PDF, JPEG or PNG file"),
    ],
)
def test_bad_upload_rejected_with_nothing_written(org, customers, media, name, content, message):
    mine, _partner, _foreign = customers
    client = client_for(org.manager)
    audit_before = AuditLog.objects.count()
    response = upload(client, mine, name, content)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not cm.CustomerDocument.objects.exists() and files_in(media) == []
    assert AuditLog.objects.count() == audit_before


def test_oversize_upload_rejected_by_the_banks_parameter(org, customers, media):
    mine, _partner, _foreign = customers
    SystemParameter.objects.create(bank=org.bank_a, key="customers.document_max_bytes", value_type="int", value="100")
    client = client_for(org.manager)
    response = upload(client, mine, "big.pdf", PDF + b"0" * 200)
    assert response.status_code == 200
    assert "at most 100 bytes" in " ".join(response.context["form"].errors["file"])
    assert not cm.CustomerDocument.objects.exists() and files_in(media) == []
    assert upload(client, mine, "small.pdf", PDF).status_code == 302  # under the limit: fine


def test_default_document_limit_is_ten_megabytes(org):
    assert ocrm_parameters.get("customers.document_max_bytes", org.bank_a) == 10 * 1024 * 1024


# --- relationships ----------------------------------------------------------------------------------------


def test_relationship_added_removed_and_audited(org, customers):
    mine, partner, _foreign = customers
    client = client_for(org.manager)
    response = client.post(
        url("relationship_add", mine), {"kind": "shareholder", "other_number": partner.number, "share_percent": "25.5"}
    )
    assert response.status_code == 302
    relationship = cm.Relationship.objects.get(from_customer=mine, to_customer=partner)
    assert relationship.share_percent == 25.5 and relationship.bank_id == mine.bank_id
    assert entries(org.manager, "customers.relationship", AuditLog.Action.CREATE).count() == 1
    # Both directions are shown.
    assert "Has shareholder" in client.get(url("section", partner, "relationships")).content.decode()
    page = client.get(url("relationship_add", mine)).content.decode()
    assert url("relationship_remove", mine, relationship.pk) in page

    response = client.post(url("relationship_remove", mine, relationship.pk), {"next": "manage"})
    assert response.status_code == 302 and response["Location"] == url("relationship_add", mine)
    assert not cm.Relationship.objects.exists()
    assert entries(org.manager, "customers.relationship", AuditLog.Action.DELETE).count() == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "spouse", "other_number": "C100"}, "other_number"),  # self
        ({"kind": "spouse", "other_number": "C200"}, "other_number"),  # another manager's customer
        ({"kind": "spouse", "other_number": "NOPE"}, "other_number"),
        ({"kind": "shareholder", "other_number": "C101", "share_percent": "150"}, "share_percent"),
        ({"kind": "shareholder", "other_number": "C101", "share_percent": "-1"}, "share_percent"),
        ({"kind": "spouse", "other_number": "C101", "share_percent": "10"}, "share_percent"),
        ({"kind": "enemy", "other_number": "C101"}, "kind"),
    ],
)
def test_relationship_bad_input(org, customers, data, field):
    mine, _partner, _foreign = customers
    response = client_for(org.manager).post(url("relationship_add", mine), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not cm.Relationship.objects.exists()


def test_relationship_to_a_customer_outside_the_scope_cannot_be_removed(org, customers):
    mine, _partner, foreign = customers
    relationship = cm.Relationship.objects.create(bank_id=mine.bank_id, from_customer=mine, to_customer=foreign, kind="sibling")
    assert client_for(org.manager).post(url("relationship_remove", mine, relationship.pk)).status_code == 404
    assert cm.Relationship.objects.filter(pk=relationship.pk).exists()


# --- tags ---------------------------------------------------------------------------------------------------


def test_tags_added_removed_and_audited(org, customers):
    mine, _partner, _foreign = customers
    existing = cm.Tag.objects.create(bank=org.bank_a, name="VIP", colour="warning")
    client = client_for(org.manager)
    assert client.post(url("tag_add", mine), {"name": "VIP"}).status_code == 302
    assert client.post(url("tag_add", mine), {"name": "Golf"}).status_code == 302  # a new tag of the bank
    assert set(mine.tags.values_list("name", flat=True)) == {"VIP", "Golf"}
    assert cm.Tag.objects.get(name="Golf").bank_id == org.bank_a.pk
    updates = AuditLog.objects.filter(
        actor=org.manager, object_type="customers.customer", object_id=str(mine.pk), action=AuditLog.Action.UPDATE
    ).order_by("pk")
    assert [e.changes["tags"] for e in updates] == [[[], ["VIP"]], [["VIP"], ["Golf", "VIP"]]]

    response = client.post(url("tag_add", mine), {"name": "VIP"})
    assert response.status_code == 200 and "already has the tag" in str(response.context["form"].errors["name"])

    assert client.post(url("tag_remove", mine, existing.pk)).status_code == 302
    assert list(mine.tags.values_list("name", flat=True)) == ["Golf"]
    assert updates.all().count() == 3 and updates.all().last().detail["event"] == "tag_removed"
    assert client.post(url("tag_remove", mine, existing.pk)).status_code == 404  # not on the customer any more


def test_another_banks_tag_cannot_be_removed_through_a_customer(org, customers):
    mine, _partner, _foreign = customers
    b_tag = cm.Tag.objects.create(bank=org.bank_b, name="B-VIP")
    assert client_for(org.manager).post(url("tag_remove", mine, b_tag.pk)).status_code == 404
