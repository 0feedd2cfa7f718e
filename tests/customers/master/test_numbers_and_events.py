"""The one "customer by number" look-up (customers.master.services.customer_by_number) that every
route taking a number uses, and the customer master's audit events (customers.master.events):
one entry per change, never one by the event and another by the safety net."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.master import events, services
from customers.master.models import Customer, RetailProfile
from customers.ownership.sharing import services as sharing
from ocrm import links
from ocrm.approvals import services as approvals
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


# --- customer_by_number ------------------------------------------------------------------------


def test_a_number_is_found_in_the_users_scope_only(org):
    customer = make_customer("C-NUM-1", org.a_sh, org.manager)
    assert services.customer_by_number(org.manager, "C-NUM-1").customer == customer
    assert services.customer_by_number(org.manager, "C-NUM-1").survivor is None
    for outsider in (org.manager_bj, org.b_manager, org.teller):
        with pytest.raises(NotVisible):
            services.customer_by_number(outsider, "C-NUM-1")
    with pytest.raises(NotVisible):
        services.customer_by_number(org.manager, "C-NO-SUCH")


def test_a_managers_own_customer_is_read_without_the_grants_and_a_shared_one_through_them(org):
    own = make_customer("C-OWN", org.a_sh, org.manager)
    shared = make_customer("C-SHARED", org.a_bj, org.manager_bj)
    until = timezone.now() + datetime.timedelta(days=3)
    sharing.share_customer(shared, org.manager_bj, org.manager, can_edit=False, expires_at=until, reason="Cover")

    def customer_queries(number):
        with CaptureQueriesContext(connection) as ctx:
            found = services.customer_by_number(org.manager, number).customer
        return found, [q["sql"] for q in ctx.captured_queries if 'FROM "customers_customer"' in q["sql"]]

    found, queries = customer_queries("C-OWN")
    assert found == own and len(queries) == 1 and "guardian" not in queries[0]
    found, queries = customer_queries("C-SHARED")
    assert found == shared and len(queries) == 2 and "guardian" in queries[1]
    with pytest.raises(NotVisible):  # neither owned nor shared
        services.customer_by_number(org.manager_sub, "C-OWN")


def test_a_superuser_gets_their_own_banks_customer_first(org):
    ours = make_customer("C-TWIN", org.a_sh, org.manager)
    theirs = make_customer("C-TWIN", org.b_hk, org.b_manager)
    root_a = make_staff("root.a", branch=org.a_ho, is_superuser=True)
    root_b = make_staff("root.b", branch=org.b_ho, is_superuser=True)
    assert services.customer_by_number(root_a, "C-TWIN").customer == ours
    assert services.customer_by_number(root_b, "C-TWIN").customer == theirs


def test_a_merged_number_leads_to_its_survivor_while_the_survivor_is_in_scope(org):
    survivor = make_customer("C-SURV", org.a_sh, org.manager)
    middle = make_customer("C-MID", org.a_sh, org.manager, merged_into=survivor)
    first = make_customer("C-FIRST", org.a_sh, org.manager, merged_into=middle)
    found = services.customer_by_number(org.manager, "C-FIRST")
    assert (found.customer, found.survivor) == (first, survivor)
    Customer.objects.filter(pk=survivor.pk).update(primary_manager=org.manager_bj)
    with pytest.raises(NotVisible):  # never a redirect that names a customer outside the scope
        services.customer_by_number(org.manager, "C-FIRST")


def test_a_narrower_queryset_is_searched_instead_of_the_scope(org):
    make_customer("C-NARROW", org.a_sh, org.manager)
    with pytest.raises(NotVisible):
        services.customer_by_number(org.manager, "C-NARROW", queryset=Customer.objects.filter(primary_manager=org.supervisor))


def test_every_customer_route_follows_a_merged_number_to_the_survivors_page(org):
    survivor = make_customer("C-SURV-2", org.a_sh, org.manager)
    make_customer("C-GONE-2", org.a_sh, org.manager, merged_into=survivor)
    client = client_for(org.supervisor)
    for name in ("customers:edit", "customers:contacts", "customers:note_add", "customers:share", "customers:transfer"):
        response = client.get(reverse(name, args=["C-GONE-2"]))
        assert (response.status_code, response["Location"]) == (302, reverse("customers:detail", args=["C-SURV-2"])), name
    assert client.get(reverse("customers:edit", args=["C-NO-SUCH"])).status_code == 404


# --- audit events -----------------------------------------------------------------------------


def test_creating_a_customer_is_one_entry_named_by_its_event(org):
    branch_data = {"kind": "retail", "name_local": "新客户", "branch": org.a_sh, "primary_manager": org.manager}
    customer = services.create_customer({**branch_data, "profile": {"occupation": "teacher"}}, org.manager)
    entries = AuditLog.objects.filter(object_type="customers.customer", object_id=str(customer.pk))
    [entry] = entries
    assert (entry.action, entry.actor, entry.detail["event"]) == (AuditLog.Action.CREATE, org.manager, "customer_created")
    assert entry.changes["number"] == [None, customer.number] and entry.changes["branch_id"] == [None, org.a_sh.pk]
    assert "name_grams" not in entry.changes  # the safety net's exclusions hold for the event too
    # The profile row is the safety net's, as before.
    profile = RetailProfile.objects.get(customer=customer)
    assert AuditLog.objects.filter(object_type="customers.retailprofile", object_id=str(profile.pk), action="create").count() == 1


def test_an_update_is_one_entry_on_the_customer_and_an_approved_one_names_its_request(org):
    customer = make_customer("C-EV-1", org.a_sh, org.manager, name_latin="Wang Wei")
    parameters.set_value("customers.checker_fields", ["name_local"], bank=org.bank_a, actor=org.admin)
    result = services.update_customer(customer, {"name_latin": "Wang W.", "name_local": "王维"}, org.manager)
    updates = AuditLog.objects.filter(object_type="customers.customer", object_id=str(customer.pk), action="update")
    [applied] = updates
    assert applied.detail == {"event": "customer_updated"} and applied.changes == {"name_latin": ["Wang Wei", "Wang W."]}
    approvals.approve(result.change_request.pk, org.supervisor)
    approved = updates.exclude(pk=applied.pk).get()
    assert approved.actor == org.supervisor and approved.changes == {"name_local": ["王伟", "王维"]}
    assert approved.detail == {"event": "customer_updated", "change_request": result.change_request.pk}


def test_the_contacts_page_in_clear_is_audited_by_the_service(org):
    customer = make_customer("C-EV-2", org.a_sh, org.manager)
    services.save_contacts(customer, [{"id": None, "kind": "mobile", "value": "13812345678", "is_primary": True}], org.manager)
    rows = services.contacts_shown(customer, org.manager)  # managers may unmask
    assert rows[0]["value"] == "+8613812345678"
    entry = AuditLog.objects.get(action=AuditLog.Action.VIEW_PII, object_id=str(customer.pk))
    assert entry.actor == org.manager and entry.detail == {"page": "contacts", "fields": ["contact_points"]}
    assert services.contact_rows(customer, unmasked=False)[0]["value"] != "+8613812345678"
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).count() == 1  # masked rows are no view of PII


def test_admins_view_of_contacts_has_its_event(org):
    customer = make_customer("C-EV-ADMIN", org.a_sh, org.manager)
    entry = events.contacts_viewed_in_admin(customer, org.admin, [7, 9])
    assert (entry.action, entry.actor, entry.bank_id) == (AuditLog.Action.VIEW_PII, org.admin, org.bank_a.pk)
    assert entry.object_id == str(customer.pk) and entry.detail == {"page": "admin", "contact_points": [7, 9]}


def test_the_teller_look_up_is_audited_by_the_service(org):
    make_customer("C-EV-LOOKUP", org.a_sh, org.manager)
    customers, visible = services.lookup_customers(org.teller, "C-EV-LOOKUP")
    assert [c.number for c in customers] == ["C-EV-LOOKUP"] and visible == set()  # a teller browses nothing
    entry = AuditLog.objects.get(actor=org.teller, object_type="customers.customer")
    assert entry.detail["found"] == ["C-EV-LOOKUP"] and entry.object_repr == "Customer look-up (1 found)"


def test_links_in_notifications_come_from_the_pages_registry(org):
    assert links.url("customer", "C0000000001") == reverse("customers:detail", args=["C0000000001"])
    assert links.url("customer_list") == reverse("customers:list")
    assert links.url("my_assignment_requests") == reverse("customers:my_assignment_requests")
    assert links.url("shared_with_me") == reverse("customers:shared_with_me")
