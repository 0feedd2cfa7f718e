"""A manager drags a card to another stage in a real browser, in English and in Chinese: the card
lands, the probability shown changes, the row and its history change; a stale card goes back with
the server's message."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketing.pipeline import services
from marketing.pipeline.models import Opportunity, OpportunityMove
from tests.conftest import login
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (the board's title, the "proposal" stage's name, a word of the stale message)
LANGUAGES = {"en": ("My pipeline", "Proposal", "Reload"), "zh-hans": ("我的商机", "方案", "刷新")}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


def drag(page, card, target):
    """Mouse down on the card, move over the column in steps (SortableJS's fallback), release."""
    box, to = card.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5, steps=5)
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + 20, steps=20)
    page.mouse.up()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_drag_a_card_to_another_stage(page, live_server, org, language):
    title, proposal_name, stale_word = LANGUAGES[language]
    customer = make_customer("C-PLB-1", org.a_sh, org.manager)
    deal = services.create_opportunity(
        customer=customer,
        owner=org.manager,
        title="Fund deal",
        amount=Decimal("5000"),
        currency="CNY",
        expected_close=datetime.date(2027, 2, 1),
    )
    other = services.create_opportunity(
        customer=customer,
        owner=org.manager,
        title="Loan deal",
        amount=Decimal("9000"),
        currency="CNY",
        expected_close=datetime.date(2027, 2, 2),
    )
    proposal = next(s for s in services.stages(org.bank_a.pk) if s.code == "proposal")

    use_language(page, live_server, language)
    login(page, org.manager.username)
    page.goto("/marketing/pipeline/")
    expect(page.locator("h1")).to_have_text(title)
    column = page.locator(f'.pipeline-cards[data-stage="{proposal.pk}"]')
    expect(page.locator(f'.pipeline-column[data-stage="{proposal.pk}"] .card-header')).to_contain_text(proposal_name)

    card = page.locator(f'.pipeline-card[data-id="{deal.pk}"]')
    drag(page, card, column)
    expect(column.locator(f'.pipeline-card[data-id="{deal.pk}"] .pipeline-probability')).to_have_text("60")
    deal.refresh_from_db()
    assert (deal.stage_id, deal.probability, deal.version) == (proposal.pk, 60, 2)
    assert OpportunityMove.objects.filter(opportunity=deal).count() == 2

    # Someone else moves the other card meanwhile: dragging it from this board is refused and it goes back.
    services.move(other.pk, proposal.pk, None, seen_version=1, visible=Opportunity.objects.all())
    other_card = page.locator(f'.pipeline-card[data-id="{other.pk}"]')
    qualified = next(s for s in services.stages(org.bank_a.pk) if s.code == "qualified")
    drag(page, other_card, page.locator(f'.pipeline-cards[data-stage="{qualified.pk}"]'))
    expect(page.locator("#pipeline-message")).to_contain_text(stale_word)
    lead = next(s for s in services.stages(org.bank_a.pk) if s.code == "lead")
    expect(page.locator(f'.pipeline-cards[data-stage="{lead.pk}"] .pipeline-card[data-id="{other.pk}"]')).to_have_count(1)
    other.refresh_from_db()
    assert other.stage_id == proposal.pk
