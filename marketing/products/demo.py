"""The demo banks' scenario bundles (按场景服务组合): new graduate, retiree, overseas student,
small business owner, over the demo products of customers/demo.py (DEMO-<stem>-<currency>).
Idempotent: a bundle already there is left as it is."""

from customers.master.models import Product
from marketing.products.models import Bundle, BundleItem, BundleRule

# (code, local name, English name, scenario, rules [(kind, value)], product stems, services)
BUNDLES = [
    (
        "GRADUATE", "新毕业生组合", "New graduate bundle", "新毕业生 / new graduate",
        [("customer_kind", "retail"), ("min_age", "20"), ("max_age", "28"), ("valid_id", "")],
        ["BOND", "WM"], ["职业起步理财讲座"],
    ),
    (
        "RETIREE", "退休客户组合", "Retiree bundle", "退休 / retiree",
        [("customer_kind", "retail"), ("min_age", "60"), ("valid_id", "")],
        ["BOND", "INS", "WM"], ["养老金代发", "上门服务预约"],
    ),
    (
        "OVERSEAS", "留学生组合", "Overseas student bundle", "留学 / overseas student",
        [("customer_kind", "retail"), ("min_age", "16"), ("max_age", "30"), ("valid_id", "")],
        ["INS"], ["留学汇款", "留学资信证明"],
    ),
    (
        "SMALLBIZ", "小微企业主组合", "Small business owner bundle", "小微企业主 / small business owner",
        [("customer_kind", "retail"), ("tier_in", "affluent,wealth,private"), ("min_age", "25")],
        ["WM", "BOND"], ["对公开户绿色通道"],
    ),
]  # fmt: skip


def seed_bundles(bank):
    """Create the demo bundles of one bank; returns how many were created."""
    created = 0
    for code, local, english, scenario, rules, stems, services in BUNDLES:
        if Bundle.objects.filter(bank_id=bank.pk, code=code).exists():
            continue
        bundle = Bundle.objects.create(bank_id=bank.pk, code=code, name_local=local, name_en=english, scenario=scenario)
        BundleRule.objects.bulk_create([BundleRule(bundle=bundle, kind=kind, value=value) for kind, value in rules])
        codes = [f"DEMO-{stem}-{bank.base_currency}" for stem in stems]
        products = Product.objects.filter(bank=bank, code__in=codes)
        BundleItem.objects.bulk_create(
            [BundleItem(bundle=bundle, product=product) for product in products]
            + [BundleItem(bundle=bundle, service=service) for service in services]
        )
        created += 1
    return created


def remove_bundles(bank):
    """Remove the demo bundles of one bank (before the demo products they list go); returns how many."""
    deleted, _per_model = Bundle.objects.filter(bank_id=bank.pk, code__in=[row[0] for row in BUNDLES]).delete()
    return deleted
