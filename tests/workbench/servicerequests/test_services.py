"""Service requests: the state machine, hash-bound confirmation, steps with attachments, the
tamper-evident log and expiry at the end of the branch's local day."""

import datetime
import io
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from ocrm.errors import NotVisible, Refused
from tests.factories import make_branch, make_customer
from workbench.servicerequests import services
from workbench.servicerequests.models import ServiceRequest, ServiceRequestLogEntry, ServiceRequestType

pytestmark = pytest.mark.django_db
S = ServiceRequest.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FX = {"currency": "USD", "amount": "1000", "branch": "A-SH", "pickup_date": "2026-12-10"}


@pytest.fixture
def fx_type(org):
    services.seed_built_in_types(org.bank_a)
    return ServiceRequestType.objects.get(bank=org.bank_a, code="fx_cash_exchange")


@pytest.fixture
def customer(org):
    return make_customer("C-SR-1", org.a_sh, org.manager)


def _sent(org, customer, fx_type):
    request = services.create_request(org.manager, customer, fx_type, FX)
    return services.send(org.manager, request)


def _confirmed(org, customer, fx_type):
    request = _sent(org, customer, fx_type)
    return services.confirm(customer, request.reference, request.content_hash, "online")


def test_the_happy_path_with_steps_and_an_image(org, customer, fx_type):
    request = _confirmed(org, customer, fx_type)
    assert request.status == S.CONFIRMED
    request = services.start_processing(org.teller, request)
    services.add_attachment(org.teller, request, io.BytesIO(PNG), kind="id_copy")
    request = services.complete_step(org.teller, request)
    assert request.step_index == 1
    request = services.complete_step(org.teller, request)
    assert request.status == S.COMPLETED
    assert services.verify_log(request) == (True, None)


@pytest.mark.parametrize(
    "status,action",
    [
        (S.DRAFT, "confirm"),
        (S.DRAFT, "start"),
        (S.DRAFT, "reject"),
        (S.SENT, "start"),
        (S.SENT, "reject"),
        (S.CONFIRMED, "send"),
        (S.CONFIRMED, "confirm"),
        (S.CONFIRMED, "reject"),
        (S.DECLINED, "send"),
        (S.DECLINED, "start"),
        (S.DECLINED, "cancel"),
        (S.EXPIRED, "confirm"),
        (S.EXPIRED, "start"),
        (S.EXPIRED, "cancel"),
        (S.PROCESSING, "send"),
        (S.PROCESSING, "confirm"),
        (S.PROCESSING, "start"),
        (S.COMPLETED, "cancel"),
        (S.COMPLETED, "reject"),
        (S.COMPLETED, "start"),
        (S.REJECTED, "cancel"),
        (S.REJECTED, "start"),
        (S.CANCELLED, "send"),
        (S.CANCELLED, "start"),
        (S.CANCELLED, "confirm"),
    ],
)
def test_every_illegal_transition_is_refused_with_a_clear_message(org, customer, fx_type, status, action):
    request = services.create_request(org.manager, customer, fx_type, FX)
    ServiceRequest.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    entries = ServiceRequestLogEntry.objects.count()
    actions = {
        "send": lambda: services.send(org.manager, request),
        "confirm": lambda: services.confirm(customer, request.reference, request.content_hash, "online"),
        "start": lambda: services.start_processing(org.teller, request),  # the back office (the step's role)
        "reject": lambda: services.reject(org.teller, request, "no"),
        "cancel": lambda: services.cancel(org.manager, request),
    }
    with pytest.raises(Refused) as refused:
        actions[action]()
    assert str(refused.value)
    request.refresh_from_db()
    assert request.status == status
    assert ServiceRequestLogEntry.objects.count() == entries


def test_the_transition_table_refuses_every_move_not_listed():
    for current in S:
        for target in S:
            allowed = target in services.TRANSITIONS[current]
            request = ServiceRequest(status=current)
            if allowed:
                continue
            with pytest.raises(Refused, match="cannot become"):
                services._move(request, target)


def test_an_edit_after_sending_voids_the_pending_confirmation(org, customer, fx_type):
    request = _sent(org, customer, fx_type)
    old_hash = request.content_hash
    assert old_hash == services.content_hash(request.content)
    request = services.edit(org.manager, request, {**FX, "amount": "2000"})
    assert request.version == 2 and request.status == S.SENT
    with pytest.raises(Refused, match="changed after it was sent"):
        services.confirm(customer, request.reference, old_hash, "online")
    confirmed = services.confirm(customer, request.reference, request.content_hash, "online")
    assert confirmed.status == S.CONFIRMED


def test_the_hash_is_canonical_whatever_the_key_order():
    assert services.content_hash({"b": 1, "a": "汇"}) == services.content_hash({"a": "汇", "b": 1})


def test_bad_content_names_the_field_and_writes_nothing(org, customer, fx_type):
    with pytest.raises(ValidationError) as error:
        services.create_request(org.manager, customer, fx_type, {**FX, "amount": "lots", "currency": "XXX"})
    assert set(error.value.message_dict) == {"amount", "currency"}
    assert ServiceRequest.objects.count() == 0


def test_defaults_come_from_the_customer_record(org, customer):
    services.seed_built_in_types(org.bank_a)
    kind = ServiceRequestType.objects.get(bank=org.bank_a, code="product_application")
    request = services.create_request(org.manager, customer, kind, {"product": "Deposit"})
    assert request.content["name"] == customer.name_local


def test_a_confirmation_through_a_channel_the_type_does_not_allow_is_refused(org, customer, fx_type):
    request = _sent(org, customer, fx_type)
    with pytest.raises(Refused):
        services.confirm(customer, request.reference, request.content_hash, "phone")


def test_attachments_stay_with_their_step_when_going_back_and_forth(org, customer, fx_type):
    request = services.start_processing(org.teller, _confirmed(org, customer, fx_type))
    first = services.add_attachment(org.teller, request, io.BytesIO(PNG), kind="id_copy")
    request = services.save_progress(org.teller, request, {"checked": "yes"})
    request = services.complete_step(org.teller, request)
    second = services.add_attachment(org.teller, request, io.BytesIO(b"%PDF-1.4 receipt"))
    request = services.go_to_step(org.teller, request, 0)
    request = services.go_to_step(org.teller, request, 1)
    request = services.go_to_step(org.teller, request, 0)
    assert {(a.pk, a.step_index) for a in request.attachments.all()} == {(first.pk, 0), (second.pk, 1)}
    assert request.step_progress["0"] == {"checked": "yes"}
    first.refresh_from_db()
    assert first.file.read() == PNG and first.content_type == "image/png"


def test_progress_is_resumed_by_a_colleague_with_the_same_role_only(org, customer, fx_type, make_staff):
    request = services.start_processing(org.teller, _confirmed(org, customer, fx_type))
    services.save_progress(org.teller, request, {"checked": "half"})
    colleague = make_staff("a.teller2", branch=org.a_sh, roles=["teller"])
    request = services.save_progress(colleague, request, {"checked": "all"})
    assert request.step_progress["0"] == {"checked": "all"}
    with pytest.raises(NotVisible):  # the customer's manager does not hold the role: not theirs to process
        services.save_progress(org.manager, request, {"checked": "no"})


def test_attachment_types_are_sniffed_and_sizes_capped(org, customer, fx_type):
    request = services.start_processing(org.teller, _confirmed(org, customer, fx_type))
    with pytest.raises(ValidationError, match="Only PNG"):
        services.add_attachment(org.teller, request, io.BytesIO(b"MZ not an image, named photo.png"))
    with pytest.raises(ValidationError, match="5 MB"):
        services.add_attachment(org.teller, request, io.BytesIO(PNG + b"\x00" * services.MAX_ATTACHMENT_BYTES))
    assert request.attachments.count() == 0


def test_the_tamper_check_names_the_first_altered_entry(org, customer, fx_type):
    request = services.start_processing(org.teller, _confirmed(org, customer, fx_type))
    call_command("check_request_log", request.reference, stdout=io.StringIO())
    entry = request.log_entries.get(sequence=2)
    ServiceRequestLogEntry.objects.filter(pk=entry.pk).update(detail={**entry.detail, "version": 99})
    assert services.verify_log(request) == (False, (2, "entry altered"))
    with pytest.raises(CommandError, match="entry 2 is bad"):
        call_command("check_request_log", request.reference, stdout=io.StringIO())


def test_the_tamper_check_notices_a_removed_entry(org, customer, fx_type):
    request = _confirmed(org, customer, fx_type)
    request.log_entries.filter(sequence=2).delete()
    assert services.verify_log(request) == (False, (2, "missing entry"))


@pytest.mark.parametrize(
    "branch_zone,sent_utc,expected_local_end",
    [
        ("Asia/Shanghai", datetime.datetime(2026, 12, 6, 17, 0), datetime.datetime(2026, 12, 11, 0, 0)),
        ("Europe/London", datetime.datetime(2026, 12, 6, 23, 30), datetime.datetime(2026, 12, 10, 0, 0)),
        ("America/New_York", datetime.datetime(2026, 12, 7, 3, 0), datetime.datetime(2026, 12, 10, 0, 0)),
        # Sent the Friday before New York's clocks go forward (8 March 2026): still the end of the local day.
        ("America/New_York", datetime.datetime(2026, 3, 6, 15, 0), datetime.datetime(2026, 3, 10, 0, 0)),
    ],
)
def test_unconfirmed_requests_expire_at_the_end_of_the_branchs_local_day(org, fx_type, branch_zone, sent_utc, expected_local_end):
    branch = make_branch(org.bank_a, "A-X", org.a_ho, country="US", tz=branch_zone) if "York" in branch_zone else None
    branch = branch or (org.a_ldn if branch_zone == "Europe/London" else org.a_sh)
    customer = make_customer("C-SR-Z", branch, org.manager)
    zone = zoneinfo.ZoneInfo(branch_zone)
    expires = services.expiry_moment(customer, sent_utc.replace(tzinfo=datetime.UTC), days=3)
    assert expires == expected_local_end.replace(tzinfo=zone)
    request = (
        services.create_request(org.superuser if hasattr(org, "superuser") else org.manager, customer, fx_type, FX)
        if branch == org.a_sh
        else None
    )
    if request is None:
        return
    ServiceRequest.objects.filter(pk=request.pk).update(status=S.SENT, expires_at=expires)
    assert services.expire_due(now=expires - datetime.timedelta(seconds=1)) == 0
    assert services.expire_due(now=expires) == 1
    request.refresh_from_db()
    assert request.status == S.EXPIRED
    assert services.verify_log(request) == (True, None)


def test_other_managers_and_banks_cannot_see_or_act(org, customer, fx_type):
    request = _sent(org, customer, fx_type)
    for outsider in (org.manager_bj, org.b_manager):
        with pytest.raises(NotVisible):
            services.cancel(outsider, request)
        with pytest.raises(NotVisible):
            services.get_by_reference(request.reference, outsider)
    other = make_customer("C-SR-2", org.a_sh, org.manager)
    with pytest.raises(NotVisible):
        services.confirm(other, request.reference, request.content_hash, "online")
