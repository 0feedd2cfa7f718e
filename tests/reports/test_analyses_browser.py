"""A branch supervisor's tour of the ACRM analyses in a real browser, in both languages: the 80/20
curve is drawn (Chart.js from our static files, under the CSP), the top 20 % link lists who they
are and exports them, and a segment becomes a dynamic group that the customer list opens."""

import pytest
from playwright.sync_api import expect

from customers.master.models import CustomerGroup
from tests.conftest import login
from tests.factories import make_customer
from tests.reports.factories_analyses import D_PREV, D, customer_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = {"en": "Contribution and the 80/20 rule", "zh-hans": "贡献度与二八法则"}


@pytest.mark.parametrize("language", list(TITLES))
def test_supervisor_reads_pareto_exports_top_customers_and_saves_a_segment(page, live_server, org, language):
    title = TITLES[language]
    org.supervisor.language = language
    org.supervisor.save(update_fields=["language"])
    for i, aum in enumerate([1000, 500, 200, 100, 50, 50, 40, 30, 20, 10]):
        customer = make_customer(f"BR{i:03d}", org.a_sh, org.manager, aum=aum, lifecycle_stage="active")
        customer_day(customer, D_PREV, aum=aum, contribution=aum // 10)
        customer_day(customer, D, aum=aum, contribution=aum // 10)

    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, org.supervisor.username)
    page.goto(f"/reports/analyses/pareto/?date={D.isoformat()}")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#pareto-total tr[data-pct='20'] .aum-share")).to_have_text("75.0 %")
    # Chart.js drew the curve (a chart instance on the canvas: the script ran under the CSP).
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('pareto-chart'))")

    page.locator("#pareto-total tr[data-pct='20'] a").click()
    expect(page.locator("#top-customers tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    assert download.value.suggested_filename.startswith("top-customers-")

    page.goto(f"/reports/analyses/segments/?date={D.isoformat()}")
    row = page.locator("#segment-sizes tr[data-segment='low:active']")
    expect(row.locator("td").nth(1)).to_have_text("10")
    row.locator("input[name=name]").fill(f"Low active {language}")
    row.locator("button[type=submit]").click()
    page.wait_for_url("**/customers/**group=*")
    group = CustomerGroup.objects.get(name=f"Low active {language}")
    assert group.kind == CustomerGroup.Kind.DYNAMIC
    expect(page.locator("body")).to_contain_text("BR009")
