"""The data-scope kernel on the branch tree and staff: bank isolation, subtree, grants."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from guardian.shortcuts import assign_perm

from customers.master.models import Customer
from customers.ownership.sharing import services as sharing
from customers.ownership.sharing.models import CustomerShare
from ocrm.scoping import scope_of
from sysadmin.org.models import Branch, Staff
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def codes(qs):
    return sorted(qs.values_list("code", flat=True))


def test_scope_levels_follow_roles(org):
    assert scope_of(org.admin) == "bank"
    assert scope_of(org.auditor) == "bank"
    assert scope_of(org.supervisor) == "subtree"
    assert scope_of(org.manager) == "own"
    assert scope_of(org.teller) is None


def test_bank_scope_never_crosses_banks(org):
    assert codes(Branch.objects.visible_to(org.admin)) == ["A-BJ", "A-CN", "A-GB", "A-HO", "A-LDN", "A-SH", "A-SH-1"]
    assert codes(Branch.objects.visible_to(org.b_admin)) == ["B-HK", "B-HO"]


def test_supervisor_sees_exactly_the_subtree(org):
    assert codes(Branch.objects.visible_to(org.supervisor)) == ["A-SH", "A-SH-1"]
    staff = set(Staff.objects.visible_to(org.supervisor).values_list("username", flat=True))
    assert staff == {"a.sup.sh", "a.mgr.sh", "a.mgr.sh1", "a.teller"}


def test_own_scope_sees_only_guardian_grants(org):
    assert codes(Branch.objects.visible_to(org.manager)) == []
    assign_perm("sysadmin.view_branch", org.manager, org.a_ldn)
    assign_perm("sysadmin.view_branch", org.manager, org.b_hk)  # another bank: still invisible
    assert codes(Branch.objects.visible_to(org.manager)) == ["A-LDN"]


def test_inactive_and_anonymous_users_see_nothing(org):
    org.admin.is_active = False
    assert not Branch.objects.visible_to(org.admin).exists()
    assert not Branch.objects.visible_to(AnonymousUser()).exists()


def test_moving_a_branch_moves_its_subtree(org):
    org.a_sh.parent = org.a_gb
    org.a_sh.save()
    org.a_sh_sub.refresh_from_db()
    assert org.a_sh_sub.path.startswith(org.a_gb.path)
    assert codes(Branch.objects.subtree(org.a_gb)) == ["A-GB", "A-LDN", "A-SH", "A-SH-1"]


def test_branch_tree_rejects_cycles_and_foreign_parents(org):
    org.a_cn.parent = org.a_sh_sub
    with pytest.raises(ValidationError):
        org.a_cn.full_clean()
    org.a_cn.parent = org.b_ho
    with pytest.raises(ValidationError):
        org.a_cn.full_clean()


def test_branch_time_zone_must_belong_to_its_country(org):
    org.a_ldn.timezone = "Asia/Shanghai"
    with pytest.raises(ValidationError) as excinfo:
        org.a_ldn.full_clean()
    assert "timezone" in excinfo.value.message_dict
    org.a_ldn.timezone = "Mars/Olympus"
    with pytest.raises(ValidationError):
        org.a_ldn.full_clean()


# --- ScopeRule: visible_to decided in Python for rows already read -----------------------------------


def test_scope_rule_agrees_with_visible_to_for_every_scope(org):
    """The 360 page decides whether a relation's or a household member's name may be shown with
    Customer.objects.scope_rule(user); it must answer exactly as visible_to does, for each scope,
    including a grant backed by a share in force, one whose share has ended, and another bank."""
    customers = [
        make_customer("R-OWN", org.a_sh, org.manager),
        make_customer("R-SUB", org.a_sh_sub, org.manager_sub),
        make_customer("R-BJ", org.a_bj, org.manager_bj),
        make_customer("R-NOBRANCH-MGR", org.a_ldn, None),
        make_customer("R-OTHER-BANK", org.b_hk, org.b_manager),
    ]
    shared = make_customer("R-SHARED", org.a_bj, org.manager_bj)
    ended = make_customer("R-ENDED", org.a_bj, org.manager_bj)
    customers += [shared, ended]
    soon = timezone.now() + datetime.timedelta(days=3)
    sharing.share_customer(shared, org.manager_bj, org.manager, can_edit=False, expires_at=soon, reason="cover")
    gone = sharing.share_customer(ended, org.manager_bj, org.manager, can_edit=False, expires_at=soon, reason="cover")
    CustomerShare.objects.filter(pk=gone.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    pks = [c.pk for c in customers]

    for user in (org.admin, org.supervisor, org.manager, org.manager_bj, org.teller, org.b_admin):
        user = type(user).objects.get(pk=user.pk)  # a fresh user object: no permission cache
        expected = set(Customer.objects.visible_to(user).filter(pk__in=pks).values_list("pk", flat=True))
        rule = Customer.objects.scope_rule(user)
        rows = Customer.objects.filter(pk__in=pks).annotate(**rule.annotations("", "me", '"customers_customer"."id"'))
        decided = {row.pk for row in rows if rule.visible(row, row, "me")}
        assert decided == expected, user.username
        assert Customer.objects.scope_rule(user) is rule  # worked out once per user object
    # The cases above are not vacuous: the manager sees its own and the shared customer only.
    manager = type(org.manager).objects.get(pk=org.manager.pk)
    assert set(Customer.objects.visible_to(manager).filter(pk__in=pks).values_list("number", flat=True)) == {
        "R-OWN",
        "R-SHARED",
    }
