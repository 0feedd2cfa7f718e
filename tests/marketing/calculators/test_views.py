"""The calculator pages: anonymous visitors log in, a person without customers.view_customer gets
403, forms name the bad field, results render as tables, the loan schedule carries its chart data
and exports an XLSX file (audited), the bank's rounding rule applies."""

import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from ocrm.audit.models import AuditLog
from sysadmin.parameters import services as parameters

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]

PAGES = ("calculators", "calculator_deposit", "calculator_loan", "calculator_regular", "calculator_goal")


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in PAGES:
        response = client.get(reverse(f"marketing:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_a_person_without_the_permission_is_refused(client, make_staff):
    nobody = make_staff("no.perms", roles=[])
    client.force_login(nobody)
    for name in PAGES:
        assert client.get(reverse(f"marketing:{name}")).status_code == 403, name
    nobody.user_permissions.add(Permission.objects.get(codename="view_customer", content_type__app_label="customers"))
    for name in PAGES:
        assert client.get(reverse(f"marketing:{name}")).status_code == 200, name


def test_the_loan_schedule_renders_with_its_chart_and_totals(client, org):
    client.force_login(org.manager)
    query = {"amount": "100000", "annual_rate": "4.9", "months": "12", "method": "equal_instalment", "first_due": "2024-01-31"}
    response = client.get(reverse("marketing:calculator_loan"), query)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="loan-schedule"' in html and "8556.17" in html and "100000.00" in html
    assert "2024-02-29" in html  # the month end kept in a leap year
    chart = json.loads(html.split('id="calculator-loan-data" type="application/json">')[1].split("</script>")[0])
    assert len(chart) == 12 and chart[-1]["balance"] == "0.00"
    assert "for reference only" in html  # the disclosure parameter


def test_the_loan_schedule_exports_an_audited_xlsx(client, org):
    client.force_login(org.manager)
    query = {"amount": "1200", "annual_rate": "0", "months": "3", "method": "equal_principal", "export": "xlsx"}
    before = AuditLog.objects.count()
    response = client.get(reverse("marketing:calculator_loan"), query)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "No." and len(rows) == 4
    assert [Decimal(str(row[3])) for row in rows[1:]] == [Decimal("400")] * 3
    assert AuditLog.objects.count() == before + 1


def test_bad_input_names_the_field_never_a_500(client, org):
    client.force_login(org.manager)
    html = client.get(
        reverse("marketing:calculator_loan"), {"amount": "-5", "annual_rate": "99", "months": "0", "method": "x"}
    ).content.decode()
    assert "Ensure this value is greater than or equal to 100" in html
    assert "Ensure this value is less than or equal to 36" in html
    assert 'id="loan-schedule"' not in html
    html = client.get(
        reverse("marketing:calculator_deposit"),
        {
            "principal": "1000",
            "annual_rate": "2",
            "start": "2024-01-01",
            "term_months": "3",
            "day_count": "ACT/365F",
            "withdraw_on": "2025-01-01",
        },
    ).content.decode()
    assert "The early withdrawal date must be between the start date and maturity." in html
    assert "Enter the demand rate to compute an early withdrawal." in html
    html = client.get(
        reverse("marketing:calculator_goal"),
        {"kind": "retirement", "cost_today": "5000", "years_until": "20", "inflation": "2", "annual_return": "4"},
    ).content.decode()
    assert "Enter the years in retirement." in html


def test_deposit_regular_and_goal_results(client, org):
    client.force_login(org.manager)
    html = client.get(
        reverse("marketing:calculator_deposit"),
        {"principal": "10000", "annual_rate": "2.75", "start": "2024-01-01", "term_months": "12", "day_count": "ACT/365F",
         "demand_rate": "0.3", "withdraw_on": "2024-07-01"},
    ).content.decode()  # fmt: skip
    assert "275.75" in html and "14.96" in html and "366" in html
    html = client.get(
        reverse("marketing:calculator_regular"), {"monthly_amount": "500", "annual_return": "0", "months": "14"}
    ).content.decode()
    assert 'id="regular-result"' in html and "7000.00" in html
    html = client.get(
        reverse("marketing:calculator_goal"),
        {"kind": "education", "cost_today": "1000", "years_until": "1", "inflation": "0", "annual_return": "0"},
    ).content.decode()
    assert "83.33" in html  # 1000 / 12


def test_the_banks_rounding_rule_applies(client, org):
    client.force_login(org.manager)
    query = {"principal": "10", "annual_rate": "0.45", "start": "2023-01-01", "term_months": "12", "day_count": "ACT/365F"}
    assert '<td class="text-end">0.05</td>' in client.get(reverse("marketing:calculator_deposit"), query).content.decode()
    parameters.set_value("calculators.rounding", "HALF_EVEN", bank=org.bank_a, actor=org.admin)
    assert '<td class="text-end">0.04</td>' in client.get(reverse("marketing:calculator_deposit"), query).content.decode()


def test_a_page_runs_a_bounded_number_of_queries(client, org, django_assert_max_num_queries):
    client.force_login(org.manager)
    query = {"amount": "500000", "annual_rate": "4.1", "months": "360", "method": "equal_principal"}
    with django_assert_max_num_queries(12):
        assert client.get(reverse("marketing:calculator_loan"), query).status_code == 200
