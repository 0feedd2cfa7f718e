"""A campaign response recorded from the task the campaign launched (the workbench task page's
panel): through marketing.campaigns.services.record_response, counted once in the aggregates,
only for the manager's own target (404 elsewhere), a task of another source has no panel."""

import pytest
from django.urls import reverse

from customers.ownership.assignment.models import MarketingCredit
from marketing.campaigns import services
from marketing.campaigns.models import CampaignMember, CampaignStat
from ocrm.approvals import services as approvals
from sysadmin.org.models import Staff
from tests.factories import PASSWORD, make_staff
from tests.marketing.campaigns.conftest import consenting
from workbench.todo.models import Task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def launched(org, build):
    mine = consenting("C1", org.a_sh, org.manager)
    theirs = consenting("C2", org.a_bj, org.manager_bj)
    campaign = build([mine, theirs], branch=org.a_cn)
    services.dry_run(campaign, org.marketing_manager)
    campaign = services.submit(campaign, org.marketing_manager)
    approvals.approve(campaign.change_request_id, make_staff("a.mm.x", branch=org.a_ho, roles=["marketing_manager"]))
    return campaign


def test_the_task_page_records_the_response(client, org, launched):
    task = Task.objects.get(assignee=org.manager, source=Task.Source.CAMPAIGN)
    _login(client, org.manager)
    page = client.get(reverse("workbench:task", args=[task.pk])).content.decode()
    assert reverse("marketing:campaign_task_response", args=[task.pk]) in page
    panel = client.get(reverse("marketing:campaign_task_response", args=[task.pk]))
    assert panel.status_code == 200 and launched.name in panel.content.decode()
    response = client.post(reverse("marketing:campaign_task_response", args=[task.pk]), {"response": "converted"})
    assert response.status_code == 302 and response["Location"] == reverse("workbench:task", args=[task.pk])
    member = CampaignMember.objects.get(campaign=launched, customer__number="C1")
    assert member.response == "converted" and member.converted_at is not None
    assert MarketingCredit.objects.filter(customer=member.customer, manager=org.manager).count() == 1
    # Recorded twice: counted and credited once.
    client.post(reverse("marketing:campaign_task_response", args=[task.pk]), {"response": "converted"})
    assert sum(CampaignStat.objects.filter(campaign=launched, arm="target").values_list("converted", flat=True)) == 1
    assert MarketingCredit.objects.filter(customer=member.customer).count() == 1


def test_a_bad_response_is_a_message_not_a_change(client, org, launched):
    task = Task.objects.get(assignee=org.manager, source=Task.Source.CAMPAIGN)
    _login(client, org.manager)
    response = client.post(reverse("marketing:campaign_task_response", args=[task.pk]), {"response": "maybe"}, follow=True)
    assert "Choose a response" in response.content.decode()
    assert CampaignMember.objects.get(campaign=launched, customer__number="C1").response == ""


def test_another_managers_task_is_404(client, org, launched):
    theirs = Task.objects.get(assignee=org.manager_bj, source=Task.Source.CAMPAIGN)
    _login(client, org.manager)
    url = reverse("marketing:campaign_task_response", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"response": "declined"}).status_code == 404
    assert CampaignMember.objects.get(campaign=launched, customer__number="C2").response == ""


def test_a_task_of_another_source_has_no_panel(client, org, launched):
    task = Task.objects.create(bank=org.bank_a, assignee=org.manager, title="Call back", created_by=org.manager)
    _login(client, org.manager)
    assert "campaign-task-response" not in client.get(reverse("workbench:task", args=[task.pk])).content.decode()
    assert client.get(reverse("marketing:campaign_task_response", args=[task.pk])).status_code == 404


def test_the_panel_in_chinese(client, org, launched):
    task = Task.objects.get(assignee=org.manager, source=Task.Source.CAMPAIGN)
    Staff.objects.filter(pk=org.manager.pk).update(language="zh-hans")
    _login(client, org.manager)
    client.cookies["django_language"] = "zh-hans"
    panel = client.get(reverse("marketing:campaign_task_response", args=[task.pk])).content.decode()
    assert "尚无响应" in panel and "已转化" in panel
    assert "No response yet" not in panel and "Converted" not in panel
