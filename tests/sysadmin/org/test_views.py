"""Branch and staff pages through the shared page checks (tests.support.views): 403 without
the permission, 404 for another bank's and an out-of-scope object, only visible rows listed,
bounded queries. Their filters, forms and role rules are in test_pages.py."""

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
