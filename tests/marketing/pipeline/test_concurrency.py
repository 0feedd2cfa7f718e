"""Two moves of one card from the same board at the same moment, on two real connections: the
row lock and the version make exactly one of them happen."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from marketing.pipeline import services
from marketing.pipeline.models import Opportunity, OpportunityMove
from tests.factories import build_org, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def stage(bank, code):
    return next(s for s in services.stages(bank.pk) if s.code == code)


def visible(user):
    return Opportunity.objects.visible_to(user)


def new(customer, owner):
    return services.create_opportunity(
        customer=customer,
        owner=owner,
        title="Deal",
        amount=Decimal("10"),
        currency="CNY",
        expected_close=datetime.date(2027, 1, 1),
        actor=owner,
    )


def test_concurrent_moves_from_the_same_board_one_wins(transactional_db):
    org = build_org()
    customer = make_customer("C-PL-9", org.a_sh, org.manager)
    opportunity = new(customer, org.manager)
    targets = [stage(org.bank_a, "qualified").pk, stage(org.bank_a, "proposal").pk]
    outcomes = []
    barrier = threading.Barrier(2)

    def run(target):
        try:
            barrier.wait()
            services.move(opportunity.pk, target, org.manager, seen_version=1, visible=visible(org.manager))
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert OpportunityMove.objects.filter(opportunity=opportunity).count() == 2
    opportunity.refresh_from_db()
    assert opportunity.version == 2
