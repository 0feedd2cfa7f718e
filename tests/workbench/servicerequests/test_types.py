"""The request-type page of product managers: list, create, edit as lines with messages naming the
part and the line; every change waits for another product manager's approval (maker-checker)."""

import pytest
from django.conf import settings
from django.urls import reverse

from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from sysadmin.roles import sync_roles
from workbench.servicerequests import definitions, services
from workbench.servicerequests.models import ServiceRequestType

pytestmark = pytest.mark.django_db

NEW = {
    "code": "safe_box",
    "name": "Safe deposit box",
    "form_fields": (
        "size; Box size; choice; required choices=S,M,L\nbranch; Branch; branch; required\nphone; Phone; text; pii=phone"
    ),
    "required_attachments": "id_copy, lease",
    "channels": ["online", "counter"],
    "steps": "Check identity; teller; 4\nAssign a box; teller; 24",
    "active": "on",
}


def as_user(client, user, language="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture(autouse=True)
def roles_synced(org):
    sync_roles()
    services.seed_built_in_types(org.bank_a)
    services.seed_built_in_types(org.bank_b)


@pytest.fixture
def checker(org, make_staff):
    return make_staff("a.pm2", branch=org.a_ho, roles=["product_manager"])


def test_a_new_type_is_offered_only_once_another_product_manager_approves(client, org, checker):
    response = as_user(client, org.product_manager).post(reverse("workbench:service_request_type_create"), NEW)
    assert response.status_code == 302
    row = ServiceRequestType.objects.get(bank=org.bank_a, code="safe_box")
    assert not row.active and row.form_schema == []  # nothing offered before the check
    change = ChangeRequest.objects.get(action=definitions.ACTION, object_id=str(row.pk))
    with pytest.raises(Exception, match="another person"):
        approvals.approve(change.pk, org.product_manager)
    approvals.approve(change.pk, checker)
    row.refresh_from_db()
    assert row.active and row.channels == ["online", "counter"] and row.required_attachments == ["id_copy", "lease"]
    assert row.steps == [
        {"name": "Check identity", "role": "teller", "hours": 4},
        {"name": "Assign a box", "role": "teller", "hours": 24},
    ]
    assert row.form_schema[0] == {
        "name": "size",
        "label": "Box size",
        "type": "choice",
        "required": True,
        "choices": ["S", "M", "L"],
    }
    assert row.form_schema[2]["pii"] == "phone"


def test_an_edit_waits_for_approval_and_a_second_one_is_refused_meanwhile(client, org, checker):
    fx = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    page = as_user(client, org.product_manager).get(reverse("workbench:service_request_type_edit", args=[fx.pk])).content.decode()
    assert "Check identity; teller; 4" in page and "branch; Pick-up branch; branch; required" in page
    data = {
        "name": fx.name,
        "form_fields": definitions.fields_text(fx.form_schema),
        "required_attachments": "id_copy",
        "channels": ["online"],
        "steps": "Check identity; teller; 2\nPrepare cash; teller; 24",
        "active": "on",
        "reason": "Faster identity checks",
    }
    assert client.post(reverse("workbench:service_request_type_edit", args=[fx.pk]), data).status_code == 302
    fx.refresh_from_db()
    assert fx.steps[0]["hours"] == 4 and fx.channels == ["online", "counter"]  # unchanged until approved
    response = client.post(
        reverse("workbench:service_request_type_edit", args=[fx.pk]), {**data, "channels": ["counter"]}, follow=True
    )
    assert "already waiting for approval" in response.content.decode()
    change = ChangeRequest.objects.get(action=definitions.ACTION, object_id=str(fx.pk), status="pending")
    assert set(change.changes) == {"channels", "steps"}
    approvals.approve(change.pk, checker)
    fx.refresh_from_db()
    assert fx.steps[0]["hours"] == 2 and fx.channels == ["online"]


def test_bad_lines_are_named_by_part_and_line_and_nothing_is_written(client, org):
    bad = {
        **NEW,
        "form_fields": "size; Box size; choice; required\nmy field; Label; colour",
        "steps": "Check identity; cashier; 4\n; teller; 0",
        "required_attachments": "id copy!",
    }
    page = as_user(client, org.product_manager).post(reverse("workbench:service_request_type_create"), bad).content.decode()
    assert "Form fields, line 1: a choice field needs choices=A,B." in page
    assert "Form fields, line 2: the name “my field” must be letters" in page
    assert "Form fields, line 2: the type “colour” is unknown" in page
    assert "Processing steps, line 1: the role “cashier” is unknown" in page
    assert "Processing steps, line 2: the step needs a name." in page
    assert "Processing steps, line 2: the time limit must be whole hours" in page
    assert "Required attachments: “id copy!”" in page
    assert not ServiceRequestType.objects.filter(code="safe_box").exists() and not ChangeRequest.objects.exists()
    page = client.post(reverse("workbench:service_request_type_create"), {**NEW, "code": "fx_cash_exchange"}).content.decode()
    assert "The code fx_cash_exchange is already used" in page


def test_who_may_open_the_pages_and_the_other_bank(client, org):
    other = ServiceRequestType.objects.get(bank=org.bank_b, code="fx_cash_exchange")
    assert (
        as_user(client, org.product_manager).get(reverse("workbench:service_request_type_edit", args=[other.pk])).status_code
        == 404
    )
    page = client.get(reverse("workbench:service_request_types")).content.decode()
    assert "Foreign-currency cash exchange order" in page and page.count("/service-requests/types/") >= 3
    for user in (org.manager, org.teller, org.supervisor):
        assert as_user(client, user).get(reverse("workbench:service_request_types")).status_code == 403
        assert client.post(reverse("workbench:service_request_type_create"), NEW).status_code == 403
    assert not ServiceRequestType.objects.filter(code="safe_box").exists()


def test_the_pages_in_chinese_and_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    as_user(client, org.product_manager, "zh-hans")
    client.get(reverse("workbench:service_request_types"))
    with django_assert_max_num_queries(15):
        page = client.get(reverse("workbench:service_request_types")).content.decode()
    assert "服务请求类型" in page and "外币现钞兑换预约" in page
    fx = ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")
    with django_assert_max_num_queries(15):
        page = client.get(reverse("workbench:service_request_type_edit", args=[fx.pk])).content.decode()
    assert "处理步骤" in page
