"""marketing.credits.credit(): one credit per source key (also when called twice), audited, and
refused for a person of another bank or without a branch."""

import pytest
from django.core.exceptions import ValidationError

from customers.ownership.assignment.models import MarketingCredit
from marketing.credits import services as credits
from ocrm.audit.models import AuditLog
from tests.factories import make_customer, make_product, make_staff

pytestmark = pytest.mark.django_db


def test_a_credit_is_given_once_per_source_and_audited(org):
    customer = make_customer("C1", org.a_sh, org.manager)
    product = make_product(org.bank_a, "TD-1Y")
    first, created = credits.credit(customer=customer, manager=org.manager, source_key="campaign:1:customer:1", product=product)
    again, created_again = credits.credit(customer=customer, manager=org.manager_bj, source_key="campaign:1:customer:1")
    assert created and not created_again and again.pk == first.pk
    assert (first.manager, first.branch, first.product) == (org.manager, org.a_sh, product)
    assert MarketingCredit.objects.count() == 1
    assert AuditLog.objects.filter(detail__event="marketing_credit_given").count() == 1


def test_a_credit_to_another_bank_or_to_nobody_in_a_branch_is_refused(org):
    customer = make_customer("C1", org.a_sh, org.manager)
    with pytest.raises(ValidationError):
        credits.credit(customer=customer, manager=org.b_manager, source_key="x:1")
    branchless = make_staff("a.nobranch", bank=org.bank_a, roles=["customer_manager"])
    with pytest.raises(ValidationError):
        credits.credit(customer=customer, manager=branchless, source_key="x:2")
    assert not MarketingCredit.objects.exists()
