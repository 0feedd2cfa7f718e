"""Campaigns end to end at the service level: the dry run's funnel, the deterministic holdout,
approval -> launch (tasks once, even on a double submit), responses, conversions and credits."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from customers.consent.models import ContactLog
from customers.master.models import Holding, Household
from customers.ownership.assignment.models import MarketingCredit
from marketing.campaigns import services
from marketing.campaigns.models import Campaign, CampaignMember, CampaignStat
from ocrm.approvals import services as approvals
from ocrm.errors import NotVisible
from tests.factories import make_product, make_staff
from tests.marketing.campaigns.conftest import consenting
from workbench.channelapi import offers
from workbench.todo import services as todo
from workbench.todo.models import Task

pytestmark = pytest.mark.django_db


def _launch(campaign, maker, checker):
    services.dry_run(campaign, maker)
    campaign = services.submit(campaign, maker)
    approvals.approve(campaign.change_request_id, checker)
    campaign.refresh_from_db()
    return campaign


def test_the_dry_run_counts_each_rule_and_names_the_rule_of_every_excluded_customer(org, build):
    ok = consenting("C1", org.a_sh, org.manager)
    dnc = consenting("C2", org.a_sh, org.manager, do_not_contact=True)
    no_consent = consenting("C3", org.a_sh, org.manager, consent=False)
    campaign = build([ok, dnc, no_consent])
    campaign = services.dry_run(campaign, org.marketing_manager)
    assert [(code, count) for code, _label, count in campaign.funnel] == [
        ("candidates", 3),
        ("do_not_contact", 2),
        ("no_consent", 1),
        ("frequency_cap", 1),
    ]
    excluded = dict(CampaignMember.objects.filter(campaign=campaign).values_list("customer__number", "excluded_by"))
    assert excluded == {"C1": "", "C2": "do_not_contact", "C3": "no_consent"}
    assert Task.objects.count() == 0  # a dry run creates nothing


def test_the_dry_runs_aggregates_are_those_a_full_rebuild_makes(org, build):
    customers = [consenting(f"S{n}", org.a_sh if n % 2 else org.a_ldn, org.manager if n % 3 else None) for n in range(12)]
    customers.append(consenting("SX", org.a_sh, org.manager, consent=False))
    campaign = services.dry_run(build(customers, holdout_percent=30), org.marketing_manager)
    columns = ("branch_id", "manager_id", "arm", "members", "contacted", "converted", "aum_delta_sum", "aum_delta_sumsq")
    written = sorted(CampaignStat.objects.filter(campaign=campaign).values_list(*columns), key=str)
    services.refresh_stats(campaign)
    assert written == sorted(CampaignStat.objects.filter(campaign=campaign).values_list(*columns), key=str)
    assert sum(row[3] for row in written) == 12


def test_targets_stay_inside_the_owning_branch_subtree(org, build):
    inside = consenting("C1", org.a_sh, org.manager)
    outside = consenting("C2", org.a_ldn)
    campaign = build([inside, outside], branch=org.a_cn)
    services.dry_run(campaign, org.marketing_manager)
    assert list(CampaignMember.objects.filter(campaign=campaign).values_list("customer__number", flat=True)) == ["C1"]


def test_the_frequency_cap_counts_contacts_over_all_campaigns(org, build, settings):
    customer = consenting("C1", org.a_sh, org.manager)
    now = datetime.datetime.now(datetime.UTC)
    for n in range(4):  # the default cap: 4 in 30 days
        ContactLog.objects.create(bank=org.bank_a, customer=customer, channel="sms", source=f"campaign:x{n}", contacted_at=now)
    campaign = services.dry_run(build([customer]), org.marketing_manager)
    assert CampaignMember.objects.get(campaign=campaign).excluded_by == "frequency_cap"
    ContactLog.objects.update(contacted_at=now - datetime.timedelta(days=31))
    campaign = services.dry_run(campaign, org.marketing_manager)
    assert CampaignMember.objects.get(campaign=campaign).excluded_by == ""


def test_not_within_days_of_another_campaign(org, build):
    customer = consenting("C1", org.a_sh, org.manager)
    earlier = _launch(build([customer]), org.marketing_manager, _checker(org))
    later = build([customer], exclude_campaign=earlier, exclude_days=30)
    later = services.dry_run(later, org.marketing_manager)
    assert CampaignMember.objects.get(campaign=later).excluded_by == "recent_campaign"
    ContactLog.objects.update(contacted_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=40))
    later = services.dry_run(later, org.marketing_manager)
    assert CampaignMember.objects.get(campaign=later).excluded_by == ""


def test_one_offer_per_household_when_the_campaign_says_so(org, build):
    home = Household.objects.create(bank=org.bank_a, name="Wang")
    first = consenting("C1", org.a_sh, org.manager, household=home)
    second = consenting("C2", org.a_sh, org.manager, household=home)
    alone = consenting("C3", org.a_sh, org.manager)
    campaign = services.dry_run(build([first, second, alone], household_once=True), org.marketing_manager)
    excluded = dict(CampaignMember.objects.filter(campaign=campaign).values_list("customer__number", "excluded_by"))
    assert excluded == {"C1": "", "C2": "household", "C3": ""}
    plain = services.dry_run(build([first, second, alone]), org.marketing_manager)
    assert not CampaignMember.objects.filter(campaign=plain).exclude(excluded_by="").exists()


def test_the_holdout_is_deterministic_and_near_its_percentage(org, build):
    customers = [consenting(f"C{n:03d}", org.a_sh, org.manager) for n in range(200)]
    campaign = services.dry_run(build(customers, holdout_percent=20), org.marketing_manager)
    arms = dict(CampaignMember.objects.filter(campaign=campaign).values_list("customer_id", "arm"))
    assert 20 <= list(arms.values()).count("control") <= 60
    for customer_id, arm in arms.items():
        assert arm == services.arm_of(campaign.seed, customer_id, 20)
    services.dry_run(campaign, org.marketing_manager)
    assert dict(CampaignMember.objects.filter(campaign=campaign).values_list("customer_id", "arm")) == arms


def _checker(org):
    return make_staff("a.mm.checker", branch=org.a_ho, roles=["marketing_manager"])


def test_launch_creates_one_task_per_target_and_lists_those_without_a_manager(org, build):
    with_manager = consenting("C1", org.a_sh, org.manager)
    in_london = consenting("C2", org.a_ldn, org.manager_bj)
    orphan = consenting("C3", org.a_sh)
    campaign = build([with_manager, in_london, orphan])
    services.dry_run(campaign, org.marketing_manager)
    assert services.summary(campaign)["no_manager"] == 1
    campaign = _launch(campaign, org.marketing_manager, _checker(org))
    assert campaign.status == Campaign.Status.LAUNCHED
    tasks = Task.objects.filter(source=Task.Source.CAMPAIGN)
    assert sorted(tasks.values_list("customer__number", flat=True)) == ["C1", "C2"]
    task = tasks.get(customer=with_manager)
    assert task.assignee == org.manager and task.source_key == f"campaign:{campaign.pk}:customer:{with_manager.pk}"
    # Due at the end of the campaign's last day in the assignee's zone (Shanghai).
    assert task.due_at == datetime.datetime(2027, 2, 1, tzinfo=datetime.UTC) - datetime.timedelta(hours=8)
    # Each assignee's own zone (the due moments are computed once per person, not per row).
    other = tasks.get(customer=in_london)
    assert other.due_at == todo.due_moment(campaign.ends_on, None, other.assignee.effective_timezone)
    assert ContactLog.objects.filter(source=campaign.source).count() == 3
    # A relaunch creates nothing twice.
    services.launch(campaign, org.marketing_manager)
    assert Task.objects.filter(source=Task.Source.CAMPAIGN).count() == 2
    assert ContactLog.objects.filter(source=campaign.source).count() == 3


def test_the_maker_cannot_approve_and_a_double_submit_is_refused(org, build):
    campaign = build([consenting("C1", org.a_sh, org.manager)])
    services.dry_run(campaign, org.marketing_manager)
    campaign = services.submit(campaign, org.marketing_manager)
    with pytest.raises(ValidationError):
        services.submit(campaign, org.marketing_manager)
    with pytest.raises(Exception):  # noqa: B017 - the maker is not a checker
        approvals.approve(campaign.change_request_id, org.marketing_manager)
    assert Task.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_launch_once(org, build):
    campaign = build([consenting(f"C{n}", org.a_sh, org.manager) for n in range(5)])
    services.dry_run(campaign, org.marketing_manager)
    campaign = services.submit(campaign, org.marketing_manager)
    checkers = [_checker(org)]
    checkers.append(make_staff("a.mm.checker2", branch=org.a_ho, roles=["marketing_manager"]))
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(checker):
        try:
            barrier.wait()
            approvals.approve(campaign.change_request_id, checker)
            outcomes.append("ok")
        except Exception as error:  # noqa: BLE001 - the loser's refusal is the point
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert Task.objects.filter(source=Task.Source.CAMPAIGN).count() == 5


def test_a_manager_records_responses_only_for_their_own_targets(org, build):
    mine = consenting("C1", org.a_sh, org.manager)
    theirs = consenting("C2", org.a_bj, org.manager_bj)
    campaign = _launch(build([mine, theirs]), org.marketing_manager, _checker(org))
    member = CampaignMember.objects.get(campaign=campaign, customer=mine)
    other = CampaignMember.objects.get(campaign=campaign, customer=theirs)
    with pytest.raises(NotVisible):
        services.record_response(other, org.manager, "interested")
    services.record_response(member, org.manager, "interested")
    stat = CampaignStat.objects.get(campaign=campaign, manager=org.manager, arm="target")
    assert (stat.members, stat.interested) == (1, 1)
    services.record_response(member, org.manager, "converted")
    stat.refresh_from_db()
    assert (stat.interested, stat.converted) == (0, 1)
    credit = MarketingCredit.objects.get(source=f"campaign:{campaign.pk}:customer:{mine.pk}")
    assert credit.manager == org.manager
    assert services.evaluation(campaign)["target"]["converted"] == 1


def test_nightly_conversion_detection_credits_targets_once_and_counts_control(org, build):
    customers = [consenting(f"C{n:02d}", org.a_sh, org.manager) for n in range(40)]
    campaign = _launch(build(customers, holdout_percent=30), org.marketing_manager, _checker(org))
    product = make_product(org.bank_a, "TD-1Y")
    opened = datetime.date.today()
    for n, customer in enumerate(customers[:10]):
        Holding.objects.create(
            bank_id=org.bank_a.pk, customer=customer, product=product, account_number=f"A{n}", currency="CNY", open_date=opened
        )
    # A holding of another product, or opened before the launch, is no conversion.
    Holding.objects.create(
        bank_id=org.bank_a.pk,
        customer=customers[20],
        product=product,
        account_number="OLD",
        currency="CNY",
        open_date=opened - datetime.timedelta(days=400),
    )
    converted = services.detect_conversions(org.bank_a.pk)
    assert converted == 10
    assert services.detect_conversions(org.bank_a.pk) == 0
    members = CampaignMember.objects.filter(campaign=campaign, converted_at__isnull=False)
    targets = members.filter(arm="target").count()
    assert MarketingCredit.objects.filter(source__startswith=f"campaign:{campaign.pk}:").count() == targets
    report = services.evaluation(campaign)
    assert report["target"]["converted"] + report["control"]["converted"] == 10


def test_uplift_is_inconclusive_on_small_arms_and_conclusive_on_a_clear_difference():
    small = services.uplift(
        {"members": 5, "converted": 5, "sum": 0, "sumsq": 0}, {"members": 5, "converted": 0, "sum": 0, "sumsq": 0}
    )
    assert not small["conversion"]["conclusive"]
    big = services.uplift(
        {"members": 1000, "converted": 300, "sum": 0, "sumsq": 0}, {"members": 1000, "converted": 100, "sum": 0, "sumsq": 0}
    )
    assert big["conversion"]["conclusive"] and big["conversion"]["low"] > 0.15


def test_channel_offers_list_active_offer_campaigns_of_the_customer(org, build):
    customer = consenting("C1", org.a_sh, org.manager)
    today = datetime.date.today()
    campaign = build([customer], channel_offer=True, starts_on=today, ends_on=today + datetime.timedelta(days=5))
    # Other providers (eligible products and bundles) offer too: look at the campaign offers only.
    assert [o for o in offers.offers_for(customer, "counter") if o.kind == "campaign"] == []
    _launch(campaign, org.marketing_manager, _checker(org))
    campaign_offers = [o.reference for o in offers.offers_for(customer, "counter") if o.kind == "campaign"]
    assert campaign_offers == [f"campaign:{campaign.pk}"]


def test_a_bad_uploaded_list_names_each_row_and_keeps_nothing(org, build):
    consenting("C1", org.a_sh, org.manager)
    campaign = build([])
    with pytest.raises(ValidationError) as refused:
        services.upload_numbers(
            campaign, org.marketing_manager, [{"customer_number": "C1"}, {"customer_number": "NOPE"}, {"customer_number": ""}]
        )
    messages = refused.value.messages
    assert any("Row 3" in m and "NOPE" in m for m in messages) and any("Row 4" in m for m in messages)
    campaign.refresh_from_db()
    assert campaign.uploaded_numbers == ""
    assert services.upload_numbers(campaign, org.marketing_manager, [{"customer_number": "C1"}]) == 1
    campaign = services.dry_run(campaign, org.marketing_manager)
    assert campaign.funnel[0][2] == 1
