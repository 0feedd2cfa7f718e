"""Report measures: opportunities won (count, amount in minor units of the base currency) and
prospects converted, counted on the day they closed, per branch and manager."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from marketing.pipeline import services
from marketing.pipeline.models import Opportunity
from marketing.prospects import services as prospects
from marketing.prospects.models import Prospect
from ocrm import reporting
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def run(key, bank, day_start, day_end):
    with connection.cursor() as cursor:
        cursor.execute(
            reporting.measure(key).sql,
            {"bank_id": bank.pk, "business_date": day_start.date(), "day_start": day_start, "day_end": day_end},
        )
        return sorted(cursor.fetchall())


def test_won_and_converted_measures(org):
    customer = make_customer("C-ME-1", org.a_sh, org.manager)
    won = next(s for s in services.stages(org.bank_a.pk) if s.code == "won")
    for amount in ("1000.50", "20.25"):
        opportunity = services.create_opportunity(
            customer=customer,
            owner=org.manager,
            title="Deal",
            amount=Decimal(amount),
            currency="CNY",
            expected_close=datetime.date(2027, 1, 1),
        )
        services.move(opportunity.pk, won.pk, org.manager, seen_version=None, visible=Opportunity.objects.all())
    services.create_opportunity(  # still open: not counted
        customer=customer,
        owner=org.manager,
        title="Open",
        amount=Decimal(5),
        currency="CNY",
        expected_close=datetime.date(2027, 1, 1),
    )
    prospect = prospects.capture({"name": "李娜", "phone": "13900001111", "source": "walk_in"}, owner=org.manager)
    prospects.convert(prospect.pk, org.manager, visible=Prospect.objects.all())
    start = timezone.now() - datetime.timedelta(hours=1)
    end = start + datetime.timedelta(days=1)
    assert run("pipeline.opportunities_won", org.bank_a, start, end) == [(org.a_sh.pk, org.manager.pk, 2)]
    assert run("pipeline.opportunities_won_amount", org.bank_a, start, end) == [(org.a_sh.pk, org.manager.pk, 102075)]
    assert run("prospects.converted", org.bank_a, start, end) == [(org.a_sh.pk, org.manager.pk, 1)]
    assert run("pipeline.opportunities_won", org.bank_a, end, end + datetime.timedelta(days=1)) == []
    assert run("pipeline.opportunities_won", org.bank_b, start, end) == []
