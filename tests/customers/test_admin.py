"""Django admin of the customer models: a bank's administrator sees only their bank, customer
search uses the name keys or the exact number, identity numbers are never shown in clear and
contact values only to administrators who may unmask (audited)."""

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from customers import models as cm_models
from customers.master import services
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from tests.factories import make_customer, make_product, make_staff
from tests.support.admin_forms import form_data

pytestmark = pytest.mark.django_db

CLEAR_ID = "110105194912310021"
CLEAR_PHONE = "+8613912345678"

CUSTOMER_MODELS = (
    cm_models.Customer,
    cm_models.Product,
    cm_models.FxRate,
    cm_models.Holding,
    cm_models.Transaction,
    cm_models.ServiceContact,
    cm_models.CustomerDocument,
    cm_models.CustomerNote,
    cm_models.Tag,
    cm_models.CustomerGroup,
    cm_models.Household,
    cm_models.Relationship,
    cm_models.LifecycleChange,
    cm_models.RatingChange,
)


def client_for(user):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def admin_url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def with_rows(customer, branch, staff, suffix):
    """A customer with an identity document, a phone and one row of each admin model."""
    bank = customer.bank
    document = cm_models.IdentityDocument(bank_id=bank.pk, customer=customer, doc_type="resident_id", issuing_country="CN")
    document.set_number(CLEAR_ID)
    document.save()
    cm_models.ContactPoint.objects.create(bank_id=bank.pk, customer=customer, kind="mobile", value=CLEAR_PHONE, is_primary=True)
    product = make_product(bank, code=f"DD-{suffix}")
    holding = cm_models.Holding.objects.create(
        bank_id=bank.pk, customer=customer, product=product, account_number=f"ACC-{suffix}", currency="CNY", balance=5
    )
    other = make_customer(f"R-{suffix}", branch, staff, name_local="李娜", name_latin="Li Na")
    now = timezone.now()
    return {
        cm_models.Customer: customer,
        cm_models.Product: product,
        cm_models.Holding: holding,
        cm_models.FxRate: cm_models.FxRate.objects.create(bank=bank, currency="USD", rate="7.1", as_of=now.date()),
        cm_models.Transaction: cm_models.Transaction.objects.create(
            bank_id=bank.pk,
            customer_id=customer.pk,
            holding=holding,
            occurred_at=now,
            amount=1,
            currency="CNY",
            direction="C",
            channel="atm",
            txn_type="deposit",
        ),
        cm_models.ServiceContact: cm_models.ServiceContact.objects.create(
            bank_id=bank.pk, customer=customer, channel="phone", subject=f"Call {suffix}"
        ),
        cm_models.CustomerDocument: cm_models.CustomerDocument.objects.create(
            bank_id=bank.pk,
            customer=customer,
            doc_type="contract",
            file=f"customer-documents/{bank.pk}/x.pdf",
            original_name=f"contract-{suffix}.pdf",
            content_type="application/pdf",
            size=10,
        ),
        cm_models.CustomerNote: cm_models.CustomerNote.objects.create(bank_id=bank.pk, customer=customer, text=f"Note {suffix}"),
        cm_models.Tag: cm_models.Tag.objects.create(bank=bank, name=f"Tag-{suffix}"),
        cm_models.CustomerGroup: cm_models.CustomerGroup.objects.create(bank=bank, name=f"Group-{suffix}", owner=staff),
        cm_models.Household: cm_models.Household.objects.create(bank=bank, name=f"Household-{suffix}", primary_member=customer),
        cm_models.Relationship: cm_models.Relationship.objects.create(
            bank_id=bank.pk, from_customer=customer, to_customer=other, kind="spouse"
        ),
        cm_models.LifecycleChange: cm_models.LifecycleChange.objects.create(
            bank_id=bank.pk, customer=customer, stage_to="active"
        ),
        cm_models.RatingChange: cm_models.RatingChange.objects.create(
            bank_id=bank.pk, customer=customer, tier_to="mass", stars_to=2
        ),
    }


@pytest.fixture
def two_banks(org):
    a = with_rows(make_customer("A0001", org.a_sh, org.manager, name_local="王伟东"), org.a_sh, org.manager, "A")
    b = with_rows(make_customer("B0001", org.b_hk, org.b_manager, name_local="王伟华"), org.b_hk, org.b_manager, "B")
    return a, b


def test_every_customers_model_has_an_admin():
    for model in CUSTOMER_MODELS:
        assert django_admin.site.is_registered(model), model


def test_bank_admin_sees_only_their_bank(org, two_banks):
    a, b = two_banks
    client = client_for(org.admin)
    for model in CUSTOMER_MODELS:
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model
        shown = {row.pk for row in response.context["cl"].result_list}
        assert a[model].pk in shown, model
        assert b[model].pk not in shown, model
        assert client.get(admin_url(model, "change", a[model].pk)).status_code == 200, model
        # Another bank's row is "not there": 404, not admin's redirect that would confirm it exists.
        assert client.get(admin_url(model, "change", b[model].pk)).status_code == 404, model
        assert client.get(admin_url(model, "delete", b[model].pk)).status_code in (403, 404), model


def test_bank_b_admin_does_not_see_bank_a(org, two_banks):
    a, b = two_banks
    client = client_for(org.b_admin)
    html = client.get(admin_url(cm_models.Customer, "changelist")).content.decode()
    assert "B0001" in html and "A0001" not in html
    assert client.get(admin_url(cm_models.Customer, "change", a[cm_models.Customer].pk)).status_code == 404


def test_customer_search_uses_name_keys_or_exact_number(org, two_banks):
    a, _b = two_banks
    client = client_for(org.admin)

    def found(term):
        response = client.get(admin_url(cm_models.Customer, "changelist"), {"q": term})
        assert response.status_code == 200
        return {row.number for row in response.context["cl"].result_list}

    assert found("王伟") == {"A0001"}  # bank B's 王伟华 is not in this admin's scope
    assert found("伟东") == {"A0001"}
    assert found("A0001") == {"A0001"}
    assert found("0001") == set()  # exact number only, no substring scan
    assert found("li") == {"R-A"}  # start of a Latin word
    assert found("东伟") == set()
    # Other admins search through the customer the same way.
    response = client.get(admin_url(cm_models.ServiceContact, "changelist"), {"q": "王伟东"})
    assert [row.pk for row in response.context["cl"].result_list] == [a[cm_models.ServiceContact].pk]


def test_customer_autocomplete_is_scoped(org, two_banks):
    client = client_for(org.admin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "customers", "model_name": "holding", "field_name": "customer", "term": "王伟"},
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["A0001 王伟东"]


def test_identity_number_never_in_clear_and_phone_masked_without_unmask(org, two_banks):
    a, _b = two_banks
    customer = a[cm_models.Customer]
    document = cm_models.IdentityDocument.objects.get(customer=customer)
    reader = make_staff("a.admin.reader", branch=org.a_ho, is_staff=True)
    reader.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "scope_bank",
                "view_customer",
                "change_customer",
                "view_identitydocument",
                "view_contactpoint",
                "view_address",
                "view_retailprofile",
                "change_retailprofile",
            ]
        )
    )
    assert not reader.has_perm("customers.unmask_pii")
    html = client_for(reader).get(admin_url(cm_models.Customer, "change", customer.pk)).content.decode()
    assert document.number_masked in html
    assert CLEAR_ID not in html and document.number_hash not in html and document.number_encrypted not in html
    assert cm_models.ContactPoint.objects.get(customer=customer).masked_value in html
    assert CLEAR_PHONE not in html and "13912345678" not in html
    assert not AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII, actor=reader).exists()


def test_unmasking_admin_sees_phone_in_clear_audited_but_never_the_id_number(org, two_banks):
    a, _b = two_banks
    customer = a[cm_models.Customer]
    document = cm_models.IdentityDocument.objects.get(customer=customer)
    assert org.admin.has_perm("customers.unmask_pii")
    html = client_for(org.admin).get(admin_url(cm_models.Customer, "change", customer.pk)).content.decode()
    assert CLEAR_PHONE in html
    assert CLEAR_ID not in html and document.number_hash not in html and document.number_encrypted not in html
    entry = AuditLog.objects.get(action=AuditLog.Action.VIEW_PII, actor=org.admin)
    assert entry.object_id == str(customer.pk) and entry.detail["page"] == "admin"


def test_contact_point_edited_in_admin_is_normalised_and_validated(org, two_banks):
    a, _b = two_banks
    customer = a[cm_models.Customer]
    contact = cm_models.ContactPoint.objects.get(customer=customer)
    client = client_for(org.admin)
    url = admin_url(cm_models.Customer, "change", customer.pk)
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({k: "on" if v is True else v for k, v in data.items() if isinstance(v, bool)})
    data = {k: v for k, v in data.items() if v is not False}
    data["branch"], data["primary_manager"] = customer.branch_id, customer.primary_manager_id

    def inline_data(phone):
        return {
            "retail_profile-TOTAL_FORMS": "1",
            "retail_profile-INITIAL_FORMS": "1",
            "retail_profile-MIN_NUM_FORMS": "0",
            "retail_profile-MAX_NUM_FORMS": "1",
            "retail_profile-0-customer": str(customer.pk),
            "identity_documents-TOTAL_FORMS": "1",
            "identity_documents-INITIAL_FORMS": "1",
            "identity_documents-MIN_NUM_FORMS": "0",
            "identity_documents-MAX_NUM_FORMS": "1000",
            "identity_documents-0-id": str(cm_models.IdentityDocument.objects.get(customer=customer).pk),
            "identity_documents-0-customer": str(customer.pk),
            "contact_points-TOTAL_FORMS": "1",
            "contact_points-INITIAL_FORMS": "1",
            "contact_points-MIN_NUM_FORMS": "0",
            "contact_points-MAX_NUM_FORMS": "1000",
            "contact_points-0-id": str(contact.pk),
            "contact_points-0-customer": str(customer.pk),
            "contact_points-0-kind": "mobile",
            "contact_points-0-value": phone,
            "contact_points-0-is_primary": "on",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "addresses-MIN_NUM_FORMS": "0",
            "addresses-MAX_NUM_FORMS": "1000",
        }

    response = client.post(url, {**data, **inline_data("12345")})
    assert response.status_code == 200  # the form again, with the error
    assert "12345 is not a valid phone number" in response.content.decode()
    contact.refresh_from_db()
    assert contact.value == CLEAR_PHONE

    response = client.post(url, {**data, **inline_data("139 0000 1111")})
    assert response.status_code == 302, response.context and response.context["errors"]
    contact.refresh_from_db()
    assert contact.value == "+8613900001111"
    assert AuditLog.objects.filter(
        action=AuditLog.Action.UPDATE, object_type="customers.contactpoint", object_id=str(contact.pk), actor=org.admin
    ).exists()


def test_history_and_transactions_are_read_only(org, two_banks):
    a, _b = two_banks
    client = client_for(org.admin)
    for model in (cm_models.Transaction, cm_models.LifecycleChange, cm_models.RatingChange):
        assert client.get(admin_url(model, "add")).status_code == 403, model
        html = client.get(admin_url(model, "change", a[model].pk)).content.decode()
        assert 'name="_save"' not in html, model
    assert client.get(admin_url(cm_models.CustomerDocument, "add")).status_code == 403


def test_customer_changelist_query_count(org, two_banks, django_assert_max_num_queries):
    for n in range(30):
        make_customer(f"A1{n:03d}", org.a_sh, org.manager, name_local=f"客户{n}")
    client = client_for(org.admin)
    with django_assert_max_num_queries(15):
        assert client.get(admin_url(cm_models.Customer, "changelist")).status_code == 200


# --- maker-checker holds in admin (security finding 11.2) ---------------------------------------------------


def change_form(client, customer, **changes):
    """The customer's admin change form as a browser would post it back, with `changes`."""
    url = admin_url(cm_models.Customer, "change", customer.pk)
    return url, form_data(client.get(url).content.decode(), "customer_form", **changes)


def test_a_checker_field_changed_in_admin_becomes_a_change_request(org, two_banks):
    """The attack: an administrator renames a customer in admin. The name stays until a checker
    approves the change request the admin form sent; a field without a checker applies at once."""
    customer = two_banks[0][cm_models.Customer]
    client = client_for(org.admin)
    url, data = change_form(
        client, customer, name_local="假名字", risk_level="R5", **{"retail_profile-0-birth_date": "1980-02-03"}
    )
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name_local == "王伟东" and customer.retail_profile.birth_date is None  # not applied...
    assert customer.risk_level == "R5"  # ...while a field that needs no checker is
    request = ChangeRequest.objects.get(object_type="customers.customer", object_id=str(customer.pk), status="pending")
    assert request.maker == org.admin and request.action == services.ACTION_UPDATE
    assert request.changes == {"name_local": ["王伟东", "假名字"], "birth_date": [None, "1980-02-03"]}
    shown = " ".join(str(m) for m in response.context["messages"])
    assert f"change request #{request.pk}" in shown and "name, birth date" in shown and "假名字" not in shown

    # The admin cannot decide their own request; a supervisor of the branch applies it.
    with pytest.raises(PermissionDenied):
        approvals.approve(request.pk, org.admin)
    approvals.approve(request.pk, org.supervisor)
    customer.refresh_from_db()
    assert customer.name_local == "假名字" and str(customer.retail_profile.birth_date) == "1980-02-03"


def test_a_second_admin_change_of_a_waiting_field_is_refused_and_nothing_is_kept(org, two_banks):
    customer = two_banks[0][cm_models.Customer]
    services.update_customer(customer, {"name_local": "张三"}, org.manager)
    client = client_for(org.admin)
    url, data = change_form(client, customer, name_local="李四", risk_level="R4")
    response = client.post(url, data, follow=True)
    assert "already awaits approval" in " ".join(str(m) for m in response.context["messages"])
    customer.refresh_from_db()
    assert customer.name_local == "王伟东" and customer.risk_level != "R4"
    assert ChangeRequest.objects.filter(object_id=str(customer.pk)).count() == 1


def test_the_manager_merges_and_ratings_are_read_only_and_customers_are_not_added_or_deleted_in_admin(org, two_banks):
    customer = two_banks[0][cm_models.Customer]
    other_manager = make_staff("a.mgr.sh9", branch=org.a_sh, roles=["customer_manager"])
    client = client_for(org.admin)
    url, data = change_form(client, customer, primary_manager=str(other_manager.pk), tier="private", star_rating="7")
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert (customer.primary_manager, customer.tier, customer.star_rating) == (org.manager, "mass", 1)
    assert client.get(admin_url(cm_models.Customer, "add")).status_code == 403
    assert client.post(admin_url(cm_models.Customer, "delete", customer.pk), {"post": "yes"}).status_code == 403
    assert cm_models.Customer.objects.filter(pk=customer.pk).exists()


def test_every_admin_form_shows_guarded_fields_read_only_or_sends_them_to_a_checker(org, two_banks):
    """The one rule (ocrm.approvals.services.guarded_fields), for every admin page and inline."""
    request = RequestFactory().get("/admin/")
    request.user = org.admin
    checked = 0
    for model_admin in django_admin.site._registry.values():
        obj = model_admin.get_queryset(request).first()
        for page in (model_admin, *model_admin.get_inline_instances(request, obj)):
            guarded = approvals.guarded_fields(page.model, org.bank_a.pk)
            if not guarded:
                continue
            checked += 1
            readonly = set(page.get_readonly_fields(request, obj))
            assert getattr(page, "submits_change_requests", False) or guarded <= readonly, (page, guarded - readonly)
    assert checked >= 3  # customer, profile, identity document


def test_bank_b_admin_cannot_use_view_on_site_to_learn_bank_a_customer_numbers(org, two_banks):
    """Security finding 11.12: /admin/r/<ct>/<id>/ redirected anyone to the object's page, so its
    address told another bank's administrator the customer's number."""
    a, b = two_banks
    customer = a[cm_models.Customer]
    url = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(cm_models.Customer).pk, customer.pk])
    response = client_for(org.b_admin).get(url)
    assert response.status_code == 404 and customer.number not in response.get("Location", "")
    assert client_for(org.admin).get(url)["Location"] == customer.get_absolute_url()
    # Not a customer of theirs either by a malformed id, nor a model admin does not show.
    assert client_for(org.admin).get(url.replace(f"/{customer.pk}/", "/x/")).status_code == 404
    bare = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(ChangeRequest).pk, 1])
    assert client_for(org.admin).get(bare).status_code == 404
