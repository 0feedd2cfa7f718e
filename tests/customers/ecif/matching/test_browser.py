"""The review queue in a real browser: a supervisor opens the queue, compares a pair side by
side (differing fields highlighted), records one pair as different and merges the other;
the merged number then opens the survivor's page."""

import datetime

import pytest
from playwright.sync_api import expect

from customers.ecif.matching.models import MatchCandidate
from customers.master.models import ContactPoint, Customer, RetailProfile
from tests.conftest import login
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def person(org, number, name_local, phone, birth=datetime.date(1975, 4, 5)):
    customer = make_customer(number, org.a_sh, org.manager, name_local=name_local, name_latin="")
    RetailProfile.objects.filter(customer=customer).update(birth_date=birth)
    ContactPoint.objects.create(bank_id=customer.bank_id, customer=customer, kind="mobile", value=phone)
    return customer


def pair(org, a, b, score):
    return MatchCandidate.objects.create(
        bank_id=org.bank_a.pk, customer_a=a, customer_b=b, score=score, comparison={"name": 0.67, "birth_date": 1, "phone": 1}
    )


def test_supervisor_reviews_the_queue(page, live_server, org):
    a = person(org, "C0000000401", "周杰", "+8613600000001")
    b = person(org, "C0000000402", "周洁", "+8613600000001")
    c = person(org, "C0000000403", "吴敏", "+8613600000003")
    d = person(org, "C0000000404", "吴民", "+8613600000003", birth=datetime.date(1975, 5, 4))
    same = pair(org, a, b, 88)
    different = pair(org, c, d, 75)

    login(page, org.supervisor.username)
    page.goto("/customers/match-reviews/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("C0000000401")

    # The lower-scored pair: the birth dates differ, so it is marked as different people.
    page.goto(f"/customers/match-reviews/{different.pk}/")
    expect(page.locator("#row-birth_date")).to_have_class("table-warning differs")
    expect(page.locator("#row-phones")).not_to_have_class("table-warning differs")
    page.fill("#different-reason", "Different birth dates: brothers")
    page.click("#decide-different")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(1)

    # The other pair is the same person: keep B's number.
    page.locator("table tbody tr a.btn").first.click()
    expect(page.locator("#row-name_local")).to_have_class("table-warning differs")
    page.check("#survivor-b")
    page.click("#decide-same")
    expect(page.locator(".alert-success")).to_contain_text("C0000000401")

    same.refresh_from_db()
    different.refresh_from_db()
    assert (same.status, different.status) == ("merged", "different")
    assert Customer.objects.get(pk=a.pk).merged_into_id == b.pk

    # The merged number opened by URL lands on the survivor.
    page.goto("/customers/C0000000401/")
    expect(page).to_have_url(f"{live_server.url}/customers/C0000000402/")
