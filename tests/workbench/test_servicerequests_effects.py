"""What a service request's life sets off: set-based expiry (with its log chain, the customer's SMS
and the manager's follow-up task), the confirmation SMS with its code, the FX rate fixed at
confirmation, branch appointment checks and the diary entry, step time-limit reminders."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.master.models import FxRate
from ocrm.notifications.models import Notification
from ocrm.outbox.models import OutboundMessage
from sysadmin.org.models import Holiday
from sysadmin.roles import sync_roles
from tests.factories import make_customer
from workbench import desk
from workbench.calendar.models import Appointment
from workbench.servicerequests import effects, services
from workbench.servicerequests import reminders as step_reminders
from workbench.servicerequests.api import RequestSerializer
from workbench.servicerequests.models import ServiceRequest, ServiceRequestType
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db
S = ServiceRequest.Status
FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}


@pytest.fixture(autouse=True)
def roles_synced(org):
    sync_roles()


@pytest.fixture
def customer(org):
    services.seed_built_in_types(org.bank_a)
    return make_customer("C-SR-E1", org.a_sh, org.manager)


def _type(org, code):
    return ServiceRequestType.objects.get(bank=org.bank_a, code=code)


def _sent(org, customer, code="fx_cash_exchange", data=FX):
    return services.send(org.manager, services.create_request(org.manager, customer, _type(org, code), data))


def test_sending_queues_the_customers_sms_with_the_confirmation_code(org, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = _sent(org, customer)
    message = OutboundMessage.objects.get(dedupe_key=f"svcreq:{request.reference}:sent:1")
    assert message.recipient_kind == "customer" and message.recipient_id == str(customer.pk)
    assert effects.confirmation_code(request) in message.body and request.reference in message.body
    # A new version is a new message; the same version again is not.
    request = services.edit(org.manager, request, {**FX, "amount": "1200"})
    assert OutboundMessage.objects.filter(dedupe_key=f"svcreq:{request.reference}:sent:2").count() == 1
    effects.sms_status_change(request)
    assert OutboundMessage.objects.filter(dedupe_key=f"svcreq:{request.reference}:sent:2").count() == 1


def test_a_type_specific_template_wins_and_a_status_without_template_sends_nothing(org, customer):
    generic = OutboundMessage.objects.count()
    from ocrm.outbox.models import MessageTemplate  # noqa: PLC0415

    MessageTemplate.objects.filter(code="svcreq-sent").update(code="svcreq-fx_cash_exchange-sent")
    request = _sent(org, customer)
    assert OutboundMessage.objects.get(dedupe_key=f"svcreq:{request.reference}:sent:1").template.code == (
        "svcreq-fx_cash_exchange-sent"
    )
    MessageTemplate.objects.filter(code="svcreq-cancelled").delete()
    services.cancel(org.manager, request)
    assert OutboundMessage.objects.count() == generic + 1


def test_expiry_is_set_based_keeps_the_chain_and_tells_customer_and_manager(org, customer):
    requests = [_sent(org, customer) for _ in range(3)]
    waiting = _sent(org, customer)
    past = timezone.now() - datetime.timedelta(minutes=1)
    ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]).update(expires_at=past)
    assert services.expire_due() == 3
    assert services.expire_due() == 0
    for request in requests:
        request.refresh_from_db()
        assert request.status == S.EXPIRED
        assert services.verify_log(request) == (True, None)
        assert request.log_entries.order_by("-sequence").first().event == "status:expired"
        assert OutboundMessage.objects.filter(dedupe_key=f"svcreq:{request.reference}:expired:1").exists()
        task = Task.objects.get(source=Task.Source.SERVICE_REQUEST, source_key=f"svcreq:{request.reference}:expired")
        assert task.assignee == org.manager and task.customer == customer and request.reference in task.title
    waiting.refresh_from_db()
    assert waiting.status == S.SENT


def test_expiry_falls_at_the_end_of_the_branchs_local_day(org, customer):
    sent_at = datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.UTC)  # 04:00 on the 7th in Shanghai
    moment = services.expiry_moment(customer, sent_at, days=3)
    assert moment == datetime.datetime(2026, 12, 11, 0, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    request = _sent(org, customer)
    ServiceRequest.objects.filter(pk=request.pk).update(expires_at=moment)
    assert services.expire_due(now=moment - datetime.timedelta(seconds=1)) == 0
    assert services.expire_due(now=moment) == 1


def test_a_declined_request_becomes_a_task_for_the_manager(org, customer):
    request = _sent(org, customer)
    services.decline(customer, request.reference, request.content_hash, "online")
    assert Task.objects.filter(assignee=org.manager, source_key=f"svcreq:{request.reference}:declined").count() == 1


def test_the_board_rate_is_fixed_when_the_customer_confirms(org, customer):
    now = timezone.now()
    FxRate.objects.create(
        bank=org.bank_a, currency="USD", rate=Decimal("7.10"), sell_cash=Decimal("7.15"), as_of=now.date(), effective_at=now
    )
    request = _sent(org, customer)
    assert services.fx_quote(request)["fx_rate"] == "7.15000000"
    assert RequestSerializer(request).data["quote"]["fx_rate"] == "7.15000000"  # what the channel shows
    confirmed = services.confirm(customer, request.reference, request.content_hash, "online")
    assert confirmed.content["fx_rate"] == "7.15000000" and confirmed.content["amount"] == "1000"
    # A later posting does not move the fixed rate.
    FxRate.objects.create(
        bank=org.bank_a,
        currency="USD",
        rate=Decimal("7.30"),
        sell_cash=Decimal("7.35"),
        as_of=now.date(),
        effective_at=timezone.now(),
    )
    confirmed.refresh_from_db()
    assert confirmed.content["fx_rate"] == "7.15000000" and RequestSerializer(confirmed).data["quote"] is None
    assert services.verify_log(confirmed) == (True, None)


def _next_working_day(days_ahead=3):
    day = timezone.now().date() + datetime.timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += datetime.timedelta(days=1)
    return day


def test_an_appointment_must_fit_the_branch_calendar_and_its_slots(org, customer):
    appointment = _type(org, "appointment")
    day = _next_working_day()
    data = {"branch": "A-SH", "date": day.isoformat(), "time": "10:00", "purpose": "Open an account"}

    def refused(values):
        with pytest.raises(ValidationError) as error:
            services.create_request(org.manager, customer, appointment, values)
        return error.value.message_dict

    assert "branch" in refused({**data, "branch": "NOPE"})
    assert "time" in refused({**data, "time": "19:30"})
    saturday = day + datetime.timedelta(days=(6 - day.isoweekday()) % 7)
    assert "date" in refused({**data, "date": saturday.isoformat()})
    Holiday.objects.create(bank=org.bank_a, country="CN", date=day + datetime.timedelta(days=7), name="Holiday")
    assert "date" in refused({**data, "date": (day + datetime.timedelta(days=7)).isoformat()})
    assert "date" in refused({**data, "date": "2020-01-06"})
    for _ in range(3):
        services.send(org.manager, services.create_request(org.manager, customer, appointment, data))
    assert "time" in refused(data)
    assert ServiceRequest.objects.filter(request_type=appointment).count() == 3


def test_a_confirmed_appointment_enters_the_managers_diary(org, customer):
    day = _next_working_day()
    data = {"branch": "A-SH", "date": day.isoformat(), "time": "10:30", "purpose": "Open an account"}
    request = _sent(org, customer, "appointment", data)
    services.confirm(customer, request.reference, request.content_hash, "online")
    booked = Appointment.objects.get(customer=customer)
    assert booked.owner == org.manager and booked.channel == Appointment.Channel.BRANCH
    assert booked.start == datetime.datetime.combine(day, datetime.time(10, 30), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def test_a_step_past_its_time_limit_is_reminded_to_the_holders_of_its_role_at_the_processing_branch(
    org, customer, make_staff, django_capture_on_commit_callbacks
):
    colleague = make_staff("a.teller.sh2", branch=org.a_sh, roles=["teller"])
    elsewhere = make_staff("a.teller.bj", branch=org.a_bj, roles=["teller"])
    above = make_staff("a.teller.cn", branch=org.a_cn, roles=["teller"])  # holders at the branch come first
    request = _sent(org, customer)
    request = services.confirm(customer, request.reference, request.content_hash, "online")
    request = services.start_processing(org.teller, request)
    assert request.step_role == "teller"
    assert request.step_due_at == request.step_started_at + datetime.timedelta(hours=4)
    assert step_reminders.notify_due(now=request.step_due_at - datetime.timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert step_reminders.notify_due(now=request.step_due_at) == 1
    told = set(
        Notification.objects.filter(dedupe_key__startswith=f"svcreq-step:{request.reference}:0:").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {org.teller.pk, colleague.pk}
    assert elsewhere.pk not in told and above.pk not in told and org.manager.pk not in told
    assert "核对身份" in Notification.objects.filter(recipient=colleague).latest("pk").title  # in the recipient's language
    assert step_reminders.notify_due(now=request.step_due_at + datetime.timedelta(hours=1)) == 0  # once per step
    request = services.complete_step(org.teller, request)  # the next step is due again, 24 hours on
    assert request.step_reminded_at is None
    assert request.step_due_at == request.step_started_at + datetime.timedelta(hours=24)
    services.reject(org.teller, request, "No cash in stock")
    request.refresh_from_db()
    assert request.step_due_at is None and request.step_role == ""


def test_without_holders_at_the_branch_the_nearest_branch_above_is_reminded(org, make_staff):
    services.seed_built_in_types(org.bank_a)
    customer = make_customer("C-SR-SUB", org.a_sh_sub, org.manager_sub)
    above = make_staff("a.teller.cn2", branch=org.a_cn, roles=["teller"])
    request = services.create_request(org.manager_sub, customer, _type(org, "fx_cash_exchange"), {**FX, "branch": "A-SH-1"})
    request = services.send(org.manager_sub, request)
    request = services.confirm(customer, request.reference, request.content_hash, "online")
    request = services.start_processing(org.teller, request)  # A-SH's teller: A-SH-1 is in the subtree
    assert step_reminders.recipients([request]) == {request.pk: [org.teller]}
    org.teller.groups.clear()
    found = step_reminders.recipients([ServiceRequest.objects.select_related("processing_branch").get(pk=request.pk)])
    assert found == {request.pk: [above]}


def test_the_wiring_beat_row_task_reminder_kind_parameters_and_roles(org):
    from django.contrib.auth.models import Group  # noqa: PLC0415
    from django_celery_beat.models import PeriodicTask  # noqa: PLC0415

    from ocrm import parameters  # noqa: PLC0415
    from ocrm.celery import app  # noqa: PLC0415
    from workbench.reminders import kinds  # noqa: PLC0415

    for task in ("workbench.tasks.expire_service_requests", "workbench.tasks.service_request_step_reminders"):
        row = PeriodicTask.objects.select_related("crontab").get(task=task)
        assert row.enabled and row.crontab.minute == "*/10" and str(row.crontab.timezone) == "UTC"
    app.loader.import_default_modules()
    assert "workbench.tasks.expire_service_requests" in app.tasks
    assert "workbench.tasks.service_request_step_reminders" in app.tasks
    assert step_reminders.KIND not in {kind.key for kind in kinds.registered()}  # not one manager's reminder any more
    assert step_reminders.KIND in {source.key for source in desk.today_sources(org.teller)}
    assert parameters.get("servicerequests.expiry_days", org.bank_a) == 3
    for role in ("customer_manager", "branch_supervisor"):
        assert "add_servicerequest" in Group.objects.get(name=role).permissions.values_list("codename", flat=True)
    for role in ("teller", "branch_supervisor"):
        assert "process_servicerequest" in Group.objects.get(name=role).permissions.values_list("codename", flat=True)
