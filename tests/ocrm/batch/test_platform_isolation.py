"""Finding 11.1 (critical): one bank's administrator controlled another bank's jobs through the
shared periodic-task admin, and a one-off task applied bank A's unapproved maintenance batch in the
name of bank A's supervisor. Each attack is tried again here and must fail:

* no bank role reaches any page of django-celery-beat's admin (the platform operator does);
* a forged apply message (free-form task arguments naming another bank's batch and person)
  applies nothing, on a real worker, and the refusal is audited in the batch's bank;
* a bank switches its own scheduled runs off, never another bank's."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from customers.maintenance import services as maintenance
from customers.maintenance.models import MaintenanceBatch
from customers.master.models import Customer
from ocrm.audit.models import AuditLog
from ocrm.batch.models import JobRun, JobSchedule
from ocrm.batch.per_bank import run_per_bank
from ocrm.celery import app
from sysadmin.audit import services as audit_jobs
from sysadmin.roles import ROLE_LABELS, ROLE_PERMISSIONS
from tests.customers.maintenance.test_maintenance import stage, xlsx
from tests.factories import make_customer, make_staff
from tests.ocrm.batch.operators import platform_operator
from tests.support.waiting import wait_for

BEAT_MODELS = [model for model in admin.site._registry if model._meta.app_label == "django_celery_beat"]


def beat_admin_urls():
    """Every admin page of every django-celery-beat model: list, add, and one row's change, delete, history."""
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="probe", task="ocrm.probe", interval=interval)
    CrontabSchedule.objects.get_or_create(minute="0", hour="3")
    urls = [reverse("admin:app_list", args=["django_celery_beat"])]
    for model in BEAT_MODELS:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        row = model.objects.first()
        if row is not None:
            urls += [reverse(f"{prefix}_{page}", args=[row.pk]) for page in ("change", "delete", "history")]
    return urls


def test_no_bank_role_holds_a_beat_permission_and_none_can_grant_the_operator_role(db):
    assert "platform_operator" not in ROLE_LABELS and "platform_operator" not in ROLE_PERMISSIONS
    for role in ROLE_PERMISSIONS:
        perms = Group.objects.get(name=role).permissions
        assert not perms.filter(content_type__app_label="django_celery_beat").exists(), role
        assert not perms.filter(codename="operate_platform").exists(), role
    assert Group.objects.get(name="platform_operator").permissions.filter(content_type__app_label="django_celery_beat").exists()


@pytest.mark.django_db
def test_bank_roles_reach_no_beat_admin_page_and_the_platform_operator_does(org):
    assert len(BEAT_MODELS) >= 5  # periodic tasks, crontab, interval, solar, clocked
    urls = beat_admin_urls()
    tasks_before = list(PeriodicTask.objects.values_list("pk", "enabled"))
    for user in {*org.role_users.values(), org.admin, org.b_admin, org.supervisor}:
        client = Client()
        client.force_login(user)
        for url in urls:
            status = client.get(url).status_code
            # 403 for staff without the permission, 404 for the app page, a redirect to log-in for non-staff.
            assert status in (302, 403, 404), (user.username, url, status)
        # The attack itself: disable every bank's nightly job, queue a one-off task.
        task = PeriodicTask.objects.get(name="probe")
        change = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
        assert client.post(change, {"name": "probe", "task": "ocrm.probe", "enabled": ""}).status_code in (302, 403)
        add = reverse("admin:django_celery_beat_periodictask_add")
        forged = {"name": "one-off", "task": maintenance.APPLY_TASK, "kwargs": '{"batch_id": 1}', "one_off": "on"}
        assert client.post(add, forged).status_code in (302, 403)
    assert list(PeriodicTask.objects.values_list("pk", "enabled")) == tasks_before
    assert not PeriodicTask.objects.filter(name="one-off").exists()

    operator = Client()
    operator.force_login(platform_operator())
    for url in urls:
        assert operator.get(url).status_code == 200, url


@pytest.mark.worker
def test_a_forged_apply_message_applies_nothing_and_is_audited_in_the_batchs_bank(org, celery_worker_factory):
    make_customer("C001", org.a_sh, org.manager)
    with translation.override("en"):
        batch = stage(org.supervisor, xlsx([["customer_number", "risk_level"], ["C001", "R5"]]))
    assert batch.status == MaintenanceBatch.Status.VALIDATED  # checked, waiting for the supervisor's Apply
    other_run = JobRun.objects.create(job=maintenance.APPLY_JOB, key="x", bank_id=org.bank_a.pk, triggered_by=org.supervisor)
    celery_worker_factory()

    forgeries = [
        # Bank B's administrator names bank A's batch and bank A's supervisor, without a queued run.
        {"batch_id": batch.pk, "actor_id": org.supervisor.pk, "run_id": None},
        # ... with a run of the supervisor's that is not this batch's apply.
        {"batch_id": batch.pk, "actor_id": org.supervisor.pk, "run_id": other_run.pk},
        # ... in their own name.
        {"batch_id": batch.pk, "actor_id": org.b_admin.pk, "run_id": other_run.pk},
    ]
    for kwargs in forgeries:
        app.send_task(maintenance.APPLY_TASK, kwargs=kwargs)
    refused = wait_for(
        lambda: (lambda qs: qs if qs.count() == len(forgeries) else None)(
            AuditLog.objects.filter(object_type="customers.maintenancebatch", object_id=str(batch.pk), detail__event="refused")
        ),
        "the forged messages to be refused",
        timeout=60,
    )
    assert {entry.bank_id for entry in refused} == {org.bank_a.pk}  # in the log of the bank whose data was aimed at
    assert all(entry.actor_id is None and entry.detail["task"] == maintenance.APPLY_TASK for entry in refused)
    assert {entry.detail["claimed_actor_id"] for entry in refused} == {org.supervisor.pk, org.b_admin.pk}
    batch.refresh_from_db()
    assert batch.status == MaintenanceBatch.Status.VALIDATED and batch.applied_by is None
    assert Customer.objects.get(number="C001").risk_level == ""
    assert not AuditLog.objects.filter(object_type="customers.maintenancebatch", detail__step="applied").exists()
    other_run.refresh_from_db()
    assert other_run.status == JobRun.Status.QUEUED  # a ticket that does not match is left alone

    # The supervisor's own Apply still works through the same task.
    run = maintenance.queue_apply(batch, org.supervisor)
    wait_for(lambda: JobRun.objects.filter(pk=run.pk, status=JobRun.Status.SUCCEEDED).first(), "the real apply", timeout=60)
    assert Customer.objects.get(number="C001").risk_level == "R5"


@pytest.mark.worker
def test_a_ticket_whose_person_lost_the_permission_is_failed_with_the_reason(org, celery_worker_factory):
    make_customer("C001", org.a_sh, org.manager)
    with translation.override("en"):
        batch = stage(org.supervisor, xlsx([["customer_number", "risk_level"], ["C001", "R5"]]))
    run = maintenance.queue_apply(batch, org.supervisor)
    org.supervisor.groups.clear()  # before the worker picks the message up
    celery_worker_factory()
    failed = wait_for(lambda: JobRun.objects.filter(pk=run.pk, status=JobRun.Status.FAILED).first(), "the refusal", timeout=60)
    assert "no longer holds the permission" in failed.error_report
    assert Customer.objects.get(number="C001").risk_level == ""


# --- per-bank schedules -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bank_switches_its_own_scheduled_runs_and_only_its_own(org, client):
    client.force_login(org.b_admin)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("jobs:schedules")).content.decode()
    assert "Audit-log retention clean-up" in html and f'data-job="{audit_jobs.AUDIT_RETENTION}"' in html
    response = client.post(reverse("jobs:schedules"), {"job": audit_jobs.AUDIT_RETENTION, "enabled": "0"})
    assert response.status_code == 302
    assert list(JobSchedule.objects.values_list("bank_id", "job", "enabled")) == [
        (org.bank_b.pk, audit_jobs.AUDIT_RETENTION, False)
    ]
    entry = AuditLog.objects.get(object_type="ocrm.jobschedule")
    assert (entry.actor, entry.bank_id, entry.changes) == (org.b_admin, org.bank_b.pk, {"enabled": [True, False]})

    # A scheduled run (the beat: no bank, no date) leaves bank B out; bank A still runs.
    result = run_per_bank(audit_jobs.RETENTION)
    ran = set(JobRun.objects.filter(job=audit_jobs.AUDIT_RETENTION, bank_id__isnull=False).values_list("bank_id", flat=True))
    assert ran == {org.bank_a.pk}, result
    # By hand, bank B's run still happens.
    run_per_bank(audit_jobs.RETENTION, bank_id=org.bank_b.pk)
    assert JobRun.objects.filter(job=audit_jobs.AUDIT_RETENTION, bank_id=org.bank_b.pk).exists()

    # Staff without the change permission see the page but cannot switch; bank A's list is its own.
    client.force_login(org.auditor)
    assert client.get(reverse("jobs:schedules")).status_code == 200
    assert client.post(reverse("jobs:schedules"), {"job": audit_jobs.AUDIT_RETENTION, "enabled": "1"}).status_code == 403
    client.force_login(org.admin)
    assert 'data-enabled="0"' not in client.get(reverse("jobs:schedules")).content.decode()
    assert JobSchedule.objects.get().enabled is False


@pytest.mark.django_db
def test_the_platform_operator_role_is_granted_on_the_server_to_a_person_of_no_bank(org):
    with pytest.raises(CommandError, match="belongs to a bank"):
        call_command("platform_operator", org.b_admin.username)
    assert not org.b_admin.groups.filter(name="platform_operator").exists()
    person = make_staff("ops.person")
    call_command("platform_operator", "ops.person")
    person.refresh_from_db()
    assert person.is_staff and person.groups.filter(name="platform_operator").exists()
    assert AuditLog.objects.filter(object_id=str(person.pk), detail__event="platform_operator_granted").exists()
    call_command("platform_operator", "ops.person", "--remove")
    person.refresh_from_db()
    assert not person.is_staff and not person.groups.exists()
