"""The one contact policy, set-based and per recipient: each rule alone, all together, the frequency
cap in the outbox, and (property-style over generated customers) a do-not-contact customer is never
targeted and never messaged."""

import datetime
import itertools

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.consent import policy
from customers.consent.models import ContactLog, ContactPolicy
from customers.master.models import ContactPoint, Household
from ocrm.outbox import services as outbox
from ocrm.outbox.models import Category, Channel, Gateway, MessageTemplate, OutboundMessage, Purpose, State
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2027, 2, 10, 4, 0, tzinfo=datetime.UTC)  # 12:00 in Shanghai: no quiet hours
_numbers = itertools.count()


def _customer(org, *, consent=True, dnc=False, no_sms=False, household=None, contacts=0, recent=None):
    customer = make_customer(
        f"P{next(_numbers):06d}", org.a_sh, org.manager, do_not_contact=dnc, do_not_sms=no_sms, household=household
    )
    ContactPolicy.objects.create(bank=org.bank_a, customer=customer, marketing_consent=consent)
    ContactPoint.objects.create(
        bank_id=customer.bank_id, customer=customer, kind="mobile", value="+8613800000000", is_primary=True
    )
    for n in range(contacts):
        ContactLog.objects.create(bank=org.bank_a, customer=customer, channel="task", source=f"campaign:old{n}", contacted_at=NOW)
    if recent:
        ContactLog.objects.create(bank=org.bank_a, customer=customer, channel="sms", source=recent, contacted_at=NOW)
    return customer


def _run(customers, ctx):
    """The set-based rules over a candidate table of these customers: ({customer id: rule}, funnel)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS policy_candidates (customer_id bigint, excluded_by text)")
        cursor.execute("TRUNCATE policy_candidates")
        cursor.executemany("INSERT INTO policy_candidates VALUES (%s, '')", [(c.pk,) for c in customers])
    funnel = policy.apply_rules("policy_candidates", "TRUE", [], ctx)
    with connection.cursor() as cursor:
        cursor.execute("SELECT customer_id, excluded_by FROM policy_candidates")
        return dict(cursor.fetchall()), funnel


def _ctx(org, **values):
    return policy.Context(bank_id=org.bank_a.pk, now=NOW, **values)


@pytest.mark.parametrize(
    ("flags", "ctx_values", "rule"),
    [
        ({"dnc": True}, {}, "do_not_contact"),
        ({"consent": False}, {}, "no_consent"),
        ({"no_sms": True}, {"channels": ("sms",)}, "channel_opt_out"),
        ({"contacts": 4}, {}, "frequency_cap"),
        ({"recent": "campaign:7"}, {"recent_sources": ("campaign:7",), "recent_days": 10}, "recent_campaign"),
    ],
)
def test_each_rule_alone_excludes_and_is_named(org, flags, ctx_values, rule):
    excluded = _customer(org, **flags)
    fine = _customer(org)
    rules, funnel = _run([excluded, fine], _ctx(org, **ctx_values))
    assert rules == {excluded.pk: rule, fine.pk: ""}
    assert dict((code, n) for code, _label, n in funnel)[rule] == 1
    assert policy.exclusion_for(excluded.pk, _ctx(org, **ctx_values)) == rule
    assert policy.exclusion_for(fine.pk, _ctx(org, **ctx_values)) is None


def test_rules_that_do_not_apply_let_customers_through(org):
    no_consent = _customer(org, consent=False)
    no_sms = _customer(org, no_sms=True)
    three = _customer(org, contacts=3)  # below the default cap of 4
    rules, _funnel = _run([no_consent, no_sms, three], _ctx(org, purpose="service", channels=("task", "sms")))
    assert set(rules.values()) == {""}


def test_all_rules_together_name_the_first_in_order_and_keep_one_per_household(org):
    home = Household.objects.create(bank=org.bank_a, name="Li")
    both = _customer(org, dnc=True, consent=False)
    capped = _customer(org, contacts=5, recent="campaign:9")
    first, second = _customer(org, household=home), _customer(org, household=home)
    rules, funnel = _run(
        [both, capped, first, second],
        _ctx(org, recent_sources=("campaign:9",), recent_days=30, household_once=True),
    )
    assert rules == {both.pk: "do_not_contact", capped.pk: "frequency_cap", first.pk: "", second.pk: "household"}
    assert [n for _code, _label, n in funnel] == [4, 3, 3, 2, 2, 1]


def test_the_outbox_suppresses_marketing_over_the_frequency_cap(org):
    Gateway.objects.create(bank=org.bank_a, name="console", channel=Channel.SMS, kind=Gateway.Kind.CONSOLE)
    promo = _promo(org)
    capped = _customer(org, contacts=4)
    fresh = _customer(org)
    outbox.send_many(promo, "customer", [capped.pk, fresh.pk], context={"name": "x"}, dedupe_prefix="cap-test", now=NOW)
    states = dict(OutboundMessage.objects.values_list("recipient_id", "state"))
    assert states[str(capped.pk)] == State.SUPPRESSED
    assert states[str(fresh.pk)] != State.SUPPRESSED


def _promo(org):
    return MessageTemplate.objects.get_or_create(
        bank=org.bank_a,
        code="promo",
        defaults={
            "name": "promo",
            "purpose": Purpose.MARKETING,
            "category": Category.STANDARD,
            "variables": ["name"],
            "texts": {"zh-hans": {"body": "{{name}} 您好"}, "en": {"body": "Hello {{name}}"}},
        },
    )[0]


customer_flags = st.fixed_dictionaries(
    {
        "consent": st.booleans(),
        "dnc": st.booleans(),
        "no_sms": st.booleans(),
        "contacts": st.integers(min_value=0, max_value=5),
        "in_household": st.booleans(),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(customer_flags, min_size=1, max_size=8), sms_only=st.booleans(), household_once=st.booleans())
def test_a_do_not_contact_customer_is_never_targeted_nor_messaged(org, people, sms_only, household_once):
    Gateway.objects.get_or_create(bank=org.bank_a, name="console", channel=Channel.SMS, kind=Gateway.Kind.CONSOLE)
    home = Household.objects.create(bank=org.bank_a, name="H")
    customers = []
    for flags in people:
        in_household = flags.pop("in_household")
        customers.append((_customer(org, household=home if in_household else None, **flags), flags, in_household))
    ctx = _ctx(org, channels=("sms",) if sms_only else ("task",), household_once=household_once)
    rules, _funnel = _run([c for c, _f, _h in customers], ctx)
    kept_households = 0
    for customer, flags, in_household in customers:
        rule = rules[customer.pk]
        if flags["dnc"]:
            assert rule == "do_not_contact"
        if not flags["consent"] or flags["contacts"] >= 4 or (sms_only and flags["no_sms"]):
            assert rule != ""
        if rule == "" and in_household:
            kept_households += 1
    if household_once:
        assert kept_households <= 1
    prefix = f"prop-{next(_numbers)}"
    outbox.send_many(
        _promo(org), "customer", [c.pk for c, _f, _h in customers], context={"name": "x"}, dedupe_prefix=prefix, now=NOW
    )
    states = dict(OutboundMessage.objects.filter(dedupe_key__startswith=prefix).values_list("recipient_id", "state"))
    for customer, flags, _h in customers:
        if flags["dnc"]:
            assert states.get(str(customer.pk), State.SUPPRESSED) == State.SUPPRESSED
