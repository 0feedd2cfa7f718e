"""Branch and staff pages through the shared page checks (tests.support.views): 403 without
the permission, 404 for another bank's and an out-of-scope object, only visible rows listed,
bounded queries. Their filters, forms and role rules are in test_pages.py."""

import pytest
from django.urls import resolve

from ocrm.scoping import SCOPE_SUBTREE
from sysadmin.org.models import Branch, Staff
from tests.factories import make_branch, make_staff
from tests.support.views import ModelPagesTests, Page


class TestBranchPages(ModelPagesTests):
    model = Branch
    permission = "sysadmin.view_branch"
    scope = SCOPE_SUBTREE
    pages = {
        "list": Page("sysadmin:branch_list", max_queries=9),
        "detail": Page("sysadmin:branch_detail", max_queries=11),
        "edit": Page("sysadmin:branch_edit", max_queries=8),
    }

    def make(self, branch, n):
        return make_branch(
            branch.bank, f"PT-{n}", parent=branch, country=branch.country, tz=branch.timezone, level=Branch.Level.SUB_BRANCH
        )

    def shown(self, obj):
        return obj.code

    def test_the_checks_notice_pages_that_ignore_the_scope(self, model_pages, monkeypatch):
        """The checks can fail: take the scope away from the list and detail views and both
        report the other bank's branch."""
        for kind in ("list", "detail"):
            view = resolve(self.url(kind, model_pages.mine).partition("?")[0]).func.view_class
            monkeypatch.setattr(view, "get_queryset", lambda self: Branch.objects.select_related("parent", "bank"))
        with pytest.raises(AssertionError, match="another bank's row"):
            self.check_only_visible_rows(model_pages, "list")
        with pytest.raises(AssertionError, match="not 404"):
            self.check_other_bank(model_pages, "detail")


class TestStaffPages(ModelPagesTests):
    model = Staff
    permission = "sysadmin.view_staff"
    scope = SCOPE_SUBTREE
    pages = {
        "list": Page("sysadmin:staff_list", max_queries=9),
        "detail": Page("sysadmin:staff_detail", max_queries=11),
        "edit": Page("sysadmin:staff_edit", max_queries=12),
    }

    def make(self, branch, n):
        return make_staff(f"pt.staff.{n}", branch=branch, roles=["customer_manager"])

    def shown(self, obj):
        return obj.username
