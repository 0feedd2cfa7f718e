"""Campaigns of the demo bank: a dry-run draft over a saved filter of the customer list (high AUM),
made by the bank's first marketing manager, so the funnel, the excluded list and the load per
manager have something to show; nothing is launched (that needs a second marketing manager)."""

import datetime

from django.utils import timezone

from customers.master.models import CustomerGroup, Product
from marketing.campaigns import services
from marketing.campaigns.models import Campaign
from sysadmin.org.models import Bank, Staff


def load(write):
    made = 0
    for bank in Bank.objects.filter(code__in=["OGB", "HCB"], is_active=True):
        owner = Staff.objects.filter(bank=bank, is_active=True, groups__name="marketing_manager").order_by("pk").first()
        if owner is None or owner.branch_id is None or Campaign.objects.filter(bank=bank).exists():
            continue
        group, _created = CustomerGroup.objects.get_or_create(
            bank=bank,
            owner=owner,
            name="AUM ≥ 500,000",
            defaults={"kind": CustomerGroup.Kind.DYNAMIC, "filter_query": "aum_min=500000"},
        )
        today = timezone.localdate()
        products = list(Product.objects.filter(bank=bank, product_type=Product.Type.TIME_DEPOSIT, is_active=True)[:1])
        campaign = services.create_campaign(
            owner,
            products=products,
            name="定期存款春季推广",
            goal="向高资产客户推荐一年期定期存款",
            starts_on=today,
            ends_on=today + datetime.timedelta(days=60),
            branch=owner.branch,
            group=group,
            holdout_percent=10,
            household_once=True,
            budget=50000,
            cost_per_contact=5,
        )
        services.dry_run(campaign, owner)
        made += 1
    if made:
        write(f"  campaigns   {made} dry-run drafts")


def reset():
    """The demo banks' campaigns (their members, aggregates and tasks' sources go with them)."""
    return Campaign.objects.filter(bank__code__in=["OGB", "HCB"]).delete()[0]
