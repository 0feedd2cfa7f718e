"""Issue 15, property-style over generated customers, through the campaign itself (dry run,
approval, launch to tasks and the SMS outbox): a do-not-contact customer is never a target, never
gets a task, never a message; nobody without marketing consent, over the frequency cap or in the
control group is reached; one offer per household when the campaign says so."""

import datetime
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.consent.models import ContactLog, ContactPolicy
from customers.master.models import ContactPoint, CustomerGroup, Household
from marketing.campaigns import services
from marketing.campaigns.models import CampaignMember
from ocrm.approvals import services as approvals
from ocrm.outbox.models import Category, Channel, Gateway, MessageTemplate, OutboundMessage, Purpose, State
from sysadmin.org.models import Staff
from tests.factories import make_customer, make_product, make_staff
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db
_numbers = itertools.count()

person = st.fixed_dictionaries(
    {
        "consent": st.booleans(),
        "dnc": st.booleans(),
        "no_sms": st.booleans(),
        "contacts": st.integers(min_value=0, max_value=5),
        "in_household": st.booleans(),
        "has_manager": st.booleans(),
    }
)


def _setup(org):
    Gateway.objects.get_or_create(bank=org.bank_a, name="console", channel=Channel.SMS, kind=Gateway.Kind.CONSOLE)
    template, _created = MessageTemplate.objects.get_or_create(
        bank=org.bank_a,
        code="campaign-promo",
        defaults={
            "name": "campaign promo",
            "purpose": Purpose.MARKETING,
            "category": Category.STANDARD,
            "variables": ["campaign"],
            "texts": {"zh-hans": {"body": "{{campaign}}"}, "en": {"body": "{{campaign}}"}},
        },
    )
    # Hypothesis runs every example in the same test database: the checker is made once.
    checker = Staff.objects.filter(username="a.mm.prop").first() or make_staff(
        "a.mm.prop", branch=org.a_ho, roles=["marketing_manager"]
    )
    return template, checker


def _person(org, home, flags):
    customer = make_customer(
        f"Q{next(_numbers):06d}",
        org.a_sh,
        org.manager if flags["has_manager"] else None,
        do_not_contact=flags["dnc"],
        do_not_sms=flags["no_sms"],
        household=home if flags["in_household"] else None,
    )
    ContactPolicy.objects.create(bank=org.bank_a, customer=customer, marketing_consent=flags["consent"])
    ContactPoint.objects.create(
        bank_id=customer.bank_id, customer=customer, kind="mobile", value="+8613800000000", is_primary=True
    )
    ContactLog.objects.bulk_create(
        ContactLog(
            bank=org.bank_a,
            customer=customer,
            channel="sms",
            source=f"old:{n}:{customer.pk}",
            contacted_at=datetime.datetime.now(datetime.UTC),
        )
        for n in range(flags["contacts"])
    )
    return customer


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=8), household_once=st.booleans(), holdout=st.sampled_from([0, 30]))
def test_a_do_not_contact_customer_is_never_targeted_tasked_nor_messaged(org, people, household_once, holdout):
    template, checker = _setup(org)
    run = next(_numbers)
    home = Household.objects.create(bank=org.bank_a, name=f"H{run}")
    customers = [(_person(org, home, flags), flags) for flags in people]
    group = CustomerGroup.objects.create(bank=org.bank_a, owner=org.marketing_manager, name=f"P{run}")
    group.members.set([c for c, _flags in customers])
    campaign = services.create_campaign(
        org.marketing_manager,
        products=[make_product(org.bank_a, f"TD-P{run}")],
        name=f"Property {run}",
        goal="g",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2027, 1, 31),
        branch=org.a_ho,
        group=group,
        channel_task=True,
        channel_sms=True,
        sms_template=template,
        holdout_percent=holdout,
        household_once=household_once,
        cost_per_contact=1,
    )
    services.dry_run(campaign, org.marketing_manager)
    campaign = services.submit(campaign, org.marketing_manager)
    approvals.approve(campaign.change_request_id, checker)
    members = {m.customer_id: m for m in CampaignMember.objects.filter(campaign=campaign)}
    tasked = set(Task.objects.filter(source_key__startswith=f"campaign:{campaign.pk}:").values_list("customer_id", flat=True))
    messaged = {
        int(recipient)
        for recipient, state in OutboundMessage.objects.filter(dedupe_key__startswith=campaign.source).values_list(
            "recipient_id", "state"
        )
        if state != State.SUPPRESSED
    }
    for customer, flags in customers:
        member = members[customer.pk]
        reached = customer.pk in tasked or customer.pk in messaged
        if flags["dnc"]:
            assert member.excluded_by == "do_not_contact" and not reached
        if not flags["consent"] or flags["contacts"] >= 4:
            assert member.excluded_by != "" and not reached
        if member.excluded_by or member.arm == CampaignMember.Arm.CONTROL:
            assert not reached  # excluded and control customers are never reached
        if customer.pk in tasked:
            assert flags["has_manager"]  # tasks go to the primary manager only
    if household_once:
        assert sum(1 for c, f in customers if f["in_household"] and members[c.pk].excluded_by == "") <= 1
