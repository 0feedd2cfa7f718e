"""The appraisal pages: my scorecard (own only: another's is 404), a supervisor's subtree, the
source rows behind a line (customers through the customer scope), the team's ranks, XLSX exports,
the scheme pages with their checker, bounded query counts, both languages."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from ocrm.approvals.models import ChangeRequest
from reports.appraisal import services
from reports.appraisal.models import KpiScheme, Score
from tests.factories import make_staff
from tests.reports.factories_appraisal import NOV_END, make_scheme, november, own_aum_target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


@pytest.fixture
def scored(org):
    scheme = make_scheme(org.bank_a)
    customers = november(org)
    own_aum_target(scheme, org.manager_sub)
    services.score_period(org.bank_a.pk, "month", NOV_END)
    return {"org": org, "scheme": scheme, "customers": customers, "score": Score.objects.get(manager=org.manager)}


def test_manager_sees_only_their_own_scorecard(client, scored, django_assert_max_num_queries):
    org, score = scored["org"], scored["score"]
    client.force_login(org.manager)
    response = client.get(reverse("reports:kpi_my_scorecard"))
    assert response.status_code == 302 and response.url == reverse("reports:kpi_score", args=[score.pk])
    with django_assert_max_num_queries(20):
        page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "87.00" in body and "32.00" in body and "Campaign conversions" in body
    assert 'id="kpi-score-chart"' in body
    for other in (org.manager_sub, org.manager_bj):
        other_score = Score.objects.get(manager=other)
        assert client.get(reverse("reports:kpi_score", args=[other_score.pk])).status_code == 404
        line = other_score.lines.first()
        assert client.get(reverse("reports:kpi_line_source", args=[other_score.pk, line.pk])).status_code == 404
    # A line of one's own score asked under another's score: 404 too.
    line = score.lines.first()
    other_score = Score.objects.get(manager=org.manager_bj)
    assert client.get(reverse("reports:kpi_line_source", args=[other_score.pk, line.pk])).status_code == 404
    # Managers see no team page and cannot adjust.
    assert client.get(reverse("reports:kpi_team")).status_code == 403
    assert client.post(reverse("reports:kpi_score_adjust", args=[score.pk]), {"points": "5", "reason": "x"}).status_code == 403


def test_manager_without_a_score(client, org):
    client.force_login(org.manager)
    page = client.get(reverse("reports:kpi_my_scorecard"))
    assert page.status_code == 200 and 'id="no-score"' in page.content.decode()


def test_line_drills_down_to_the_customers_in_scope(client, scored, django_assert_max_num_queries):
    org, score = scored["org"], scored["score"]
    client.force_login(org.manager)
    new = score.lines.get(kind="new_customers")
    with django_assert_max_num_queries(20):
        page = client.get(reverse("reports:kpi_line_source", args=[score.pk, new.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "C-KPI-4" in body and "C-KPI-5" in body and "C-KPI-1" not in body
    assert "These rows add up to 2.00" in body and "weight 20.00" in body
    # The customer lost to a colleague is no longer the manager's: counted, but not named.
    lost = score.lines.get(kind="customers_lost")
    body = client.get(reverse("reports:kpi_line_source", args=[score.pk, lost.pk])).content.decode()
    assert "Outside your scope" in body and "C-KPI-3" not in body
    # The measure's rows: November's only.
    measure = score.lines.get(kind="measure")
    body = client.get(reverse("reports:kpi_line_source", args=[score.pk, measure.pk])).content.decode()
    assert "2026-11-05" in body and "2026-11-20" in body and "2026-10-31" not in body
    assert "These rows add up to 15.00" in body
    # XLSX of the rows.
    export = client.get(reverse("reports:kpi_line_source", args=[score.pk, new.pk]) + "?export=xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    numbers = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(numbers) == ["C-KPI-4", "C-KPI-5"]


def test_supervisor_sees_the_subtree_ranked(client, scored, django_assert_max_num_queries):
    org = scored["org"]
    client.force_login(org.supervisor)  # A-SH: A-SH and A-SH-1, not A-BJ
    with django_assert_max_num_queries(25):
        page = client.get(reverse("reports:kpi_team"))
    body = page.content.decode()
    assert page.status_code == 200
    assert org.manager.name_local in body and org.manager_sub.name_local in body
    assert org.manager_bj.name_local not in body
    assert 'id="branch-rollup"' in body and 'id="kpi-team-chart"' in body
    assert client.get(reverse("reports:kpi_score", args=[Score.objects.get(manager=org.manager_sub).pk])).status_code == 200
    assert client.get(reverse("reports:kpi_score", args=[Score.objects.get(manager=org.manager_bj).pk])).status_code == 404
    export = client.get(reverse("reports:kpi_team") + "?export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[1] for row in rows} == {org.manager.name_local, org.manager_sub.name_local}
    # Ranks in the region count every manager (A-BJ too), not only the visible ones.
    assert {row[1]: row[-1] for row in rows} == {org.manager.name_local: 1, org.manager_sub.name_local: 2}
    # Another period: nothing.
    october = client.get(reverse("reports:kpi_team"), {"period_kind": "month", "period_start": "2026-10-15"})
    assert org.manager.name_local not in october.content.decode()


def test_supervisor_adjusts_through_the_page(client, scored):
    org, score = scored["org"], scored["score"]
    client.force_login(org.supervisor)
    page = client.get(reverse("reports:kpi_score", args=[score.pk]))
    assert 'id="adjust-form"' in page.content.decode()
    bad = client.post(reverse("reports:kpi_score_adjust", args=[score.pk]), {"points": "5", "reason": " "})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    done = client.post(reverse("reports:kpi_score_adjust", args=[score.pk]), {"points": "5", "reason": "Good month"})
    assert done.status_code == 302
    request = ChangeRequest.objects.get(action=services.ACTION_ADJUST_SCORE)
    assert request.maker == org.supervisor and request.status == "pending"
    assert client.get(reverse("reports:kpi_score", args=[score.pk])).content.decode().count("Good month") == 1
    own = make_staff("a.sup.self", branch=org.a_sh, roles=["branch_supervisor", "customer_manager"])
    client.force_login(own)
    services.score_period(org.bank_a.pk, "month", NOV_END)
    own_score = Score.objects.get(manager=own)
    assert 'id="adjust-form"' not in client.get(reverse("reports:kpi_score", args=[own_score.pk])).content.decode()
    refused = client.post(reverse("reports:kpi_score_adjust", args=[own_score.pk]), {"points": "5", "reason": "Me"})
    assert "You cannot adjust your own score" in refused.content.decode()


def test_scheme_pages_with_the_checker(client, org):
    client.force_login(org.admin)
    assert client.get(reverse("reports:kpi_schemes")).status_code == 200
    assert client.get(reverse("reports:kpi_scheme_new")).status_code == 200
    data = {
        "name": "Managers 2027",
        "role": "customer_manager",
        "valid_from": "2027-01-01",
        "valid_to": "",
        "stretch_cap": "1.50",
        "ind-TOTAL_FORMS": "3",
        "ind-INITIAL_FORMS": "0",
        "ind-MIN_NUM_FORMS": "0",
        "ind-MAX_NUM_FORMS": "30",
        "ind-0-kind": "aum_growth",
        "ind-0-weight": "60",
        "ind-0-threshold": "0",
        "ind-0-target": "100000",
        "ind-0-stretch": "150000",
        "ind-1-kind": "new_customers",
        "ind-1-weight": "30",
        "ind-1-threshold": "1",
        "ind-1-target": "3",
        "ind-1-stretch": "5",
    }
    bad = client.post(reverse("reports:kpi_scheme_new"), data)
    assert bad.status_code == 200 and "The weights total 90; they must total exactly 100." in bad.content.decode()
    assert not KpiScheme.objects.exists()
    data["ind-1-weight"] = "40"
    created = client.post(reverse("reports:kpi_scheme_new"), data)
    scheme = KpiScheme.objects.get()
    assert created.status_code == 302 and created.url == reverse("reports:kpi_scheme", args=[scheme.pk])
    assert (scheme.bank_id, scheme.status, scheme.indicators.count()) == (org.bank_a.pk, "draft", 2)
    detail = client.get(created.url).content.decode()
    assert 'id="scheme-submit"' in detail and "AUM growth" in detail
    assert client.post(reverse("reports:kpi_scheme_submit", args=[scheme.pk]), {"reason": "2027"}).status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == "pending"
    assert client.get(reverse("reports:kpi_scheme_edit", args=[scheme.pk])).status_code == 404  # no longer a draft
    # Another bank's administrator: 404; a manager: 403.
    client.force_login(org.b_admin)
    assert client.get(reverse("reports:kpi_scheme", args=[scheme.pk])).status_code == 404
    client.force_login(org.manager)
    assert client.get(reverse("reports:kpi_schemes")).status_code == 403
    # The auditor reads, and cannot change.
    client.force_login(org.auditor)
    assert client.get(reverse("reports:kpi_scheme", args=[scheme.pk])).status_code == 200
    assert client.get(reverse("reports:kpi_scheme_new")).status_code == 403


def test_manager_target_and_new_version_pages(client, org):
    scheme = make_scheme(org.bank_a)
    client.force_login(org.admin)
    indicator = scheme.indicators.get(kind="aum_growth")
    url = reverse("reports:kpi_target_add", args=[scheme.pk])
    fields = {"indicator": indicator.pk, "manager": org.manager.pk, "valid_from": "2026-11-01", "threshold": "0"}
    response = client.post(url, {**fields, "target": "50000", "stretch": "10"}, follow=True)
    assert "The stretch must lie at or beyond the target" in response.content.decode()
    response = client.post(url, {**fields, "target": "50000", "stretch": "90000"}, follow=True)
    assert "The manager&#x27;s target was saved." in response.content.decode()
    assert scheme.indicators.get(kind="aum_growth").targets.get().manager == org.manager
    response = client.post(reverse("reports:kpi_scheme_version", args=[scheme.pk]), {"valid_from": "2027-01-01"})
    copy = KpiScheme.objects.get(version=2)
    assert response.url == reverse("reports:kpi_scheme", args=[copy.pk])
    assert (copy.previous_id, copy.valid_from, copy.indicators.count()) == (scheme.pk, datetime.date(2027, 1, 1), 5)


def test_both_languages(client, scored):
    org, score = scored["org"], scored["score"]
    org.manager.language = "zh-hans"
    org.manager.save(update_fields=["language"])
    client.force_login(org.manager)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("reports:kpi_score", args=[score.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "积分卡" in body and "客户资产增长" in body
    line = score.lines.get(kind="new_customers")
    url = reverse("reports:kpi_line_source", args=[score.pk, line.pk])
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "返回积分卡" in body


def test_team_and_scheme_pages_in_chinese(client, scored):
    org, scheme = scored["org"], scored["scheme"]
    org.supervisor.language = "zh-hans"
    org.supervisor.save(update_fields=["language"])
    client.force_login(org.supervisor)
    body = client.get(reverse("reports:kpi_team"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "团队积分" in body and "各网点平均积分" in body and "区域内排名" in body
    org.admin.language = "zh-hans"
    org.admin.save(update_fields=["language"])
    client.force_login(org.admin)
    body = client.get(reverse("reports:kpi_scheme", args=[scheme.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户经理个人目标" in body and "门槛值" in body and "营销活动转化" in body


def test_draft_edit_page_shows_its_indicators(client, org):
    draft = make_scheme(org.bank_a, status=KpiScheme.Status.DRAFT)
    client.force_login(org.admin)
    page = client.get(reverse("reports:kpi_scheme_edit", args=[draft.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and 'value="100000.00"' in body and 'value="campaigns.conversions" selected' in body


def test_scheme_pages_keep_the_query_count(client, scored, django_assert_max_num_queries):
    """The scheme list, a scheme, the new-scheme and the draft's edit page: a bounded number of
    queries, the same with more schemes, indicators and managers' targets."""
    org, scheme = scored["org"], scored["scheme"]
    draft = make_scheme(org.bank_a, status=KpiScheme.Status.DRAFT, name="Draft 2027", valid_from=datetime.date(2027, 1, 1))
    client.force_login(org.admin)
    urls = [
        reverse("reports:kpi_schemes"),
        reverse("reports:kpi_scheme", args=[scheme.pk]),
        reverse("reports:kpi_scheme_new"),
        reverse("reports:kpi_scheme_edit", args=[draft.pk]),
    ]
    for url in urls:
        client.get(url)  # warm the session and permission caches

    def counts():
        found = []
        for url in urls:
            with django_assert_max_num_queries(22) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    before = counts()
    for year in (2028, 2029, 2030):
        make_scheme(org.bank_a, status=KpiScheme.Status.DRAFT, name=f"Draft {year}", valid_from=datetime.date(year, 1, 1))
    for manager in (org.manager_bj, org.manager):
        own_aum_target(scheme, manager)
    assert counts() == before
