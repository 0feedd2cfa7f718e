"""Opportunities: a move changes stage, probability and history together and refuses a stale
board; won credits the owner once; the forecast is in the base currency; scope (a manager sees
only their own, a supervisor the subtree, others 404); the board and list in bounded queries."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from customers.master.models import FxRate, ServiceContact
from customers.ownership.assignment.models import MarketingCredit
from marketing.pipeline import services
from marketing.pipeline.models import Opportunity, OpportunityMove, PipelineStage
from ocrm.errors import NotVisible
from sysadmin.org.models import Staff
from tests.factories import make_customer
from workbench.reminders import services as reminder_services
from workbench.reminders.models import Reminder

pytestmark = pytest.mark.django_db

CLOSE = datetime.date(2027, 3, 15)


@pytest.fixture(autouse=True)
def _english(english_staff):
    """Messages read in English."""


def stage(bank, code):
    return next(s for s in services.stages(bank.pk) if s.code == code)


def new(customer, owner, amount="1000.00", currency="CNY", title="Deposit"):
    return services.create_opportunity(
        customer=customer, owner=owner, title=title, amount=Decimal(amount), currency=currency, expected_close=CLOSE, actor=owner
    )


@pytest.fixture
def world(org):
    c_mine = make_customer("C-PL-1", org.a_sh, org.manager)
    c_sub = make_customer("C-PL-2", org.a_sh_sub, org.manager_sub)
    c_bj = make_customer("C-PL-3", org.a_bj, org.manager_bj)
    c_b = make_customer("C-PL-4", org.b_hk, org.b_manager)
    return {
        "mine": new(c_mine, org.manager),
        "sub": new(c_sub, org.manager_sub),
        "bj": new(c_bj, org.manager_bj),
        "b": new(c_b, org.b_manager, currency="HKD"),
    }


def visible(user):
    return Opportunity.objects.visible_to(user)


def test_default_stages_are_seeded_once_per_bank(org):
    first = services.stages(org.bank_a.pk)
    again = services.stages(org.bank_a.pk)
    assert [s.code for s in first] == ["lead", "qualified", "proposal", "negotiation", "won", "lost"]
    assert [s.pk for s in first] == [s.pk for s in again]
    assert PipelineStage.objects.filter(bank=org.bank_b).count() == 0
    services.stages(org.bank_b.pk)
    assert PipelineStage.objects.filter(bank=org.bank_b).count() == 6


def test_move_updates_stage_probability_and_history_together(org, world):
    opportunity = world["mine"]
    proposal = stage(org.bank_a, "proposal")
    moved = services.move(
        opportunity.pk, proposal.pk, org.manager, seen_version=opportunity.version, visible=visible(org.manager)
    )
    moved.refresh_from_db()
    assert (moved.stage_id, moved.probability, moved.version) == (proposal.pk, 60, 2)
    history = list(OpportunityMove.objects.filter(opportunity=moved).values_list("from_stage__code", "to_stage__code"))
    assert history == [(None, "lead"), ("lead", "proposal")]


def test_a_stale_board_is_refused_and_nothing_changes(org, world):
    opportunity = world["mine"]
    services.move(opportunity.pk, stage(org.bank_a, "qualified").pk, org.manager, seen_version=1, visible=visible(org.manager))
    with pytest.raises(ValidationError, match="Reload the board"):
        services.move(opportunity.pk, stage(org.bank_a, "proposal").pk, org.manager, seen_version=1, visible=visible(org.manager))
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "qualified" and opportunity.probability == 30
    assert OpportunityMove.objects.filter(opportunity=opportunity).count() == 2


def test_a_stage_of_another_bank_is_refused(org, world):
    foreign = services.stages(org.bank_b.pk)[1]
    with pytest.raises(ValidationError):
        services.move(world["mine"].pk, foreign.pk, org.manager, seen_version=None, visible=visible(org.manager))


def test_won_credits_the_owner_once(org, world):
    opportunity = world["sub"]
    won = stage(org.bank_a, "won")
    services.move(opportunity.pk, won.pk, org.supervisor, seen_version=1, visible=visible(org.supervisor))
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.WON and opportunity.closed_at is not None
    credits = MarketingCredit.objects.filter(source=f"opportunity:{opportunity.pk}")
    assert [(c.manager_id, c.amount) for c in credits] == [(org.manager_sub.pk, Decimal("1000.00"))]
    with pytest.raises(ValidationError, match="closed"):
        services.move(opportunity.pk, won.pk, org.supervisor, seen_version=None, visible=visible(org.supervisor))
    assert MarketingCredit.objects.filter(source=f"opportunity:{opportunity.pk}").count() == 1


def test_lost_closes_without_credit(org, world):
    opportunity = world["mine"]
    services.move(opportunity.pk, stage(org.bank_a, "lost").pk, org.manager, seen_version=1, visible=visible(org.manager))
    opportunity.refresh_from_db()
    assert opportunity.status == Opportunity.Status.LOST and opportunity.lost_reason
    assert not MarketingCredit.objects.filter(source=f"opportunity:{opportunity.pk}").exists()


def test_forecast_is_weighted_and_in_the_base_currency(org, world):
    FxRate.objects.create(bank=org.bank_a, currency="USD", rate=Decimal("7.00000000"), effective_at=timezone.now())
    customer = world["mine"].customer
    usd = new(customer, org.manager, amount="100.00", currency="USD")
    services.move(usd.pk, stage(org.bank_a, "proposal").pk, org.manager, seen_version=1, visible=visible(org.manager))
    new(customer, org.manager, amount="50.00", currency="EUR")
    result = services.forecast(visible(org.manager), org.bank_a, today=datetime.date(2026, 12, 6))
    # CNY 1000 × 10 % + USD 100 × 60 % × 7.00 = 100 + 420
    assert result["currency"] == "CNY"
    assert result["rows"] == [("a.mgr.sh", [Decimal("520.00")])]
    assert result["missing_rates"] == ["EUR"]
    by_branch = services.forecast(visible(org.supervisor), org.bank_a, group_by="owner__branch__name_local")
    assert sum(v for _, values in by_branch["rows"] for v in values) == Decimal("620.00")


@pytest.mark.parametrize(
    ("who", "seen"),
    [("manager", {"mine"}), ("manager_sub", {"sub"}), ("supervisor", {"mine", "sub"}), ("b_manager", {"b"})],
)
def test_move_endpoint_is_scoped(client, org, world, who, seen):
    user = getattr(org, who)
    client.force_login(user)
    for key, opportunity in world.items():
        target = services.stages(opportunity.bank_id)[1]
        response = client.post(reverse("marketing:opportunity_move", args=[opportunity.pk]), {"stage": target.pk, "version": 1})
        assert response.status_code == (200 if key in seen else 404), (key, response.status_code)
    assert set(visible(user).values_list("title", flat=True)) == {"Deposit"}
    with pytest.raises(NotVisible):
        services.move(world["bj"].pk, 1, user, seen_version=None, visible=visible(user))


def test_move_endpoint_says_why_a_stale_move_is_refused(client, org, world):
    client.force_login(org.manager)
    url = reverse("marketing:opportunity_move", args=[world["mine"].pk])
    first = client.post(url, {"stage": stage(org.bank_a, "qualified").pk, "version": 1})
    assert first.json() == {"ok": True, "probability": 30, "version": 2, "status": "open", "status_label": "Open"}
    second = client.post(url, {"stage": stage(org.bank_a, "proposal").pk, "version": 1})
    assert second.status_code == 409 and "Reload the board" in second.json()["error"]


def test_board_shows_own_cards_and_the_team_board_the_subtree(client, org, world):
    client.force_login(org.manager)
    page = client.get(reverse("marketing:pipeline_board")).content.decode()
    assert f'data-id="{world["mine"].pk}"' in page and f'data-id="{world["sub"].pk}"' not in page
    assert "team-board" not in page
    client.force_login(org.supervisor)
    team = client.get(reverse("marketing:pipeline_board") + "?team=1").content.decode()
    assert f'data-id="{world["mine"].pk}"' in team and f'data-id="{world["sub"].pk}"' in team
    assert f'data-id="{world["bj"].pk}"' not in team


def test_board_list_and_forecast_in_bounded_queries(client, org, world, django_assert_max_num_queries):
    customer = world["mine"].customer
    for number in range(30):
        new(customer, org.manager, title=f"Deal {number}")
    client.force_login(org.supervisor)
    services.stages(org.bank_a.pk)
    with django_assert_max_num_queries(25):
        board = client.get(reverse("marketing:pipeline_board") + "?team=1")
    assert board.status_code == 200 and board.content.decode().count("pipeline-card") >= 31
    with django_assert_max_num_queries(30):
        listing = client.get(reverse("marketing:opportunities"))
    assert listing.status_code == 200
    with django_assert_max_num_queries(25):
        forecast = client.get(reverse("marketing:pipeline_forecast"))
    assert forecast.status_code == 200


def test_list_exports_xlsx(client, org, world):
    client.force_login(org.manager)
    response = client.get(reverse("marketing:opportunities") + "?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    titles = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["Deposit"]


def test_create_page_makes_an_opportunity_in_the_first_stage(client, org, world):
    client.force_login(org.manager)
    url = reverse("marketing:opportunity_create")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"customer": "C-PL-1", "title": "Fund", "amount": "2000", "currency": "cny", "expected_close": "2027-01-31"}
    )
    assert response.status_code == 302
    created = Opportunity.objects.get(title="Fund")
    assert (created.owner, created.stage.code, created.probability, created.currency) == (org.manager, "lead", 10, "CNY")
    refused = client.post(
        url, {"customer": "C-PL-3", "title": "Theirs", "amount": "1", "currency": "CNY", "expected_close": "2027-01-31"}
    )
    assert refused.status_code == 200 and "No customer of yours has this number." in refused.content.decode()
    assert not Opportunity.objects.filter(title="Theirs").exists()


def test_campaign_response_opens_one_opportunity(org, world):
    customer = world["mine"].customer
    kwargs = dict(
        customer=customer,
        manager=org.manager,
        campaign_key="campaign:1:customer:1",
        title="From campaign",
        amount=Decimal("10"),
        currency="CNY",
        expected_close=CLOSE,
    )
    first = services.open_from_campaign_response(**kwargs)
    again = services.open_from_campaign_response(**kwargs)
    assert first.pk == again.pk and first.source == Opportunity.Source.CAMPAIGN


def test_zh_hans_pages(client, org, world):
    Staff.objects.filter(pk=org.manager.pk).update(language="zh-hans")
    client.force_login(org.manager)
    board = client.get(reverse("marketing:pipeline_board")).content.decode()
    assert "我的商机" in board and "线索" in board and "加权预测" in board
    listing = client.get(reverse("marketing:opportunities")).content.decode()
    assert "预计成交日期" in listing
    refused = client.post(
        reverse("marketing:opportunity_move", args=[world["mine"].pk]), {"stage": stage(org.bank_a, "won").pk, "version": 9}
    )
    assert "请刷新看板后重试" in refused.json()["error"]


def test_work_report_activity_counts_moves_and_wins(org, world):
    start = timezone.now()
    opportunity = world["mine"]
    services.move(opportunity.pk, stage(org.bank_a, "proposal").pk, org.manager, seen_version=1, visible=visible(org.manager))
    services.move(opportunity.pk, stage(org.bank_a, "won").pk, org.manager, seen_version=2, visible=visible(org.manager))
    moved, won = services.moves_and_wins(org.manager, start, timezone.now() + datetime.timedelta(seconds=1))
    assert (moved.count, won.count) == (2, 1)
    assert won.details == ["Deposit"]
    assert services.moves_and_wins(org.manager_sub, start, timezone.now())[0].count == 0


def test_stale_opportunities_raise_one_reminder(org, world):
    today = timezone.now().astimezone(datetime.UTC).date()
    Opportunity.objects.filter(pk=world["mine"].pk).update(moved_at=timezone.now() - datetime.timedelta(days=20))
    first = reminder_services.generate(org.bank_a.pk, today)
    again = reminder_services.generate(org.bank_a.pk, today)
    stale = Reminder.objects.filter(kind="stale_opportunity")
    assert list(stale.values_list("object_id", flat=True)) == [world["mine"].pk]
    assert first["reminders_created"] >= 1 and again["reminders_created"] == 0


def test_an_opportunity_from_a_service_contact_on_the_360_page(client, org, world, django_assert_max_num_queries):
    """Issue 15: opportunities from a contact. The 360 page's section lists the customer's
    opportunities and the latest contacts; one opens the form with the contact as the source."""
    customer = world["mine"].customer
    contact = ServiceContact.objects.create(
        bank_id=customer.bank_id, customer=customer, staff=org.manager, channel="phone", subject="Asked about funds"
    )
    client.force_login(org.manager)
    section_url = reverse("marketing:pipeline_customer", args=[customer.number])
    with django_assert_max_num_queries(12):
        section = client.get(section_url).content.decode()
    assert world["mine"].title in section and f"?contact={contact.pk}" in section
    url = reverse("marketing:opportunity_create") + f"?contact={contact.pk}"
    page = client.get(url).content.decode()
    assert "Asked about funds" in page and 'value="C-PL-1"' in page
    response = client.post(
        url, {"customer": "C-PL-1", "title": "Fund", "amount": "5000", "currency": "CNY", "expected_close": "2027-03-31"}
    )
    assert response.status_code == 302
    created = Opportunity.objects.get(title="Fund")
    assert (created.source, created.source_ref) == (Opportunity.Source.CONTACT, f"contact:{contact.pk}")
    other = make_customer("C-PL-9", org.a_sh, org.manager)
    refused = client.post(
        url, {"customer": other.number, "title": "Wrong", "amount": "1", "currency": "CNY", "expected_close": "2027-03-31"}
    )
    assert refused.status_code == 200 and not Opportunity.objects.filter(title="Wrong").exists()
    client.force_login(org.manager_bj)  # another manager: neither the section nor the contact
    assert client.get(section_url).status_code == 404
    assert client.get(url).status_code == 404
