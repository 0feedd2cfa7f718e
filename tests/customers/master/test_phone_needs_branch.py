"""A phone number is read in the branch's country (issue 12, item 9): with no branch chosen yet,
a valid national number is not refused as "not a phone number"; the field says that the branch
is missing. Once the branch is known, the same number is accepted. The staff form likewise."""

import pytest
from django.utils import translation

from customers.master.forms import BRANCH_FIRST, CustomerForm
from customers.master.models import Customer
from sysadmin.org.forms import StaffForm

pytestmark = pytest.mark.django_db

MOBILE = "139 1234 5678"  # a mainland mobile, written as people do, without +86


def customer_form(org, **data):
    base = {"name_local": "王伟", "name_latin": "Wang Wei", "mobile": MOBILE}
    return CustomerForm({**base, **data}, kind=Customer.Kind.RETAIL, actor=org.supervisor)


def test_no_branch_yet_says_the_branch_is_missing_not_that_the_number_is_wrong(org):
    form = customer_form(org)
    assert not form.is_valid()
    assert form.errors["mobile"] == [str(BRANCH_FIRST)]
    assert "branch" in form.errors  # the branch field says it is required
    with translation.override("zh-hans"):
        message = customer_form(org).errors["mobile"][0]
        assert "不是电话号码" not in message and message.startswith("请先选择"), message


def test_with_the_branch_the_same_number_is_read_in_its_country(org):
    form = customer_form(org, branch=org.a_sh.pk)
    form.is_valid()
    assert "mobile" not in form.errors
    assert form.cleaned_data["mobile"] == "+8613912345678"


def test_a_number_with_its_country_code_needs_no_branch(org):
    form = customer_form(org, mobile="+852 9123 4567")
    form.is_valid()
    assert "mobile" not in form.errors and form.cleaned_data["mobile"] == "+85291234567"


def test_the_staff_form_says_the_same(org):
    data = {"username": "new.staff", "name_local": "新员工", "phone": "139 1234 5678", "password1": "x", "password2": "x"}
    form = StaffForm(data, actor=org.admin)
    assert not form.is_valid()
    assert "branch" in form.errors
    assert form.errors["phone"] == [
        "Choose the branch first: a number without + and its country code is read as a number of the branch's country."
    ]
    with_branch = StaffForm({**data, "branch": org.a_sh.pk}, actor=org.admin)
    with_branch.is_valid()
    assert "phone" not in with_branch.errors and with_branch.cleaned_data["phone"] == "+8613912345678"
