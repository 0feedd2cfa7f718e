"""Cross-border requests: bilateral agreements, the status machine, minimal sharing audited on
both sides, scope and tenant isolation."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from crossborder.agreements import services as agreements
from crossborder.requests import escalation, services
from crossborder.requests.models import CrossBorderRequest, ServiceType
from crossborder.requests.signals import request_completed
from customers.master.models import Customer
from ocrm.audit.models import AuditLog
from ocrm.errors import NotVisible, Refused
from ocrm.notifications.models import Notification
from ocrm.reporting import measure
from tests.factories import make_branch, make_customer, make_staff

UTC = datetime.UTC
S = CrossBorderRequest.Status


@pytest.fixture
def xb(org):
    org.ldn_officer = make_staff("a.xb.ldn", branch=org.a_ldn, roles=["crossborder_officer"])
    org.ldn_officer2 = make_staff("a.xb.ldn2", branch=org.a_ldn, roles=["crossborder_officer"])
    org.b_ldn = make_branch(org.bank_b, "B-LDN", org.b_ho, country="GB", tz="Europe/London")
    org.b_officer = make_staff("b.xb.ldn", branch=org.b_ldn, roles=["crossborder_officer"])
    org.customer = make_customer("C-XB-1", org.a_sh, manager=org.manager)
    org.verification = ServiceType.objects.get(code="document_verification")
    return org


def submit(org, to_branch=None, parts=("profile",), now=None):
    return services.submit(
        org.manager,
        customer_id=org.customer.pk,
        to_branch=to_branch or org.a_ldn,
        service_type=org.verification,
        form_data={"document": "passport copy"},
        shared_parts=parts,
        now=now,
    )


def test_service_types_are_seeded(db):
    codes = set(ServiceType.objects.values_list("code", flat=True))
    assert codes >= {
        "account_opening",
        "document_verification",
        "local_product_purchase",
        "remittance_support",
        "relationship_handoff",
    }


def test_due_time_is_in_the_receiving_branch_hours(xb):
    # Shanghai Monday 10:00 CST = London Monday 02:00 GMT: outside London hours, starts at 09:00.
    now = datetime.datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
    request = submit(xb, now=now)
    assert request.due_at == datetime.datetime(2026, 1, 12, 17, 0, tzinfo=UTC)  # 8 business hours
    shown = services.deadline(request, now=now)
    assert shown["due_receiving"].strftime("%H:%M") == "17:00"
    assert shown["due_requesting"].strftime("%d %H:%M") == "13 01:00"
    assert shown["business_seconds_remaining"] == 8 * 3600


def test_same_country_and_bad_form_are_refused(xb):
    with pytest.raises(Refused):
        submit(xb, to_branch=xb.a_bj)
    with pytest.raises(ValidationError) as error:
        services.submit(xb.manager, customer_id=xb.customer.pk, to_branch=xb.a_ldn, service_type=xb.verification, form_data={})
    assert "document" in error.value.message_dict
    assert not CrossBorderRequest.objects.exists()


def test_partner_bank_needs_both_sides_and_suspension_cuts_access_at_once(xb):
    with pytest.raises(Refused):
        submit(xb, to_branch=xb.b_ldn)
    agreement = agreements.accept(xb.admin, xb.bank_b.pk)
    with pytest.raises(Refused):  # one side is not enough
        submit(xb, to_branch=xb.b_ldn)
    with pytest.raises(PermissionDenied):  # only system administrators consent
        agreements.accept(xb.manager, xb.bank_b.pk)
    agreements.accept(xb.b_admin, xb.bank_a.pk)
    request = submit(xb, to_branch=xb.b_ldn)
    assert services.get_request(xb.b_officer, request.pk).pk == request.pk
    # Either side suspends: the partner's officer loses the request at once.
    agreements.suspend(xb.b_admin, agreement.pk)
    with pytest.raises(NotVisible):
        services.get_request(xb.b_officer, request.pk)
    with pytest.raises(Refused):
        submit(xb, to_branch=xb.b_ldn)
    agreements.resume(xb.b_admin, agreement.pk)
    assert services.get_request(xb.b_officer, request.pk)
    agreements.suspend(xb.admin, agreement.pk)
    with pytest.raises(NotVisible):
        services.shared_record(xb.b_officer, request.pk)
    # Audited in both banks.
    events = AuditLog.objects.filter(object_type="crossborder.crossborderagreement")
    assert set(events.values_list("bank_id", flat=True)) == {xb.bank_a.pk, xb.bank_b.pk}


def test_status_machine_and_completion_signal(xb, django_capture_on_commit_callbacks):
    request = submit(xb)
    with pytest.raises(PermissionDenied):
        services.accept(xb.manager, request.pk)
    with pytest.raises(Refused):
        services.complete(xb.ldn_officer, request.pk)  # submitted -> completed is not allowed
    services.accept(xb.ldn_officer, request.pk)
    services.reassign(xb.ldn_officer, request.pk, xb.ldn_officer2.pk)
    with pytest.raises(ValidationError):
        services.reassign(xb.ldn_officer, request.pk, xb.manager.pk)  # not of the receiving branch
    services.transition(xb.ldn_officer2, request.pk, S.IN_PROGRESS)
    services.transition(xb.ldn_officer2, request.pk, S.WAITING, note="need a clearer copy")
    services.post_message(xb.manager, request.pk, "Sent again")
    services.transition(xb.manager, request.pk, S.IN_PROGRESS)
    received = []

    def listener(**kwargs):
        received.append(kwargs)

    request_completed.connect(listener)
    try:
        with pytest.raises(ValidationError):
            services.complete(xb.ldn_officer2, request.pk, fee_amount_minor=1500, fee_currency="G1")
        with django_capture_on_commit_callbacks(execute=True):
            services.complete(xb.ldn_officer2, request.pk, fee_amount_minor=1500, fee_currency="gbp")
    finally:
        request_completed.disconnect(listener)
    request.refresh_from_db()
    assert request.status == S.COMPLETED and request.sharing_ends_at is not None
    assert len(received) == 1 and received[0]["amount_minor"] == 1500 and received[0]["currency"] == "GBP"
    assert received[0]["servicing_branch_id"] == xb.a_ldn.pk
    with pytest.raises(Refused):
        services.transition(xb.manager, request.pk, S.CANCELLED)
    actions = list(request.events.values_list("action", flat=True))
    assert actions[0] == "submitted" and "reassigned" in actions and actions[-1] == "status_completed"


def test_minimal_sharing_only_chosen_parts_and_audited_on_both_sides(xb):
    agreements.accept(xb.admin, xb.bank_b.pk)
    agreements.accept(xb.b_admin, xb.bank_a.pk)
    request = submit(xb, to_branch=xb.b_ldn, parts=["profile"])
    before = AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).count()
    _request, record = services.shared_record(xb.b_officer, request.pk)
    assert set(record) == {"profile"}
    assert record["profile"]["name"] == xb.customer.name_local
    views = AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).order_by("-id")[:2]
    assert AuditLog.objects.filter(action=AuditLog.Action.VIEW_PII).count() == before + 2
    assert {entry.bank_id for entry in views} == {xb.bank_a.pk, xb.bank_b.pk}
    # The requesting side's pages stay its own; the partner never sees the customer elsewhere.
    assert not Customer.objects.visible_to(xb.b_officer).filter(pk=xb.customer.pk).exists()
    with pytest.raises(PermissionDenied):
        services.shared_record(xb.manager, request.pk)


def test_sharing_ends_after_the_parameter_days(xb):
    request = submit(xb)
    services.accept(xb.ldn_officer, request.pk)
    services.transition(xb.ldn_officer, request.pk, S.DECLINED)
    request.refresh_from_db()
    assert services.shared_record(xb.ldn_officer, request.pk)
    later = request.sharing_ends_at + datetime.timedelta(seconds=1)
    with pytest.raises(Refused):
        services.shared_record(xb.ldn_officer, request.pk, now=later)


def test_scope_sender_sees_its_requests_receiver_its_queue(xb):
    request = submit(xb)
    qs = CrossBorderRequest.objects.visible_to
    assert qs(xb.manager).filter(pk=request.pk).exists()
    assert qs(xb.ldn_officer).filter(pk=request.pk).exists()
    assert not qs(xb.manager_bj).filter(pk=request.pk).exists()
    assert not qs(xb.b_manager).filter(pk=request.pk).exists()
    assert not qs(xb.b_officer).filter(pk=request.pk).exists()
    with pytest.raises(NotVisible):
        services.get_request(xb.b_officer, request.pk)


def test_escalation_at_80_and_100_percent_never_at_night(xb):
    # Monday 09:00 London; 8 business hours -> due 17:00.
    submitted = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    request = submit(xb, now=submitted)
    services.accept(xb.ldn_officer, request.pk)
    assert escalation.scan(now=datetime.datetime(2026, 1, 12, 14, 0, tzinfo=UTC)) == {"80": 0, "100": 0}  # 62%
    # 15:30 London = 23:30 Shanghai: the officer is told, the Shanghai manager must wait.
    assert escalation.scan(now=datetime.datetime(2026, 1, 12, 15, 30, tzinfo=UTC)) == {"80": 0, "100": 0}
    assert Notification.objects.filter(recipient=xb.ldn_officer).count() == 1
    assert not Notification.objects.filter(recipient=xb.manager).exists()
    # Tuesday 08:00 Shanghai (00:00 London): overdue; the manager is told, London's officer at midnight is not.
    assert escalation.scan(now=datetime.datetime(2026, 1, 13, 0, 0, tzinfo=UTC))["100"] == 0
    assert Notification.objects.filter(recipient=xb.manager).exists()
    assert Notification.objects.filter(recipient=xb.ldn_officer).count() == 1
    # Tuesday 09:00 London: everyone told; nothing twice afterwards.
    assert escalation.scan(now=datetime.datetime(2026, 1, 13, 9, 0, tzinfo=UTC))["100"] == 1
    assert escalation.scan(now=datetime.datetime(2026, 1, 13, 10, 0, tzinfo=UTC)) == {"80": 0, "100": 0}
    assert Notification.objects.filter(recipient=xb.ldn_officer).count() == 2


def test_escalation_waits_for_the_working_week(xb):
    """Due Friday 17:00 London: overdue over the weekend, but nobody is told on Saturday or Sunday
    (nor at London's or Shanghai's midnight); Monday morning in each zone, each is told once."""
    submitted = datetime.datetime(2026, 1, 16, 9, 0, tzinfo=UTC)  # Friday 09:00 London
    request = submit(xb, now=submitted)
    services.accept(xb.ldn_officer, request.pk)
    Notification.objects.all().delete()
    for moment in (
        datetime.datetime(2026, 1, 17, 10, 0, tzinfo=UTC),  # Saturday 10:00 London, 18:00 Shanghai
        datetime.datetime(2026, 1, 18, 0, 0, tzinfo=UTC),  # Sunday midnight London
        datetime.datetime(2026, 1, 18, 16, 0, tzinfo=UTC),  # Sunday 16:00 London, Monday 00:00 Shanghai
    ):
        escalation.scan(now=moment)
        assert not Notification.objects.exists(), moment
    escalation.scan(now=datetime.datetime(2026, 1, 19, 0, 0, tzinfo=UTC))  # Monday 08:00 Shanghai, 00:00 London
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {xb.manager.pk}
    escalation.scan(now=datetime.datetime(2026, 1, 19, 9, 0, tzinfo=UTC))  # Monday 09:00 London
    told = Notification.objects.filter(recipient=xb.ldn_officer)
    assert told.count() == 1  # the highest level reached (overdue), once
    escalation.scan(now=datetime.datetime(2026, 1, 19, 10, 0, tzinfo=UTC))
    assert told.count() == 1 and Notification.objects.filter(recipient=xb.manager).count() == 1


def test_report_measures_count_completed_and_sla_met(xb):
    request = submit(xb)
    services.accept(xb.ldn_officer, request.pk)
    services.transition(xb.ldn_officer, request.pk, S.IN_PROGRESS)
    services.complete(xb.ldn_officer, request.pk)
    request.refresh_from_db()
    params = {
        "bank_id": xb.bank_a.pk,
        "business_date": request.closed_at.date(),
        "day_start": request.closed_at - datetime.timedelta(hours=1),
        "day_end": request.closed_at + datetime.timedelta(hours=1),
    }
    for key in ("crossborder.requests_completed", "crossborder.requests_sla_met"):
        with connection.cursor() as cursor:
            cursor.execute(measure(key).sql, params)
            assert cursor.fetchall() == [(xb.a_ldn.pk, xb.ldn_officer.pk, 1)]
