"""Creating and editing customers: maker-checker for sensitive fields (per bank), identity
numbers never in clear, contact points normalised, scope (404) and audit."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from customers.master import services
from customers.master.forms import CustomerForm
from customers.master.models import ContactPoint, Customer, IdentityDocument
from ocrm import pii
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db


def resident_id(first17="11010519491231002"):
    """A resident ID number with its correct check digit."""
    total = sum(int(d) * w for d, w in zip(first17, pii.RESIDENT_ID_WEIGHTS, strict=True))
    return first17 + pii.RESIDENT_ID_CHECK[total % 11]


def bad_check_digit(number):
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


@pytest.fixture
def customer(org):
    return make_customer("C-EDIT-1", org.a_sh, org.manager, name_local="王伟", name_latin="Wang Wei")


def logged_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def edit_post_data(customer, actor, **overrides):
    """What the edit form posts when the person changes only `overrides`."""
    form = CustomerForm(kind=customer.kind, actor=actor, customer=customer)
    data = {"kind": customer.kind}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        data[name] = "" if value is None else str(value)
    for name, value in overrides.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def contacts_post(rows, initial=0):
    data = {
        "contacts-TOTAL_FORMS": str(len(rows)),
        "contacts-INITIAL_FORMS": str(initial),
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"contacts-{i}-{key}"] = value
    return data


# --- maker-checker ----------------------------------------------------------------------------------


def test_sensitive_change_waits_and_is_not_visible_until_approved(org, customer):
    result = services.update_customer(
        customer, {"name_local": "王伟明", "occupation": "工程师"}, org.manager, reason="Name corrected after the ID check"
    )
    assert set(result.pending) == {"name_local"} and set(result.applied) == {"occupation"}
    customer.refresh_from_db()
    assert customer.name_local == "王伟"  # pending: not in the customer data
    assert customer.retail_profile.occupation == "工程师"  # not sensitive: applied at once
    request = result.change_request
    assert request.status == ChangeRequest.Status.PENDING and request.changes == {"name_local": ["王伟", "王伟明"]}
    assert request.branch_path == org.a_sh.path and request.maker == org.manager
    org.manager.language = "en"
    org.manager.save(update_fields=["language"])
    client = Client()
    client.force_login(org.manager)
    header = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    assert "Change customer data" in header and "customer.update" not in header  # the action's label, not its code

    approvals.approve(request.pk, org.supervisor)
    customer.refresh_from_db()
    assert customer.name_local == "王伟明"
    assert "伟明" in customer.name_grams  # search keys follow the approved name
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.APPROVED and request.checker == org.supervisor
    applied = AuditLog.objects.get(
        action=AuditLog.Action.UPDATE, object_type="customers.customer", object_id=str(customer.pk), actor=org.supervisor
    )
    assert applied.changes["name_local"] == ["王伟", "王伟明"]
    assert AuditLog.objects.filter(action=AuditLog.Action.APPROVE, object_id=str(request.pk), actor=org.supervisor).exists()


def test_a_maker_cannot_approve_their_own_request(org, customer):
    result = services.update_customer(customer, {"name_latin": "Wang Weiming"}, org.supervisor)
    with pytest.raises(PermissionDenied):
        approvals.approve(result.change_request.pk, org.supervisor)
    customer.refresh_from_db()
    assert customer.name_latin == "Wang Wei"
    assert ChangeRequest.objects.get(pk=result.change_request.pk).status == ChangeRequest.Status.PENDING


def test_maker_gets_403_on_own_request_page_action(org, customer, client):
    request = services.update_customer(customer, {"name_latin": "W. Wei"}, org.supervisor).change_request
    logged_in(client, org.supervisor)
    page = client.get(reverse("workbench:request_detail", args=[request.pk]))
    assert "another supervisor must decide it" in page.content.decode()
    response = client.post(reverse("customers:change_request_approve", args=[request.pk]))
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING


def test_rejection_needs_a_reason_and_changes_nothing(org, customer, client):
    request = services.update_customer(customer, {"name_local": "王小伟"}, org.manager).change_request
    with pytest.raises(ValidationError):
        approvals.reject(request.pk, org.supervisor, "  ")
    logged_in(client, org.supervisor)
    response = client.post(reverse("customers:change_request_reject", args=[request.pk]), {"reason": ""}, follow=True)
    assert "Say why the request is rejected." in response.content.decode()
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING

    client.post(reverse("customers:change_request_reject", args=[request.pk]), {"reason": "No document seen"})
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.status == ChangeRequest.Status.REJECTED and request.decision_reason == "No document seen"
    assert customer.name_local == "王伟"
    assert AuditLog.objects.filter(action=AuditLog.Action.REJECT, object_id=str(request.pk)).exists()


def test_supervisor_outside_the_subtree_gets_404(org, customer, client):
    request = services.update_customer(customer, {"name_local": "王小伟"}, org.manager).change_request
    other = make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])
    logged_in(client, other)
    assert client.post(reverse("customers:change_request_approve", args=[request.pk])).status_code == 404
    assert client.post(reverse("customers:change_request_reject", args=[request.pk]), {"reason": "not mine"}).status_code == 404
    assert f"inbox-row-{request.pk}" not in client.get(reverse("workbench:inbox")).content.decode()
    request.refresh_from_db()
    assert request.status == ChangeRequest.Status.PENDING
    # The supervisor of the parent branch (the subtree root) decides it.
    parent = make_staff("a.sup.cn", branch=org.a_cn, roles=["branch_supervisor"])
    logged_in(client, parent)
    assert client.post(reverse("customers:change_request_approve", args=[request.pk])).status_code == 302
    customer.refresh_from_db()
    assert customer.name_local == "王小伟"


def test_the_parameter_decides_per_bank_which_fields_need_a_checker(org):
    parameters.set_value("customers.checker_fields", [], bank=org.bank_b, actor=org.b_admin)
    b_customer = make_customer("C-B-1", org.b_hk, org.b_manager, name_local="陳大文", name_latin="Chan Tai Man")
    result = services.update_customer(b_customer, {"name_local": "陳小文"}, org.b_manager)
    assert result.change_request is None and set(result.applied) == {"name_local"}
    b_customer.refresh_from_db()
    assert b_customer.name_local == "陳小文"
    # Bank A keeps the default: names wait for a checker.
    a_customer = make_customer("C-A-9", org.a_sh, org.manager)
    assert services.update_customer(a_customer, {"name_local": "李四"}, org.manager).change_request is not None
    # And bank A can put a field under the checker that is free by default.
    parameters.set_value("customers.checker_fields", ["risk_level"], bank=org.bank_a, actor=org.admin)
    result = services.update_customer(a_customer, {"risk_level": "R5", "name_latin": "Li Si"}, org.manager)
    assert set(result.pending) == {"risk_level"} and set(result.applied) == {"name_latin"}


def test_a_second_request_for_a_pending_field_is_refused(org, customer):
    services.update_customer(customer, {"name_local": "王小伟"}, org.manager)
    with pytest.raises(ValidationError) as exc:
        services.update_customer(customer, {"name_local": "王大伟"}, org.manager)
    assert "already awaits approval" in str(exc.value)


def test_a_stale_request_is_not_applied(org, customer):
    request = services.update_customer(customer, {"name_local": "王小伟"}, org.manager).change_request
    Customer.objects.filter(pk=customer.pk).update(name_local="王某")  # changed behind the request's back
    with pytest.raises(ValidationError):
        approvals.approve(request.pk, org.supervisor)
    customer.refresh_from_db()
    assert customer.name_local == "王某"


# --- identity documents ---------------------------------------------------------------------------------


def test_identity_change_is_encrypted_in_the_request_and_applied_on_approval(org, customer):
    number = resident_id()
    result = services.update_customer(
        customer,
        {
            "identity": {
                "doc_type": "resident_id",
                "number": number,
                "issuing_country": "CN",
                "expiry_date": datetime.date(2035, 1, 1),
            }
        },
        org.manager,
    )
    request = result.change_request
    stored = json.dumps({"changes": request.changes, "payload": request.payload}, ensure_ascii=False)
    assert number not in stored and number[:14] not in stored  # never in clear
    assert request.changes["identity"][1]["number_masked"] == pii.mask_id(number)
    audit_text = json.dumps(list(AuditLog.objects.values_list("changes", "detail")), ensure_ascii=False)
    assert number not in audit_text
    assert not IdentityDocument.objects.filter(customer=customer).exists()  # pending

    approvals.approve(request.pk, org.supervisor)
    document = IdentityDocument.objects.get(customer=customer)
    assert document.clear_number() == number and document.number_hash == pii.keyed_hash(number)
    assert document.number_masked == pii.mask_id(number) and str(document.issuing_country) == "CN"


def test_invalid_resident_id_is_rejected_with_a_clear_message(org, customer, client):
    wrong = bad_check_digit(resident_id())
    with pytest.raises(ValidationError) as exc:
        services.update_customer(
            customer, {"identity": {"doc_type": "resident_id", "number": wrong, "issuing_country": "CN"}}, org.manager
        )
    assert "not a valid resident ID number" in str(exc.value)
    logged_in(client, org.manager)
    data = edit_post_data(customer, org.manager, doc_type="resident_id", id_number=wrong, issuing_country="CN")
    response = client.post(reverse("customers:edit", args=[customer.number]), data)
    assert response.status_code == 200
    assert "is not a valid resident ID number: the check digit or the birth date in it is wrong." in (response.content.decode())
    assert not ChangeRequest.objects.exists() and not IdentityDocument.objects.exists()


# --- pages -------------------------------------------------------------------------------------------------------


def test_edit_page_applies_free_fields_and_submits_sensitive_ones(org, customer, client):
    logged_in(client, org.manager)
    url = reverse("customers:edit", args=[customer.number])
    assert client.get(url).status_code == 200
    data = edit_post_data(customer, org.manager, name_local="王伟强", occupation="教师", reason="Marriage")
    response = client.post(url, data, follow=True)
    text = response.content.decode()
    assert "Saved: occupation." in text and "Waiting for a supervisor&#x27;s approval (request #" in text
    assert "): name." in text
    customer.refresh_from_db()
    assert customer.name_local == "王伟" and customer.retail_profile.occupation == "教师"
    request = ChangeRequest.objects.get()
    assert request.reason == "Marriage" and request.changes == {"name_local": ["王伟", "王伟强"]}
    assert "awaits a supervisor's approval" in client.get(url).content.decode()


def test_change_request_page_shows_before_and_after(org, customer, client, django_assert_max_num_queries):
    services.update_customer(customer, {"name_local": "王伟强", "branch": org.a_sh_sub}, org.manager)
    other = make_customer("C-EDIT-2", org.a_sh_sub, org.manager_sub, name_local="张三")
    services.update_customer(other, {"name_latin": "Zhang San"}, org.manager_sub)
    logged_in(client, org.supervisor)
    assert client.get(reverse("customers:change_requests"))["Location"] == "/workbench/inbox/?action=customer.update"
    client.get(reverse("workbench:inbox"))  # warm the per-person caches (the navigation's badges)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("workbench:inbox"), {"action": "customer.update"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "王伟强" in text and "A-SH 支行" in text and "A-SH-1 支行" in text and "Zhang San" in text


def test_create_customer_generates_a_number(org, client):
    logged_in(client, org.manager)
    url = reverse("customers:create")
    assert "kind-corporate" in client.get(url).content.decode()
    number = resident_id()
    response = client.post(
        url + "?kind=retail",
        {
            "kind": "retail",
            "name_local": "刘洋",
            "name_latin": "Liu Yang",
            "branch": org.a_sh.pk,
            "risk_level": "",
            "gender": "F",
            "birth_date": "1949-12-31",
            "doc_type": "resident_id",
            "id_number": number,
            "issuing_country": "CN",
            "expiry_date": "2036-01-01",
            "mobile": "138 1234 5678",
            "email": "Liu@Example.COM",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Customer.objects.get(name_local="刘洋")
    assert created.number.startswith("C") and len(created.number) == 11
    assert created.primary_manager == org.manager and created.retail_profile.birth_date == datetime.date(1949, 12, 31)
    assert created.identity_documents.get().clear_number() == number
    assert set(created.contact_points.values_list("value", flat=True)) == {"+8613812345678", "liu@example.com"}
    second = services.create_customer(
        {"kind": "corporate", "name_local": "甲公司", "branch": org.a_sh, "primary_manager": org.manager}, org.manager
    )
    assert second.number != created.number and second.corporate_profile is not None


def test_create_refuses_a_bad_birth_date_and_a_birth_date_that_contradicts_the_id(org, client):
    logged_in(client, org.manager)
    base = {
        "kind": "retail",
        "name_local": "刘洋",
        "branch": org.a_sh.pk,
        "doc_type": "resident_id",
        "id_number": resident_id(),
        "issuing_country": "CN",
    }
    text = client.post(reverse("customers:create") + "?kind=retail", {**base, "birth_date": "1950-01-01"}).content.decode()
    assert "The birth date differs from the one in the resident ID number." in text
    text = client.post(reverse("customers:create") + "?kind=retail", {**base, "birth_date": "2999-01-01"}).content.decode()
    assert "The birth date must lie between 1900-01-01 and today." in text
    assert not Customer.objects.exists()


def test_phone_is_normalised_to_e164_on_the_contacts_page(org, customer, client):
    logged_in(client, org.manager)
    url = reverse("customers:contacts", args=[customer.number])
    response = client.post(url, contacts_post([{"kind": "mobile", "value": "138-1234-5678", "is_primary": "on"}]))
    assert response.status_code == 302
    contact = ContactPoint.objects.get(customer=customer)
    assert contact.value == "+8613812345678" and contact.is_primary and contact.bank_id == customer.bank_id
    audit = AuditLog.objects.get(action=AuditLog.Action.CREATE, object_type="customers.contactpoint")
    assert audit.actor == org.manager and audit.changes["value"] == [None, "+86********678"]  # masked in the log

    # Edit it: before/after in the audit log; an invalid number is refused and nothing is written.
    rows = [{"id": str(contact.pk), "kind": "mobile", "value": "13900001111", "is_primary": "on"}]
    assert client.post(url, contacts_post(rows, initial=1)).status_code == 302
    contact.refresh_from_db()
    assert contact.value == "+8613900001111"
    update = AuditLog.objects.get(action=AuditLog.Action.UPDATE, object_type="customers.contactpoint")
    assert update.changes["value"] == ["+86********678", "+86********111"]  # masked in the log
    bad = [{"id": str(contact.pk), "kind": "mobile", "value": "12345", "is_primary": "on"}]
    response = client.post(url, contacts_post(bad, initial=1))
    assert response.status_code == 200 and "12345 is not a valid phone number in CN" in response.content.decode()
    contact.refresh_from_db()
    assert contact.value == "+8613900001111"

    # A London customer's local number reads as a British one.
    london = make_customer("C-LDN-1", org.a_ldn, org.manager)
    client.post(
        reverse("customers:contacts", args=[london.number]),
        contacts_post([{"kind": "phone", "value": "020 7946 0000"}, {"kind": "email", "value": "A@B.CO.UK"}]),
    )
    assert set(london.contact_points.values_list("value", flat=True)) == {"+442079460000", "a@b.co.uk"}

    # Remove.
    client.post(
        url, contacts_post([{"id": str(contact.pk), "kind": "mobile", "value": "+8613900001111", "DELETE": "on"}], initial=1)
    )
    assert not ContactPoint.objects.filter(pk=contact.pk).exists()
    assert AuditLog.objects.filter(action=AuditLog.Action.DELETE, object_type="customers.contactpoint").exists()


def test_another_managers_customer_is_404(org, customer, client):
    logged_in(client, org.manager_bj)
    for name in ("edit", "contacts"):
        url = reverse(f"customers:{name}", args=[customer.number])
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404
    with pytest.raises(NotVisible):
        services.update_customer(customer, {"occupation": "x"}, org.manager_bj)
    b_staff = org.b_manager
    logged_in(client, b_staff)
    assert client.get(reverse("customers:edit", args=[customer.number])).status_code == 404


def test_every_change_is_audited_with_before_and_after(org, customer):
    parameters.set_value("customers.checker_fields", [], bank=org.bank_a, actor=org.admin)
    services.update_customer(customer, {"name_latin": "Wang Wei-Ming", "do_not_sms": True, "income_band": "high"}, org.manager)
    entries = AuditLog.objects.filter(action=AuditLog.Action.UPDATE, actor=org.manager)
    customer_entry = entries.get(object_type="customers.customer")
    assert customer_entry.changes["name_latin"] == ["Wang Wei", "Wang Wei-Ming"]
    assert customer_entry.changes["do_not_sms"] == [False, True]
    assert entries.get(object_type="customers.retailprofile").changes["income_band"] == ["", "high"]


def test_corporate_edit_compares_amounts_by_value(org, client):
    company = make_customer("C-CORP-1", org.a_sh, org.manager, name_local="甲公司", name_latin="Jia Co", kind="corporate")
    company.corporate_profile.registered_capital = 1000
    company.corporate_profile.save()
    logged_in(client, org.manager)
    url = reverse("customers:edit", args=[company.number])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        edit_post_data(company, org.manager, registered_capital="1000", capital_currency="usd", industry="Textiles"),
        follow=True,
    )
    assert "Saved: industry, capital currency." in response.content.decode()
    company.corporate_profile.refresh_from_db()
    assert company.corporate_profile.capital_currency == "USD" and company.corporate_profile.industry == "Textiles"
    response = client.post(url, edit_post_data(company, org.manager, capital_currency="US"))
    assert "Write the currency as its three-letter ISO code" in response.content.decode()
