"""The report pages in a real browser, in English and in Chinese: a branch head opens the AUM
report, drills down from their branch to a manager and to the manager's customers, and exports
the customers to XLSX."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import login
from tests.factories import make_customer
from tests.reports.factories_catalogue import DAY, customer_day, snapshot_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (language cookie, the export button, the word "itself" of the branch's own line, the total row)
LANGUAGES = {
    "en": ("Export XLSX", "itself", "Total"),
    "zh-hans": ("导出 XLSX", "本身", "合计"),
}


def use_language(page, live_server, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_branch_head_drills_down_the_aum_report_and_exports(page, live_server, org, language):
    export_label, itself, total_label = LANGUAGES[language]
    org.supervisor.language = language
    org.supervisor.save()
    snapshot_run(org.bank_a, DAY)
    customers = [
        make_customer("C9001", org.a_sh, org.manager, name_local="王伟东"),
        make_customer("C9002", org.a_sh, org.manager, name_local="李娜"),
        make_customer("C9003", org.a_sh_sub, org.manager_sub, name_local="张伟"),
        make_customer("C9004", org.a_bj, org.manager_bj, name_local="陈静"),  # outside the subtree
    ]
    for customer, aum in zip(customers, ("1000.00", "500.00", "300.00", "9999.00"), strict=True):
        customer_day(customer, DAY, aum=Decimal(aum), tier="wealth")

    use_language(page, live_server, language)
    login(page, org.supervisor.username)
    page.goto("/reports/catalogue/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator('#report-catalogue a[data-report="balances"]').click()
    expect(page.locator("#report-total")).to_contain_text("1,800.00")
    expect(page.locator("#report-table")).not_to_contain_text("陈静")
    expect(page.locator("canvas[data-report-chart]").first).to_be_visible()

    # The branch's own line -> its managers -> the manager's customers.
    page.locator("#report-table a.report-drill", has_text=itself).click()
    expect(page.locator("#report-table")).to_contain_text(org.manager.display_name)
    expect(page.locator("#report-total")).to_contain_text("1,500.00")
    page.locator("#report-table a.report-drill", has_text=org.manager.display_name).click()
    expect(page.locator("#report-table")).to_contain_text("C9001 王伟东")
    expect(page.locator("#report-table")).to_contain_text("C9002 李娜")
    expect(page.locator("#report-total")).to_contain_text(total_label)
    expect(page.locator("#report-crumbs")).to_contain_text(org.manager.display_name)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=export_label).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:3]] == ["C9001 王伟东", "C9002 李娜"]
