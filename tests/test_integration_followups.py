"""Integration follow-ups across customer data changes, sharing, assignment, jobs, admin,
navigation and merge."""

import datetime

import pytest
from celery import current_app
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.ecif.feeds import services as feed_services
from customers.ecif.feeds.models import FeedError, FeedLoad
from customers.ecif.matching import tasks as tasks_matching
from customers.ecif.matching.tasks import find_duplicates
from customers.master import services
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment import tasks as tasks_assignment
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing import tasks as tasks_sharing
from ocrm import navigation
from ocrm.approvals import services as approvals
from ocrm.batch import jobs
from ocrm.batch.models import JobRun
from ocrm.notifications.models import Notification
from tests.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db


# --- 1. customer data changes: inbox label, maker notified -------------------------------------------


def test_customer_update_has_a_readable_label():
    assert str(approvals.registered_actions()[services.ACTION_UPDATE].label) == "Change customer data"


@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_maker_is_told_of_the_decision_on_a_customer_change(org, decision, django_capture_on_commit_callbacks):
    type(org.manager).objects.filter(pk=org.manager.pk).update(language="en")  # the text is read in English below
    customer = make_customer("C-FU-1", org.a_sh, org.manager, name_local="王伟")
    result = services.update_customer(customer, {"name_local": "王伟强"}, org.manager)
    assert result.change_request is not None
    with django_capture_on_commit_callbacks(execute=True):
        if decision == "approved":
            approvals.approve(result.change_request.pk, org.supervisor)
        else:
            approvals.reject(result.change_request.pk, org.supervisor, "Wrong spelling")
    note = Notification.objects.get(recipient=org.manager)
    assert note.title == f"Your change of customer data was {decision}"
    # The field by its label (issue 12.6), never its internal name.
    assert "王伟: name." in note.body and "name_local" not in note.body and note.link == customer.get_absolute_url()
    if decision == "rejected":
        assert "Wrong spelling" in note.body
    assert not Notification.objects.exclude(recipient=org.manager).exists()


# --- 2. a read-only share shows no edit control on the 360 page ------------------------------------

EDIT_CONTROLS = (
    'id="customer-edit"',
    'id="tags-manage"',
    'id="note-add-form"',
    'id="relationship-manage"',
    'id="contacts-edit"',
    'id="contact-log"',
    'id="document-upload"',
)


@pytest.mark.parametrize("can_edit", [False, True])
def test_360_page_shows_edit_controls_only_to_who_may_edit(org, client, can_edit):
    customer = make_customer("C-FU-2", org.a_sh, org.manager)
    sharing.share_customer(
        customer, org.manager, org.manager_bj, can_edit=can_edit, expires_at=timezone.now() + datetime.timedelta(days=3)
    )
    client.force_login(org.manager_bj)
    text = client.get(reverse("customers:detail", args=[customer.number])).content.decode()
    shown = [control for control in EDIT_CONTROLS if control in text]
    assert shown == (list(EDIT_CONTROLS) if can_edit else [])


# --- 3. the customer list: pending transfer / claim badges, "Reassign selected" --------------------------


def test_list_flags_pending_transfers_and_claims(org, client):
    moving = make_customer("C-FU-3A", org.a_sh, org.manager, name_local="甲")
    claimed = make_customer("C-FU-3B", org.a_sh, None, name_local="乙")
    quiet = make_customer("C-FU-3C", org.a_sh, org.manager, name_local="丙")
    assignment.propose_transfer(moving, org.a_bj, org.supervisor, "moved to Beijing")
    assignment.claim(claimed, org.manager, "I opened the account")
    client.force_login(org.supervisor)
    text = client.get(reverse("customers:list") + "?per_page=50").content.decode()
    rows = {
        number: row
        for row in text.split("<tr")[1:]
        for number in (moving.number, claimed.number, quiet.number)
        if f">{number}</a>" in row
    }
    assert "pending-transfer" in rows[moving.number] and "pending-claim" not in rows[moving.number]
    assert "pending-claim" in rows[claimed.number] and "pending-transfer" not in rows[claimed.number]
    assert "pending-" not in rows[quiet.number]


def test_reassign_selected_is_offered_only_with_the_reassign_permission(org, client):
    make_customer("C-FU-3D", org.a_sh, org.manager)
    assert org.supervisor.has_perm(assignment.REASSIGN_PERM) and not org.manager.has_perm(assignment.REASSIGN_PERM)
    client.force_login(org.supervisor)
    text = client.get(reverse("customers:list")).content.decode()
    assert 'id="bulk-reassign"' in text and f'href="{reverse("customers:reassign")}"' in text
    assert 'data-number="C-FU-3D"' in text
    client.force_login(org.manager)
    assert 'id="bulk-reassign"' not in client.get(reverse("customers:list")).content.decode()


# --- 4. the customers' batch jobs on the jobs page, the nightly duplicate scan ------------------------------


def test_customer_jobs_are_listed_with_labels():
    labels = {
        name: str(jobs.job_label(name))
        for name in (tasks_assignment.JOB, tasks_matching.JOB, tasks_sharing.JOB, feed_services.JOB)
    }
    assert all(label != name for name, label in labels.items()), labels
    assert jobs.JOBS[tasks_assignment.JOB].startable and jobs.JOBS[tasks_matching.JOB].startable
    assert str(jobs.COUNT_LABELS["grants_removed"]) == "grants removed"


@pytest.mark.parametrize("job_name", ["customers_attribution", "customers_find_duplicates"])
def test_customer_jobs_started_from_the_jobs_page_finish_their_queued_run(org, job_name):

    run = jobs.start_job(org.admin, job_name, timezone.now().date().isoformat())
    assert run.status == JobRun.Status.QUEUED and run.bank_id == org.bank_a.pk
    task = current_app.tasks[jobs.JOBS[job_name].task]
    task.apply(kwargs={"business_date": run.business_date.isoformat(), "bank_id": run.bank_id, "run_id": run.pk})
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert JobRun.objects.filter(job=job_name).count() == 1


def test_the_duplicate_scan_is_scheduled_nightly():

    schedule = PeriodicTask.objects.select_related("crontab").get(task=find_duplicates.name)
    assert schedule.enabled and schedule.crontab.hour == "2" and schedule.crontab.day_of_week == "*"


# --- 5. feed loads and errors in admin, read-only and scoped ------------------------------------------------


def test_feed_loads_and_errors_are_read_only_and_scoped_in_admin(org, client):

    def load_with_error(bank):
        load = FeedLoad.objects.create(
            bank=bank,
            source_system="CORE",
            feed=FeedLoad.Feed.CUSTOMERS,
            business_date=datetime.date(2026, 11, 23),
            original_name=f"{bank.code}.csv",
            sha256="0" * 64,
        )
        return load, FeedError.objects.create(load=load, row_number=7, field="birth_date", value="x", reason="bad date")

    mine, theirs = load_with_error(org.bank_a), load_with_error(org.bank_b)
    org.admin.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="customers", codename__in=["view_feedload", "view_feederror", "load_feeds"]
        )
    )
    client.force_login(org.admin)
    for model, (own, other) in ((FeedLoad, (mine[0], theirs[0])), (FeedError, (mine[1], theirs[1]))):
        name = f"admin:customers_{model._meta.model_name}"
        response = client.get(reverse(f"{name}_changelist"))
        assert response.status_code == 200
        assert {row.pk for row in response.context["cl"].result_list} == {own.pk}
        assert 'name="_save"' not in client.get(reverse(f"{name}_change", args=[own.pk])).content.decode()
        assert client.get(reverse(f"{name}_change", args=[other.pk])).status_code == 404
        assert client.get(reverse(f"{name}_add")).status_code == 403


# --- 6. the Approvals entry for every checker ----------------------------------------------------------------


@pytest.mark.parametrize("codename", ["approve_share", "review_match", "approve_change", None])
def test_approvals_entry_is_shown_to_any_checker(org, codename):

    staff = make_staff(f"a.only.{codename}", branch=org.a_sh)
    if codename:
        staff.user_permissions.add(Permission.objects.get(content_type__app_label="customers", codename=codename))
    urls = {item["url"] for item in navigation.entries_for(type(staff).objects.get(pk=staff.pk))}
    assert (reverse("workbench:inbox") in urls) == (codename is not None)
