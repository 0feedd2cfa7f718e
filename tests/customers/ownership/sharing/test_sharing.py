"""Customer sharing (delegation): a share gives the colleague the customer (list and 360),
read-only or editing; expiry and revocation cut access at once (no batch needed); the
approval flow when sharing.requires_approval is on; notifications and audit; scope."""

import datetime
import io
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from guardian.models import UserObjectPermission
from openpyxl import load_workbook

from customers.master.models import Customer
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.models import CustomerShare
from customers.ownership.sharing.sections import shares_section_context
from customers.ownership.sharing.tasks import clean_up_ended_shares
from ocrm.approvals import services as approvals
from ocrm.approvals.models import ChangeRequest
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun
from ocrm.notifications.models import Notification
from sysadmin.parameters import services as parameters
from tests.factories import make_customer, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


@pytest.fixture
def customer(org):
    return make_customer("C-SHARE-1", org.a_sh, org.manager, name_local="赵敏", name_latin="Zhao Min")


def soon(days=7):
    return timezone.now() + datetime.timedelta(days=days)


def share(org, customer, can_edit=False, until=None, to=None):
    return sharing.share_customer(
        customer, org.manager, to or org.manager_bj, can_edit=can_edit, expires_at=until or soon(), reason="Holiday cover"
    )


def move_expiry_to_the_past(share_obj):
    """Time travel: the share's end moves behind the database clock (no batch runs). The database's
    now() is the test transaction's start: a Python clock a second back could still be ahead of it."""
    CustomerShare.objects.filter(pk=share_obj.pk).update(expires_at=Now() - datetime.timedelta(seconds=1))


def logged_in(client, user):
    client.force_login(user)
    return client


def detail(number):
    return reverse("customers:detail", args=[number])


# --- access ---------------------------------------------------------------------------------------


def test_shared_with_manager_sees_the_customer_in_the_list_and_360(org, customer, client, django_capture_on_commit_callbacks):
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        created = share(org, customer)
    assert created.status == CustomerShare.Status.ACTIVE and created.is_in_force
    assert Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    assert UserObjectPermission.objects.filter(
        user=org.manager_bj, object_pk=str(customer.pk), permission__codename="view_customer"
    ).exists()
    logged_in(client, org.manager_bj)
    assert "C-SHARE-1" in client.get(reverse("customers:list")).content.decode()
    page = client.get(detail(customer.number))
    assert page.status_code == 200 and "赵敏" in page.content.decode()
    with_me = client.get(reverse("customers:shared_with_me")).content.decode()
    assert "C-SHARE-1" in with_me
    exported = client.get(reverse("customers:shared_with_me"), {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(exported.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][0] == "C-SHARE-1 赵敏" and rows[1][2] == "a.mgr.bj"
    # The colleague heard of it, in-app, with a link to the customer.
    note = Notification.objects.get(recipient=org.manager_bj)
    assert note.link == detail(customer.number) and "Zhao Min" not in note.title and "C-SHARE-1" in note.body
    # Audited, with the sharer as actor.
    entry = AuditLog.objects.get(object_type="customers.customershare", object_id=str(created.pk))
    assert entry.actor == org.manager and entry.detail["event"] == "customer_shared"


def test_read_only_share_shows_but_does_not_let_edit(org, customer, client):
    share(org, customer, can_edit=False)
    logged_in(client, org.manager_bj)
    assert client.get(detail(customer.number)).status_code == 200
    assert client.get(reverse("customers:edit", args=[customer.number])).status_code == 403
    assert client.get(reverse("customers:contacts", args=[customer.number])).status_code == 403
    response = client.post(reverse("customers:note_add", args=[customer.number]), {"text": "not allowed"})
    assert response.status_code == 403
    assert not customer.notes.exists()


def test_editing_share_lets_edit(org, customer, client):
    share(org, customer, can_edit=True)
    assert UserObjectPermission.objects.filter(
        user=org.manager_bj, object_pk=str(customer.pk), permission__codename="change_customer"
    ).exists()
    logged_in(client, org.manager_bj)
    assert client.get(reverse("customers:edit", args=[customer.number])).status_code == 200
    response = client.post(reverse("customers:note_add", args=[customer.number]), {"text": "Called, all fine"})
    assert response.status_code == 302
    assert customer.notes.get().text == "Called, all fine"


def test_expiry_cuts_access_at_once_without_any_batch(org, customer, client):
    created = share(org, customer, can_edit=True)
    logged_in(client, org.manager_bj)
    assert client.get(detail(customer.number)).status_code == 200
    move_expiry_to_the_past(created)
    # The guardian rows are still there (no clean-up has run) ...
    assert UserObjectPermission.objects.filter(user=org.manager_bj, object_pk=str(customer.pk)).count() == 2
    # ... and yet the customer is gone from every page at once.
    assert client.get(detail(customer.number)).status_code == 404
    assert client.get(reverse("customers:edit", args=[customer.number])).status_code == 404
    assert "C-SHARE-1" not in client.get(reverse("customers:list")).content.decode()
    assert "C-SHARE-1" not in client.get(reverse("customers:shared_with_me")).content.decode()
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()


def test_share_ending_a_few_seconds_ahead_ends_by_itself(org, customer):
    created = share(org, customer, until=timezone.now() + datetime.timedelta(seconds=2))
    assert Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    # Wait for the database clock to pass the end (a real wait: no clock is mocked).

    time.sleep(2.2)
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    assert CustomerShare.objects.get(pk=created.pk).status == CustomerShare.Status.ACTIVE  # no batch touched it


def test_revoke_cuts_access_and_notifies(org, customer, client, django_capture_on_commit_callbacks):
    created = share(org, customer)
    logged_in(client, org.manager)
    assert created.pk and str(created.pk) in client.get(reverse("customers:shared_by_me")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("customers:share_revoke", args=[created.pk]))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.status == CustomerShare.Status.REVOKED and created.revoked_by == org.manager
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    assert not UserObjectPermission.objects.filter(user=org.manager_bj, object_pk=str(customer.pk)).exists()
    assert Notification.objects.filter(recipient=org.manager_bj, title="A customer share with you ended").exists()
    assert AuditLog.objects.filter(
        object_type="customers.customershare",
        object_id=str(created.pk),
        detail__event="customer_share_revoked",
        actor=org.manager,
    ).exists()
    logged_in(client, org.manager_bj)
    assert client.get(detail(customer.number)).status_code == 404


def test_colleague_cannot_revoke_or_pass_the_share_on(org, customer, client):
    created = share(org, customer)
    logged_in(client, org.manager_sub)  # a third manager: does not even see the share
    assert client.post(reverse("customers:share_revoke", args=[created.pk])).status_code == 404
    logged_in(client, org.manager_bj)  # the colleague holding the share may not re-share the customer
    assert client.get(reverse("customers:share", args=[customer.number])).status_code == 403
    with pytest.raises(PermissionDenied):
        sharing.share_customer(customer, org.manager_bj, org.manager_sub, can_edit=False, expires_at=soon())
    assert CustomerShare.objects.get().status == CustomerShare.Status.ACTIVE


# --- validation -------------------------------------------------------------------------------------


def test_share_form_refuses_bad_input_naming_the_field(org, customer, client):
    logged_in(client, org.manager)
    url = reverse("customers:share", args=[customer.number])
    assert client.get(url).status_code == 200
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    cases = [
        ({"shared_with": "nobody", "expires_on": tomorrow}, "No active colleague of your bank has the user name nobody."),
        ({"shared_with": org.b_manager.username, "expires_on": tomorrow}, "No active colleague of your bank"),
        ({"shared_with": org.manager.username, "expires_on": tomorrow}, "You cannot share a customer with yourself."),
        ({"shared_with": org.manager_bj.username, "expires_on": "2000-01-01"}, "must lie in the future"),
        (
            {
                "shared_with": org.manager_bj.username,
                "expires_on": (timezone.localdate() + datetime.timedelta(days=400)).isoformat(),
            },
            "at most 90 days",
        ),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert message in response.content.decode(), (data, message)
    assert not CustomerShare.objects.exists()
    response = client.post(url, {"shared_with": org.manager_bj.username, "expires_on": tomorrow, "can_edit": "on"})
    assert response.status_code == 302
    assert CustomerShare.objects.get().can_edit
    # A second open share for the same colleague is refused, not doubled.
    response = client.post(url, {"shared_with": org.manager_bj.username, "expires_on": tomorrow})
    assert "already shared with" in response.content.decode()
    assert CustomerShare.objects.count() == 1
    with pytest.raises(ValidationError, match="already manages this customer"):  # a supervisor shares it back
        sharing.share_customer(customer, org.supervisor, org.manager, can_edit=False, expires_at=soon())


def test_colleague_suggestions_stay_in_the_bank(org, client):
    logged_in(client, org.manager)
    rows = client.get(reverse("customers:share_colleagues"), {"q": "a.mgr"}).json()["results"]
    names = {row["username"] for row in rows}
    assert names == {"a.mgr.sh1", "a.mgr.bj"}  # not oneself, not bank B's b.mgr.hk
    assert client.get(reverse("customers:share_colleagues"), {"q": "b.mgr"}).json()["results"] == []


def test_foreign_customer_and_share_are_404(org, customer, client):
    b_customer = make_customer("C-SHARE-B", org.b_hk, org.b_manager)
    b_share = sharing.share_customer(b_customer, org.b_manager, org.b_supervisor, can_edit=False, expires_at=soon())
    logged_in(client, org.manager)
    assert client.get(reverse("customers:share", args=[b_customer.number])).status_code == 404
    assert client.post(reverse("customers:share_revoke", args=[b_share.pk])).status_code == 404
    other = make_customer("C-SHARE-2", org.a_bj, org.manager_bj)
    assert client.get(reverse("customers:share", args=[other.number])).status_code == 404
    with pytest.raises(ValidationError):  # across banks, even through the service
        sharing.share_customer(customer, org.manager, org.b_manager, can_edit=False, expires_at=soon())


# --- approval flow ------------------------------------------------------------------------------------


def test_share_waits_for_a_supervisor_when_the_bank_says_so(org, customer, django_capture_on_commit_callbacks):
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    created = share(org, customer, can_edit=True)
    assert created.status == CustomerShare.Status.PENDING
    assert sharing.may_share(org.manager, customer)

    assert [s.pk for s, _may_revoke in shares_section_context(customer, org.manager)["shares"]] == [created.pk]
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    request = ChangeRequest.objects.get(action=sharing.ACTION_SHARE)
    assert request.branch_path == org.a_sh.path and request.object_id == str(customer.pk)
    assert request.maker == org.manager
    # A supervisor outside the subtree cannot decide it; the maker never.

    bj_supervisor = make_staff("a.sup.bj", branch=org.a_bj, roles=["branch_supervisor"])
    assert not approvals.pending_for_checker(bj_supervisor).filter(pk=request.pk).exists()
    assert not approvals.pending_for_checker(org.manager).exists()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve(request.pk, org.supervisor)
    created.refresh_from_db()
    assert created.status == CustomerShare.Status.ACTIVE and created.approved_at is not None
    assert Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    assert Notification.objects.filter(recipient=org.manager_bj, title="A customer was shared with you").exists()
    assert Notification.objects.filter(recipient=org.manager, title="Your customer share was approved").exists()
    assert AuditLog.objects.filter(
        object_id=str(created.pk), detail__event="customer_share_approved", actor=org.supervisor
    ).exists()


def test_rejected_share_never_grants_and_tells_the_maker(org, customer, django_capture_on_commit_callbacks):
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    created = share(org, customer)
    with django_capture_on_commit_callbacks(execute=True):
        approvals.reject(created.change_request_id, org.supervisor, "Not the right colleague")
    created.refresh_from_db()
    assert created.status == CustomerShare.Status.REJECTED
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()
    note = Notification.objects.get(recipient=org.manager, title="Your customer share was rejected")
    assert "Not the right colleague" in note.body


def test_withdrawing_a_pending_share_cancels_its_request(org, customer):
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    created = share(org, customer)
    sharing.revoke_share(created.pk, org.manager)
    assert ChangeRequest.objects.get(pk=created.change_request_id).status == ChangeRequest.Status.CANCELLED
    with pytest.raises(ValidationError):
        approvals.approve(created.change_request_id, org.supervisor)


def test_a_share_that_expired_while_pending_cannot_be_approved(org, customer):
    parameters.set_value("sharing.requires_approval", "true", bank=org.bank_a, actor=org.admin)
    created = share(org, customer)
    move_expiry_to_the_past(created)
    with pytest.raises(ValidationError):
        approvals.approve(created.change_request_id, org.supervisor)
    assert ChangeRequest.objects.get(pk=created.change_request_id).status == ChangeRequest.Status.PENDING
    assert not Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()


# --- 360 section and clean-up ----------------------------------------------------------------------------


def test_360_section_lists_shares_in_force_with_a_fixed_query_count(org, customer, client, django_assert_max_num_queries):
    share(org, customer)
    logged_in(client, org.manager)
    client.get(detail(customer.number))  # warm the caches (parameters, content types)
    # The page draws the section's share button and a placeholder; its rows come from customers:section.
    page = client.get(detail(customer.number)).content.decode()
    section = reverse("customers:section", args=[customer.number, "shares"])
    assert 'id="section-shares"' in page and "share-customer" in page and f'hx-get="{section}"' in page
    with django_assert_max_num_queries(40) as first:
        text = client.get(section).content.decode()
    assert "a.mgr.bj" in text and "share-customer" in text
    share(org, customer, to=org.manager_sub, can_edit=True)
    with django_assert_max_num_queries(len(first.captured_queries)):
        text = client.get(section).content.decode()
    assert "a.mgr.sh1" in text


def test_clean_up_removes_only_grants_of_ended_shares(org, customer):
    ended = share(org, customer)
    kept = share(org, customer, to=org.manager_sub, can_edit=True)
    move_expiry_to_the_past(ended)
    result = clean_up_ended_shares.apply().get()
    assert result["counts"]["grants_removed"] == 1
    assert not UserObjectPermission.objects.filter(user=org.manager_bj).exists()
    assert UserObjectPermission.objects.filter(user=org.manager_sub, object_pk=str(kept.pk and customer.pk)).count() == 2
    assert JobRun.objects.get(job="customer_share_clean_up").status == JobRun.Status.SUCCEEDED
    # A new share for the same colleague afterwards is granted again and survives the next clean-up.
    share(org, customer)
    assert sharing.clean_up_ended_grants() == 0
    assert Customer.objects.visible_to(org.manager_bj).filter(pk=customer.pk).exists()


def test_the_hourly_clean_up_is_scheduled():
    schedule = PeriodicTask.objects.select_related("crontab").get(name="Customer shares clean-up")
    assert schedule.task == clean_up_ended_shares.name and schedule.enabled and schedule.crontab.hour == "*"


def test_share_form_errors_land_on_the_fields_the_service_names_and_only_sharers_may_post(org, customer, client):
    logged_in(client, org.manager)
    url = reverse("customers:share", args=[customer.number])
    errors = client.post(url, {"shared_with": "nobody", "expires_on": "2030-01-01"}).context["form"].errors
    assert list(errors) == ["shared_with"]
    errors = client.post(url, {"shared_with": org.manager_bj.username, "expires_on": "2000-01-01"}).context["form"].errors
    assert list(errors) == ["expires_on"]  # the service's expires_at, on the form's date field
    logged_in(client, org.manager_bj)  # sees the customer only through a share: may not pass it on
    share(org, customer)
    assert client.post(url, {"shared_with": org.manager_sub.username, "expires_on": "2030-01-01"}).status_code == 403
    assert CustomerShare.objects.count() == 1


def test_share_steps_are_audited_by_their_events(org, customer):
    created = share(org, customer)
    sharing.revoke_share(created.pk, org.manager, "back from holiday")
    entries = AuditLog.objects.filter(object_type="customers.customershare", object_id=str(created.pk)).order_by("pk")
    assert [(e.action, e.detail["event"]) for e in entries] == [
        (AuditLog.Action.CREATE, "customer_shared"),
        (AuditLog.Action.UPDATE, "customer_share_revoked"),
    ]
    assert entries[1].changes["status"] == ["active", "revoked"] and entries[1].detail["reason"] == "back from holiday"
