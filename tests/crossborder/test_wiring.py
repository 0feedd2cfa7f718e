"""The area's wiring: the escalation's beat schedule, the navigation entries, the bench suite and
the permissions the roles give (instead of group names)."""

from django.contrib.auth.models import Group
from django_celery_beat.models import PeriodicTask

from bench.__main__ import SUITES
from crossborder.agreements import services as agreements
from crossborder.requests import services
from ocrm import navigation
from tests.factories import make_staff


def test_escalation_runs_every_15_minutes(db):
    task = PeriodicTask.objects.get(task="crossborder.tasks.escalate_requests")
    assert task.enabled and task.crontab.minute == "*/15" and task.crontab.hour == "*"


def test_navigation_shows_requests_to_managers_and_agreements_to_admins(org):
    manager_urls = {item["url"] for item in navigation.entries_for(org.manager)}
    assert "/crossborder/requests/" in manager_urls
    admin = make_staff("a.sys.nav", branch=org.a_ho, roles=["system_admin"])
    assert "/crossborder/agreements/" in {item["url"] for item in navigation.entries_for(admin)}


def test_roles_hold_the_crossborder_permissions(org):
    officer_perms = Group.objects.get(name="crossborder_officer").permissions.values_list("codename", flat=True)
    assert "handle_crossborder_request" in officer_perms
    officer = make_staff("a.xb.wire", branch=org.a_ldn, roles=["crossborder_officer"])
    manager = make_staff("a.rm.wire", branch=org.a_ldn, roles=["customer_manager"])
    assert services.is_officer(officer, org.a_ldn) and not services.is_officer(manager, org.a_ldn)
    assert not services.is_officer(officer, org.a_sh)  # only for the own branch
    assert list(services.officers_of(org.a_ldn)) == [officer]
    admin = make_staff("a.sys.wire", branch=org.a_ho, roles=["system_admin"])
    assert agreements.is_bank_admin(admin) and not agreements.is_bank_admin(officer)


def test_bench_knows_the_sla_suite():
    assert SUITES["sla"] == "bench.sla"
