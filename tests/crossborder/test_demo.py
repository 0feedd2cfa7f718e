"""The cross-border demo part of seed_demo: the agreement, requests in every state, an active
rule and a draft, last month's statements summing to the fees; --reset reloads without doubling."""

import io

import pytest
from django.core.management import call_command

from crossborder.agreements.services import in_force
from crossborder.profitsharing.models import ProfitShareRule, ProfitStatement, ProfitStatementLine
from crossborder.requests.models import CrossBorderRequest
from sysadmin.org.models import Bank

pytestmark = pytest.mark.django_db


def test_demo_part_loads_and_reloads():
    out = io.StringIO()
    call_command("seed_demo", "--customers-count", "300", stdout=out)
    assert "cross-border" in out.getvalue()
    ogb, hcb = Bank.objects.get(code="OGB"), Bank.objects.get(code="HCB")
    assert in_force(ogb.pk, hcb.pk)
    requests = CrossBorderRequest.objects.filter(bank=ogb)
    assert set(requests.values_list("status", flat=True)) >= {"submitted", "accepted", "waiting", "completed", "declined"}
    assert requests.filter(to_bank=hcb).exists()
    assert set(ProfitShareRule.objects.filter(bank=ogb).values_list("status", flat=True)) == {"active", "draft"}
    statements = ProfitStatement.objects.filter(bank=ogb)
    assert {s.counterpart_id for s in statements} == {ogb.pk, hcb.pk}
    for statement in statements:
        lines = ProfitStatementLine.objects.filter(statement=statement)
        assert sum(lines.values_list("amount_minor", flat=True)) == statement.total_minor > 0
    call_command("seed_demo", "--reset", "--customers-count", "300", stdout=io.StringIO())
    assert CrossBorderRequest.objects.filter(bank__code="OGB").count() == 7
