"""Campaign pages: a marketing manager builds, dry-runs and submits from the pages, another approves
in the approvals inbox, a manager answers from the 360 section, the evaluation shows it; scope
(404 outside), bounded queries, Chinese, the navigation entry."""

import pytest
from django.urls import reverse

from customers.master.models import CustomerGroup
from marketing.campaigns import services
from marketing.campaigns.models import Campaign, CampaignMember
from ocrm import navigation
from ocrm.approvals import services as approvals
from tests.factories import PASSWORD, make_product, make_staff
from tests.marketing.campaigns.conftest import consenting
from workbench.todo.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_a_campaign_from_a_group_through_the_pages(client, org, second_marketer):
    mine = consenting("C1", org.a_sh, org.manager)
    consenting("C2", org.a_sh, org.manager, do_not_contact=True)
    group = CustomerGroup.objects.create(bank=org.bank_a, owner=org.marketing_manager, name="Savers")
    group.members.set(mine.__class__.objects.filter(number__in=["C1", "C2"]))
    product = make_product(org.bank_a, "TD-1Y")
    _login(client, org.marketing_manager)
    answer = client.post(
        reverse("marketing:campaign_create"),
        {
            "name": "Autumn deposit",
            "goal": "Sell the deposit",
            "starts_on": "2026-12-01",
            "ends_on": "2027-01-31",
            "branch": org.a_ho.pk,
            "products": [product.pk],
            "group": group.pk,
            "channel_task": "on",
            "budget": "1000",
            "cost_per_contact": "2.5",
            "holdout_percent": "0",
            "exclude_days": "0",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Autumn deposit")
    client.post(reverse("marketing:campaign_dry_run", args=[campaign.pk]))
    page = client.get(reverse("marketing:campaign", args=[campaign.pk])).content.decode()
    assert 'data-rule="do_not_contact"' in page and "Do not contact" in page
    excluded = client.get(reverse("marketing:campaign_excluded", args=[campaign.pk])).content.decode()
    # Matched as a cell's whole text: a bare "C1" can occur inside the page's CSRF token.
    assert ">C2<" in excluded and ">C1<" not in excluded
    assert client.get(reverse("marketing:campaign_excluded", args=[campaign.pk]) + "?export=xlsx").status_code == 200
    client.post(reverse("marketing:campaign_submit", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PENDING
    assert campaign.change_request in approvals.pending_for_checker(second_marketer)
    approvals.approve(campaign.change_request_id, second_marketer)
    task = Task.objects.get(source=Task.Source.CAMPAIGN)
    assert task.assignee == org.manager and task.customer == mine
    # The manager answers from the 360 page's section.
    client.logout()
    _login(client, org.manager)
    profile = client.get(reverse("customers:detail", args=[mine.number])).content.decode()
    section_url = reverse("customers:section", args=[mine.number, "campaigns"])
    assert f'hx-get="{section_url}"' in profile  # below the fold: the section loads after the page
    assert "Autumn deposit" in client.get(section_url).content.decode()
    member = CampaignMember.objects.get(campaign=campaign, customer=mine)
    answered = client.post(reverse("marketing:campaign_respond", args=[member.pk]), {"response": "converted"})
    assert answered.status_code == 302 and answered.url == reverse("customers:detail", args=[mine.number])
    client.logout()
    _login(client, org.marketing_manager)
    evaluation = client.get(reverse("marketing:campaign_evaluation", args=[campaign.pk])).content.decode()
    assert 'id="eval-converted">1<' in evaluation
    assert client.get(reverse("marketing:campaign_evaluation", args=[campaign.pk]) + "?export=xlsx").status_code == 200


@pytest.fixture
def launched(org, build):
    mine = consenting("C1", org.a_sh, org.manager)
    theirs = consenting("C2", org.a_bj, org.manager_bj)
    campaign = build([mine, theirs], branch=org.a_cn)
    services.dry_run(campaign, org.marketing_manager)
    campaign = services.submit(campaign, org.marketing_manager)
    approvals.approve(campaign.change_request_id, make_staff("a.mm.x", branch=org.a_ho, roles=["marketing_manager"]))
    return campaign


def test_a_manager_answers_only_for_their_own_targets(client, org, launched):
    _login(client, org.manager)
    other = CampaignMember.objects.get(campaign=launched, customer__number="C2")
    assert client.post(reverse("marketing:campaign_respond", args=[other.pk]), {"response": "declined"}).status_code == 404
    assert CampaignMember.objects.get(pk=other.pk).response == ""
    # The deferred section: the manager's own target's campaigns; another manager's customer is a 404.
    assert "Time deposit autumn" in client.get(reverse("customers:section", args=["C1", "campaigns"])).content.decode()
    assert client.get(reverse("customers:section", args=["C2", "campaigns"])).status_code == 404
    # And the campaign pages are not theirs.
    assert client.get(reverse("marketing:campaign", args=[launched.pk])).status_code == 403


def test_campaign_owners_see_only_their_subtree(client, org, launched):
    london_marketer = make_staff("a.mm.ldn", branch=org.a_gb, roles=["marketing_manager"])
    _login(client, london_marketer)
    for name in ("campaign", "campaign_excluded", "campaign_evaluation"):
        assert client.get(reverse(f"marketing:{name}", args=[launched.pk])).status_code == 404, name
    assert "Time deposit autumn" not in client.get(reverse("marketing:campaigns")).content.decode()
    client.logout()
    _login(client, org.marketing_manager)
    assert "Time deposit autumn" in client.get(reverse("marketing:campaigns")).content.decode()


def test_the_evaluation_reads_aggregates_in_a_bounded_number_of_queries(client, org, launched, django_assert_max_num_queries):
    _login(client, org.marketing_manager)
    url = reverse("marketing:campaign_evaluation", args=[launched.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_the_pages_speak_chinese_and_the_navigation_lists_campaigns(client, org, launched):
    _login(client, org.marketing_manager)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("marketing:campaign", args=[launched.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "漏斗" in page and "Funnel" not in page
    evaluation = client.get(reverse("marketing:campaign_evaluation", args=[launched.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "对照组" in evaluation.content.decode()
    labels = [str(entry.label) for entry in navigation._entries if entry.url_name == "marketing:campaigns"]
    assert labels == ["营销活动"]  # the active language is still Chinese here
    assert client.get(reverse("marketing:campaigns")).status_code == 200


def test_a_dry_run_is_refused_once_launched(client, org, launched):
    _login(client, org.marketing_manager)
    answer = client.post(reverse("marketing:campaign_dry_run", args=[launched.pk]), follow=True)
    assert "Only a draft campaign can be dry-run." in answer.content.decode()
    assert CampaignMember.objects.filter(campaign=launched).count() == 2
