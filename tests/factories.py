"""Small hand-made organisations for tests (the demo data is in seed_demo)."""

from types import SimpleNamespace

from django.contrib.auth.models import Group
from django.utils import timezone

from customers.master.models import CorporateProfile, Customer, Product, RetailProfile
from sysadmin.org.models import Bank, Branch, Staff

PASSWORD = "Test-Pass-2026!"


def make_branch(bank, code, parent=None, country="CN", tz="Asia/Shanghai", level=Branch.Level.BRANCH, **extra):
    return Branch.objects.create(
        bank=bank,
        code=code,
        name_local=f"{code} 支行",
        name_en=f"{code} branch",
        parent=parent,
        country=country,
        timezone=tz,
        level=level,
        **extra,
    )


def make_staff(username, bank=None, branch=None, roles=(), password=PASSWORD, **extra):
    """A staff member holding the given roles, whose password need not be changed."""
    if branch is not None and bank is None:
        bank = branch.bank
    extra.setdefault("must_change_password", False)
    extra.setdefault("is_staff", "system_admin" in roles)
    staff = Staff(username=username, bank=bank, branch=branch, name_local=username, **extra)
    staff.set_password(password)
    staff.save()
    if extra.get("password_changed_at") is None:
        Staff.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now())
        staff.password_changed_at = timezone.now()
    if roles:
        staff.groups.add(*Group.objects.filter(name__in=roles))
    return staff


def build_org():
    """Bank A: HO -> region CN (-> SH -> SH-sub, BJ) and region GB (-> LDN). Bank B: HO -> HK.
    One user per role in bank A, plus a manager and supervisor in bank B."""
    a = Bank.objects.create(code="BKA", name_local="甲银行", name_en="Bank A", base_currency="CNY", head_office_country="CN")
    b = Bank.objects.create(code="BKB", name_local="乙银行", name_en="Bank B", base_currency="HKD", head_office_country="HK")
    a_ho = make_branch(a, "A-HO", level=Branch.Level.HEAD_OFFICE)
    a_cn = make_branch(a, "A-CN", a_ho, level=Branch.Level.REGION)
    a_sh = make_branch(a, "A-SH", a_cn)
    a_sh_sub = make_branch(a, "A-SH-1", a_sh, level=Branch.Level.SUB_BRANCH)
    a_bj = make_branch(a, "A-BJ", a_cn)
    a_gb = make_branch(a, "A-GB", a_ho, country="GB", tz="Europe/London", level=Branch.Level.REGION)
    a_ldn = make_branch(a, "A-LDN", a_gb, country="GB", tz="Europe/London")
    b_ho = make_branch(b, "B-HO", country="HK", tz="Asia/Hong_Kong", level=Branch.Level.HEAD_OFFICE)
    b_hk = make_branch(b, "B-HK", b_ho, country="HK", tz="Asia/Hong_Kong")
    org = SimpleNamespace(
        bank_a=a,
        bank_b=b,
        a_ho=a_ho,
        a_cn=a_cn,
        a_sh=a_sh,
        a_sh_sub=a_sh_sub,
        a_bj=a_bj,
        a_gb=a_gb,
        a_ldn=a_ldn,
        b_ho=b_ho,
        b_hk=b_hk,
    )
    org.admin = make_staff("a.admin", branch=a_ho, roles=["system_admin"])
    org.auditor = make_staff("a.auditor", branch=a_ho, roles=["auditor"])
    org.supervisor = make_staff("a.sup.sh", branch=a_sh, roles=["branch_supervisor"])
    org.manager = make_staff("a.mgr.sh", branch=a_sh, roles=["customer_manager"])
    org.manager_sub = make_staff("a.mgr.sh1", branch=a_sh_sub, roles=["customer_manager"])
    org.manager_bj = make_staff("a.mgr.bj", branch=a_bj, roles=["customer_manager"])
    org.teller = make_staff("a.teller", branch=a_sh, roles=["teller"])
    org.product_manager = make_staff("a.pm", branch=a_ho, roles=["product_manager"])
    org.marketing_manager = make_staff("a.mm", branch=a_ho, roles=["marketing_manager"])
    org.crossborder_officer = make_staff("a.xb", branch=a_ho, roles=["crossborder_officer"])
    org.b_manager = make_staff("b.mgr.hk", branch=b_hk, roles=["customer_manager"])
    org.b_supervisor = make_staff("b.sup.hk", branch=b_hk, roles=["branch_supervisor"])
    org.b_admin = make_staff("b.admin", branch=b_ho, roles=["system_admin"])
    org.role_users = {
        "system_admin": org.admin,
        "auditor": org.auditor,
        "branch_supervisor": org.supervisor,
        "customer_manager": org.manager,
        "teller": org.teller,
        "product_manager": org.product_manager,
        "marketing_manager": org.marketing_manager,
        "crossborder_officer": org.crossborder_officer,
    }
    return org


def make_customer(number, branch, manager=None, name_local="王伟", name_latin="Wang Wei", kind="retail", **extra):
    """A customer of `branch`'s bank (with its retail or corporate profile)."""
    customer = Customer.objects.create(
        bank=branch.bank,
        number=number,
        kind=kind,
        name_local=name_local,
        name_latin=name_latin,
        branch=branch,
        primary_manager=manager,
        **extra,
    )
    if kind == "retail":
        RetailProfile.objects.create(customer=customer)
    else:
        CorporateProfile.objects.create(customer=customer)
    return customer


def make_product(bank, code="DD-CNY", category="asset", product_type="demand_deposit", currency="CNY"):

    return Product.objects.get_or_create(
        bank=bank,
        code=code,
        defaults={"name_local": code, "name_en": code, "category": category, "product_type": product_type, "currency": currency},
    )[0]
