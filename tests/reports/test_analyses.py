"""The ACRM analyses (reports.analyses): Pareto shares, segments and their movement, churn
signals and the backtest, potential risk — against hand-computed figures from snapshot rows
written directly (tests/reports/factories_analyses.py); scope, exports and query counts."""

import contextlib
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from customers.master.models import Customer, CustomerGroup
from ocrm.audit.models import AuditLog
from reports.analyses import churn, markers, pareto, precompute, segments
from reports.analyses.models import AnalysisDay, ParetoDay, SegmentDay, TopCustomerDay
from reports.analyses.scope import snapshot_scope
from reports.snapshots import build as snapshots
from reports.snapshots.models import CustomerDay
from tests.factories import make_customer
from tests.reports.factories_analyses import D_PREV, D, customer_day, holding, salary

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_staff")]


# Every test runs twice: "live" (no precomputed rows: the pages compute from CustomerDay) and
# "nightly" (the build's derived step, reports.analyses.precompute, has run for the date read:
# the pages read its rows). The nightly mode reruns the step whenever a date's marker is read, so
# that rows a test adds after a first read are in; inside a query-count assertion it runs it for
# every date beforehand instead (the step's statements are the build's, not the page's).
@pytest.fixture(autouse=True, params=["live", "nightly"])
def mode(request, monkeypatch):
    state = {"frozen": False}
    if request.param == "nightly":
        real_marker, real_latest = markers.marker, markers.latest_snapshot

        def marker(bank_id, day):
            if not state["frozen"] and bank_id is not None and day is not None:
                precompute.run(bank_id, day)
            return real_marker(bank_id, day)

        def latest_snapshot(bank_id, day):  # a page's date, read with its marker: the step runs first
            latest = churn.snapshot_on_or_before(bank_id, day)
            if not state["frozen"] and latest is not None:
                precompute.run(bank_id, latest)
            return real_latest(bank_id, day)

        monkeypatch.setattr(markers, "marker", marker)
        monkeypatch.setattr(markers, "latest_snapshot", latest_snapshot)
    return request.param, state


@pytest.fixture
def django_assert_max_num_queries(django_assert_max_num_queries, mode):
    @contextlib.contextmanager
    def counted(num, **kwargs):
        name, state = mode
        if name == "nightly":
            for bank_id, day in CustomerDay.objects.values_list("bank_id", "business_date").distinct():
                precompute.run(bank_id, day)
            state["frozen"] = True
        try:
            with django_assert_max_num_queries(num, **kwargs) as captured:
                yield captured
        finally:
            state["frozen"] = False

    return counted


# The layout (session, user, permissions, parameters, the menu's badges) takes about 12 queries; an
# analysis adds a fixed few (the date, its statement(s), the customers and branches of the page, and
# the larger work_mem: SET LOCAL in a savepoint here, in a transaction of its own in production).
PAGE_QUERIES = 21

SH_AUM = [1000, 500, 200, 100, 50, 50, 40, 30, 20, 10]  # total 2000
SH_CONTRIBUTION = [10, 20, 300, 40, 5, 5, 5, 5, 5, 5]  # total 400
BJ_AUM = [300, 100]  # total 400, no contribution


@pytest.fixture
def book(org):
    """Ten customers of A-SH (the first four managed by org.manager) and two of A-BJ, on D."""
    sh = []
    for i, (aum, contribution) in enumerate(zip(SH_AUM, SH_CONTRIBUTION, strict=True)):
        customer = make_customer(f"SH{i:03d}", org.a_sh, org.manager if i < 4 else None)
        customer_day(customer, D, aum=aum, contribution=contribution)
        sh.append(customer)
    bj = []
    for i, aum in enumerate(BJ_AUM):
        customer = make_customer(f"BJ{i:03d}", org.a_bj, org.manager_bj)
        customer_day(customer, D, aum=aum, contribution=0)
        bj.append(customer)
    return sh, bj


def share(value):
    return None if value is None else round(value, 6)


def test_pareto_shares_hand_computed(org, book):
    groups = pareto.pareto(snapshot_scope(org.auditor), D)
    total, sh, bj = groups[None], groups[org.a_sh.pk], groups[org.a_bj.pk]
    assert (total.customers, sh.customers, bj.customers) == (12, 10, 2)
    # A-SH: the top 1 %, 5 %, 10 % are one customer (ceil(10 k / 100) = 1), the top 20 % two.
    assert [share(sh.share("aum", k)) for k in pareto.CUTS] == [Decimal("0.5")] * 3 + [Decimal("0.75")]
    # By contribution the order differs: 300 first, then 40.
    assert [share(sh.share("contribution", k)) for k in pareto.CUTS] == [Decimal("0.75")] * 3 + [Decimal("0.85")]
    # The bank: 12 customers, total 2400; top 1/5/10 % = 1 customer (1000), top 20 % = 3 (1000+500+300).
    assert share(total.share("aum", 1)) == round(Decimal(1000) / Decimal(2400), 6)
    assert share(total.share("aum", 20)) == Decimal("0.75")
    assert [count for _pct, count, _a, _c in total.shares()] == [1, 1, 2, 3]
    # A-BJ has no contribution: no share to speak of.
    assert bj.share("contribution", 20) is None
    assert bj.share("aum", 1) == Decimal("0.75")
    # The curve ends at 100 % of everything.
    assert total.curve()[-1] == (100, 100.0, 100.0)


def test_pareto_page_supervisor_sees_the_subtree(client, org, book, django_assert_max_num_queries):
    client.force_login(org.supervisor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("reports:analyses_pareto"), {"date": D.isoformat()})
    assert response.status_code == 200
    total = response.context["total"]
    assert total.customers == 10  # A-SH only, not A-BJ
    assert [row.branch.code for row in response.context["rows"]] == ["A-SH"]
    assert "pareto-chart-data" in response.content.decode()
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in response.content.decode()


def test_manager_sees_own_book_only(client, org, book):
    client.force_login(org.manager)
    response = client.get(reverse("reports:analyses_pareto"), {"date": D.isoformat()})
    assert response.context["total"].customers == 4
    assert response.context["total"].aum_total == Decimal(1800)


def test_branch_outside_scope_is_404(client, org, book):
    client.force_login(org.supervisor)
    for name in ("reports:analyses_pareto", "reports:analyses_segments", "reports:analyses_churn", "reports:analyses_risk"):
        assert client.get(reverse(name), {"branch": "A-BJ"}).status_code == 404, name
        assert client.get(reverse(name), {"branch": "A-SH-1"}).status_code == 200, name
    assert client.get(reverse("reports:analyses_pareto"), {"branch": "B-HK"}).status_code == 404


def test_top_customers_listed_through_the_customer_scope(client, org, book, django_assert_max_num_queries):
    sh, _bj = book
    client.force_login(org.supervisor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("reports:analyses_top_customers"), {"date": D.isoformat(), "pct": 20})
    rows = response.context["rows"]
    assert [(row.rank, row.customer.number) for row in rows] == [(1, "SH000"), (2, "SH001")]
    assert rows[1].cumulative_percent == Decimal("75.0")
    by_contribution = client.get(
        reverse("reports:analyses_top_customers"), {"date": D.isoformat(), "pct": 20, "measure": "contribution"}
    )
    assert [row.customer.number for row in by_contribution.context["rows"]] == ["SH002", "SH003"]
    # A manager: ranked within their own book (four customers: top 20 % is one).
    client.force_login(org.manager)
    response = client.get(reverse("reports:analyses_top_customers"), {"date": D.isoformat(), "pct": 20})
    assert [row.customer.number for row in response.context["rows"]] == ["SH000"]


def test_top_customers_export_is_audited(client, org, book):
    client.force_login(org.supervisor)
    before = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count()
    response = client.get(reverse("reports:analyses_top_customers"), {"date": D.isoformat(), "pct": 20, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == before + 1
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("pk")
    assert entry.object_type == "customers.customer"
    assert entry.detail["rows"] == 2


def test_permissions(client, org, book):
    for user in (org.teller, org.product_manager, org.crossborder_officer):
        client.force_login(user)
        assert client.get(reverse("reports:analyses_pareto")).status_code == 403
    client.force_login(org.manager)
    assert client.get(reverse("reports:analyses_risk")).status_code == 403
    assert client.get(reverse("reports:analyses")).status_code == 200
    client.logout()
    assert client.get(reverse("reports:analyses")).status_code == 302


# --- segments ---------------------------------------------------------------------------------------


def test_segment_sizes_and_movement_matrix(org):
    earlier, later = D_PREV, D
    a = make_customer("SG1", org.a_sh, org.manager)
    b = make_customer("SG2", org.a_sh, org.manager)
    c = make_customer("SG3", org.a_sh, org.manager)
    d = make_customer("SG4", org.a_sh, org.manager)
    e = make_customer("SG5", org.a_sh, org.manager)
    # a: high/active -> high/active (stays); b: medium/active -> low/declining; c: low/active -> low/declining
    customer_day(a, earlier, aum=2_000_000, stage="active", products=4)
    customer_day(a, later, aum=1_500_000, stage="active", products=4)
    customer_day(b, earlier, aum=60_000, stage="active", products=2)
    customer_day(b, later, aum=40_000, stage="declining", products=2)
    customer_day(c, earlier, aum=100, stage="active", products=1)
    customer_day(c, later, aum=100, stage="declining", products=1)
    # d leaves (only earlier); e joins (only later)
    customer_day(d, earlier, aum=100, stage="active")
    customer_day(e, later, aum=49_999.99, stage="prospect", products=0)
    scope = snapshot_scope(org.supervisor)

    sizes = {s.key: s for s in segments.segment_sizes(scope, later)}
    assert {k: s.customers for k, s in sizes.items()} == {"high:active": 1, "low:declining": 2, "low:prospect": 1}
    assert sizes["high:active"].by_usage == {"deep": 1}
    assert sizes["low:declining"].by_usage == {"cross": 1, "single": 1}
    assert sizes["low:prospect"].usage_counts() == [1, 0, 0]

    move = segments.movement(scope, earlier, later)
    assert move.counts == {
        ("high:active", "high:active"): 1,
        ("medium:active", "low:declining"): 1,
        ("low:active", "low:declining"): 1,
        ("low:active", segments.OUTSIDE): 1,
        (segments.OUTSIDE, "low:prospect"): 1,
    }
    assert (move.stayed, move.moved) == (1, 4)
    assert move.rows == ["high:active", "medium:active", "low:active", segments.OUTSIDE]
    assert move.columns == ["high:active", "low:prospect", "low:declining", segments.OUTSIDE]


def test_segments_page_and_dynamic_group(client, org, django_assert_max_num_queries):
    a = make_customer("SG1", org.a_sh, org.manager)
    customer_day(a, D_PREV, aum=60_000, stage="active")
    customer_day(a, D, aum=70_000, stage="active")
    client.force_login(org.supervisor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(reverse("reports:analyses_segments"), {"date": D.isoformat()})
    assert response.status_code == 200
    assert response.context["compare"] == D_PREV
    assert [s.key for s in response.context["segments"]] == ["medium:active"]
    assert response.context["movement_rows"][0][1] == [1]

    response = client.post(
        reverse("reports:analyses_segment_group"), {"segment": "medium:active", "name": "Medium active SH", "branch": "A-SH"}
    )
    group = CustomerGroup.objects.get(name="Medium active SH")
    assert group.kind == CustomerGroup.Kind.DYNAMIC and group.owner == org.supervisor
    assert group.filter_query == "aum_min=50000&aum_max=999999.99&lifecycle=active&branch=A-SH"
    assert response.status_code == 302 and response["Location"].endswith(f"?group={group.pk}")
    # The list runs the group: the customer is in it (today's AUM 0 is outside the band, so set it).
    a.aum = Decimal(70_000)
    a.lifecycle_stage = "active"
    a.save()
    listed = client.get(reverse("customers:list"), {"group": group.pk})
    assert "SG1" in listed.content.decode()


def test_segment_group_refuses_bad_input(client, org):
    client.force_login(org.supervisor)
    response = client.post(reverse("reports:analyses_segment_group"), {"segment": "bogus", "name": "X"})
    assert response.status_code == 302
    assert not CustomerGroup.objects.exists()
    assert (
        client.post(
            reverse("reports:analyses_segment_group"), {"segment": "low:active", "name": "X", "branch": "A-BJ"}
        ).status_code
        == 404
    )
    client.force_login(org.auditor)  # may read the analyses, may not create groups
    assert client.post(reverse("reports:analyses_segment_group"), {"segment": "low:active", "name": "X"}).status_code == 403
    assert not CustomerGroup.objects.exists()


# --- churn -------------------------------------------------------------------------------------------


def churn_case(org):
    """x: every signal (100); y: balances drained only (25); z: salary still paid (0)."""
    x = make_customer("CH-X", org.a_sh, org.manager)
    y = make_customer("CH-Y", org.a_sh, org.manager)
    z = make_customer("CH-Z", org.a_sh, org.manager)
    customer_day(x, D_PREV, aum=100_000, txns=10, stage="active")
    customer_day(x, D, aum=40_000, txns=2, stage="declining")
    account = holding(x)
    salary(x, D - datetime.timedelta(days=60), account=account)  # paid two months ago, not since
    holding(
        x, product_type="time_deposit", open_date=D - datetime.timedelta(days=375), maturity_date=D - datetime.timedelta(days=10)
    )
    customer_day(y, D_PREV, aum=100_000, txns=3, stage="active")
    customer_day(y, D, aum=50_000, txns=1, stage="active")  # halved exactly; 3 -> 1 is from fewer than 4
    customer_day(z, D_PREV, aum=1000, txns=5, stage="active")
    customer_day(z, D, aum=1000, txns=5, stage="active")
    salary(z, D - datetime.timedelta(days=60))
    salary(z, D - datetime.timedelta(days=5))
    # A time deposit of z matured and was rolled over (a new one opened on maturity).
    holding(
        z, product_type="time_deposit", open_date=D - datetime.timedelta(days=380), maturity_date=D - datetime.timedelta(days=15)
    )
    holding(
        z, product_type="time_deposit", open_date=D - datetime.timedelta(days=15), maturity_date=D + datetime.timedelta(days=350)
    )
    return x, y, z


def test_churn_signals_and_weights(org):
    x, y, z = churn_case(org)
    assert [s.weight for s in churn.SIGNALS] == [30, 25, 15, 15, 15]
    assert sum(s.weight for s in churn.SIGNALS) == 100
    scope = snapshot_scope(org.supervisor)
    found = {w.customer_id: w for w in churn.warnings(scope, D, Customer.objects.all(), min_score=0)}
    assert found[x.pk].score == 100 and all(found[x.pk].flags.values())
    assert found[y.pk].score == 25
    assert found[y.pk].flags == {
        "salary_stopped": False,
        "balance_drained": True,
        "maturity_not_rolled": False,
        "fewer_transactions": False,
        "lifecycle_down": False,
    }
    assert found[z.pk].score == 0 and not any(found[z.pk].flags.values())
    summary = churn.summary(scope, D)
    assert (summary.scored, summary.warned, summary.compare_day) == (3, 1, D_PREV)
    assert summary.by_signal["balance_drained"] == 2


def test_churn_page_and_customer_explanation(client, org, django_assert_max_num_queries):
    x, y, _z = churn_case(org)
    client.force_login(org.manager)
    with django_assert_max_num_queries(PAGE_QUERIES + 6):
        response = client.get(reverse("reports:analyses_churn"), {"date": D.isoformat()})
    assert [row.customer.number for row in response.context["rows"]] == ["CH-X"]
    page = response.content.decode()
    assert "+30" in page and "Salary credits stopped" in page
    detail = client.get(reverse("reports:analyses_churn_customer", args=["CH-Y"]), {"date": D.isoformat()})
    assert detail.status_code == 200
    assert detail.context["warning"].score == 25
    assert 'data-signal="balance_drained" data-on="1"' in detail.content.decode()
    # Another manager's customer is a 404.
    client.force_login(org.manager_bj)
    assert client.get(reverse("reports:analyses_churn_customer", args=["CH-Y"])).status_code == 404
    assert client.get(reverse("reports:analyses_churn_customer", args=["NOPE"])).status_code == 404


def test_churn_backtest_precision_hand_computed(org):
    """Warnings of W = D - 90 (the latest snapshot on or before), checked on D."""
    w = D - datetime.timedelta(days=90)
    w_prev = w - datetime.timedelta(days=30)
    people = [make_customer(f"BT{i}", org.a_sh, org.manager) for i in range(6)]
    for p in people:
        customer_day(p, w_prev, aum=1000, txns=10)
    # p0..p3 warned at W (balances drained 25 + fewer transactions 15 = 40); p4, p5 not.
    for p in people[:4]:
        customer_day(p, w, aum=400, txns=2)
    for p in people[4:]:
        customer_day(p, w, aum=1000, txns=10)
    # On D: p0 exited (churned), p1 gone from the snapshot (churned), p2 kept 40 of 400 = 10 % (churned),
    # p3 recovered; p4 drained to 50 of 1000 (churned, not warned); p5 fine.
    customer_day(people[0], D, aum=0, stage="exited")
    customer_day(people[2], D, aum=40)
    customer_day(people[3], D, aum=900)
    customer_day(people[4], D, aum=50)
    customer_day(people[5], D, aum=1000)
    result = churn.backtest(snapshot_scope(org.supervisor), D)
    assert result.warned_on == w
    assert (result.scored, result.warned, result.churned, result.warned_churned) == (6, 4, 4, 3)
    assert result.precision == 3 / 4
    assert result.recall == 3 / 4


def test_churn_backtest_without_history(org):
    customer_day(make_customer("BT9", org.a_sh, org.manager), D, aum=10)
    assert churn.backtest(snapshot_scope(org.supervisor), D) is None


# --- potential risk ----------------------------------------------------------------------------------


def test_risky_loans(client, org, django_assert_max_num_queries):
    late = make_customer("RK-LATE", org.a_sh, org.manager)
    falling = make_customer("RK-FALL", org.a_sh, org.manager)
    fine = make_customer("RK-FINE", org.a_sh, org.manager)
    elsewhere = make_customer("RK-BJ", org.a_bj, org.manager_bj)
    for customer, before, now in ((late, 1000, 1000), (falling, 1000, 790), (fine, 1000, 900), (elsewhere, 1000, 10)):
        customer_day(customer, D_PREV, aum=before)
        customer_day(customer, D, aum=now)
        holding(
            customer,
            product_type="loan",
            balance=50_000,
            next_instalment_date=D - datetime.timedelta(days=5) if customer is late else D + datetime.timedelta(days=5),
        )
    client.force_login(org.supervisor)
    # + 1: a supervisor's subtree is read as its branch ids (ocrm.scoping.subtree_branch_ids).
    with django_assert_max_num_queries(PAGE_QUERIES + 3):
        response = client.get(reverse("reports:analyses_risk"), {"date": D.isoformat()})
    rows = response.context["rows"]
    assert [(row.customer.number, row.days_late, row.deposits_falling) for row in rows] == [
        ("RK-LATE", 5, False),
        ("RK-FALL", None, True),
    ]
    assert (response.context["late"], response.context["falling"], response.context["listed"]) == (1, 1, 2)
    # Account numbers are personal data: lists and exports show their last digits only.
    account = rows[0].account_number
    page = response.content.decode()
    assert account not in page and rows[0].account_masked in page
    assert rows[0].account_masked.endswith(account[-4:]) and "*" in rows[0].account_masked
    exported = client.get(reverse("reports:analyses_risk"), {"date": D.isoformat(), "export": "xlsx"})
    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(exported.streaming_content))).active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row]
    assert rows[0].account_masked in cells and account not in cells


def test_pages_in_chinese(client, org, book):
    org.supervisor.language = "zh-hans"
    org.supervisor.save(update_fields=["language"])
    client.force_login(org.supervisor)
    for name in ("reports:analyses", "reports:analyses_pareto", "reports:analyses_segments", "reports:analyses_churn"):
        response = client.get(reverse(name), {"date": D.isoformat()})
        assert response.status_code == 200
    page = response.content.decode()
    assert "客户流失预警" in page and "信号及其权重" in page
    pareto_page = client.get(reverse("reports:analyses_pareto"), {"date": D.isoformat()})
    assert "贡献度与二八法则" in pareto_page.content.decode()


def test_top_customers_pages_keep_the_query_count(client, org, django_assert_max_num_queries):
    for i in range(60):
        customer_day(make_customer(f"PG{i:03d}", org.a_sh, org.manager), D, aum=1000 + i, contribution=i)
    client.force_login(org.supervisor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        first = client.get(reverse("reports:analyses_top_customers"), {"date": D.isoformat(), "pct": 100})
    assert len(first.context["rows"]) == 50 and first.context["has_next"]
    assert first.context["rows"][0].customer.number == "PG059"
    with django_assert_max_num_queries(PAGE_QUERIES):
        second = client.get(reverse("reports:analyses_top_customers"), {"date": D.isoformat(), "pct": 100, "page": 2})
    assert [row.rank for row in second.context["rows"]] == list(range(51, 61)) and not second.context["has_next"]


def test_index_and_churn_customer_pages_keep_the_query_count(client, org, django_assert_max_num_queries):
    churn_case(org)
    client.force_login(org.manager)
    client.get(reverse("reports:analyses"))  # warm the session and permission caches
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(reverse("reports:analyses")).status_code == 200
    with django_assert_max_num_queries(PAGE_QUERIES):
        detail = client.get(reverse("reports:analyses_churn_customer", args=["CH-Y"]), {"date": D.isoformat()})
    assert detail.status_code == 200 and detail.context["warning"].score == 25


def test_whole_bank_pages_read_only_the_precomputed_rows(client, org, book, mode, django_assert_max_num_queries):
    """For a whole bank, a precomputed date's pages read the build's rows: no customer-day row (the
    date's look-up reads the last entry of an index), no transaction, and no transaction of their
    own for a larger work_mem (nothing to sort): fewer queries than a page computing live. In the
    live mode the same pages do read the customer-day rows: the check below is one that can fail."""
    nightly = mode[0] == "nightly"
    churn_case(org)
    client.force_login(org.auditor)
    for name in ("analyses_pareto", "analyses_top_customers", "analyses_segments", "analyses_churn"):
        url = reverse(f"reports:{name}")
        client.get(url, {"date": D.isoformat()})  # warm the session and permission caches
        with django_assert_max_num_queries(PAGE_QUERIES - 3 if nightly else PAGE_QUERIES) as captured:
            response = client.get(url, {"date": D.isoformat()})
        assert response.status_code == 200, name
        statements = [query["sql"] for query in captured.captured_queries]
        customer_rows = [sql for sql in statements if "reports_customerday" in sql and "max(business_date)" not in sql]
        assert bool(customer_rows) is not nightly, name
        if nightly:
            assert [sql for sql in statements if "customers_transaction" in sql or "work_mem" in sql] == [], name
    assert response.context["summary"].warned == 1  # the churn page: CH-X, from ChurnDay


def test_no_snapshot_yet(client, org):
    client.force_login(org.supervisor)
    for name in ("reports:analyses_pareto", "reports:analyses_segments", "reports:analyses_churn", "reports:analyses_risk"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert response.context["day"] is None
    assert client.get(reverse("reports:analyses_pareto"), {"date": "not-a-date", "page": "x"}).status_code == 200


def test_churn_export_is_audited_and_needs_the_export_permission(client, org):
    churn_case(org)
    client.force_login(org.supervisor)
    before = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count()
    response = client.get(reverse("reports:analyses_churn"), {"date": D.isoformat(), "export": "xlsx"})
    assert response.status_code == 200
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("pk")
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == before + 1
    assert (entry.object_type, entry.detail["rows"]) == ("customers.customer", 1)
    client.force_login(org.auditor)  # reads the analyses, may not export customer lists
    assert client.get(reverse("reports:analyses_churn"), {"date": D.isoformat(), "export": "xlsx"}).status_code == 403
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == before + 1


def test_default_date_is_the_latest_snapshot(client, org):
    customer = make_customer("DF1", org.a_sh, org.manager)
    customer_day(customer, D_PREV, aum=10)
    customer_day(customer, D, aum=20)
    client.force_login(org.supervisor)
    assert client.get(reverse("reports:analyses_pareto")).context["day"] == D
    # A date without a snapshot reads the latest one before it.
    assert client.get(reverse("reports:analyses_pareto"), {"date": "2026-11-15"}).context["day"] == D_PREV


# --- the nightly build's derived step --------------------------------------------------------------


def test_the_build_precomputes_the_analyses_in_its_transaction(org, mode):
    day = datetime.date.today() - datetime.timedelta(days=3)
    for i in range(3):
        make_customer(f"PB{i}", org.a_sh, org.manager)
    Customer.objects.filter(number__startswith="PB").update(created_at=timezone.now() - datetime.timedelta(days=10))
    run = snapshots.build(org.bank_a, day)
    assert run.status == "done"
    assert run.rows["analysis_pareto"] == ParetoDay.objects.filter(bank_id=org.bank_a.pk, business_date=day).count() > 0
    assert AnalysisDay.objects.filter(bank_id=org.bank_a.pk, business_date=day).count() == 1
    scope = snapshot_scope(org.auditor)
    precomputed = pareto.pareto(scope, day)
    live = pareto._live(scope, day)
    assert {k: (g.customers, g.shares()) for k, g in precomputed.items()} == {
        k: (g.customers, g.shares()) for k, g in live.items()
    }
    assert precomputed[None].curve() == live[None].curve()
    # Idempotent per date: run again, the same rows (no doubles).
    cells = sorted(SegmentDay.objects.filter(business_date=day).values_list("branch_id", "value", "customers"))
    precompute.run(org.bank_a.pk, day)
    assert sorted(SegmentDay.objects.filter(business_date=day).values_list("branch_id", "value", "customers")) == cells
    assert AnalysisDay.objects.filter(bank_id=org.bank_a.pk, business_date=day).count() == 1


def test_precomputed_movement_and_sizes_match_live_in_every_scope(org):
    """A customer moving between branches and managers: each scope's matrix from MovementDay is the live one."""
    a = make_customer("MV1", org.a_sh, org.manager)
    b = make_customer("MV2", org.a_bj, org.manager_bj)
    customer_day(a, D_PREV, aum=2_000_000, stage="active")
    customer_day(a, D, aum=60_000, stage="declining", branch=org.a_bj, manager=org.manager_bj)
    customer_day(b, D_PREV, aum=100, stage="active")
    customer_day(b, D, aum=100, stage="active", branch=org.a_sh, manager=org.manager)
    scopes = [
        snapshot_scope(org.auditor),
        snapshot_scope(org.auditor, org.a_sh),
        snapshot_scope(org.auditor, org.a_bj),
        snapshot_scope(org.manager),
        snapshot_scope(org.supervisor),
    ]
    live = [(segments.movement(s, D_PREV, D).counts, segments.segment_sizes(s, D)) for s in scopes]
    precompute.run(org.bank_a.pk, D)
    assert AnalysisDay.objects.get(bank_id=org.bank_a.pk, business_date=D).compare_date == D_PREV
    nightly = [(segments._movement_precomputed(s, D_PREV, D).counts, segments.segment_sizes(s, D)) for s in scopes]
    assert nightly == live
    assert live[1][0] == {("high:active", segments.OUTSIDE): 1, (segments.OUTSIDE, "low:active"): 1}


def test_precomputed_top_customers_equal_the_live_ranking(org):
    """The bank's top customers from TopCustomerDay (the build's one pass) are the live ranking:
    every cut, both measures, ties broken by customer id, only visible customers listed."""
    values = [(900, 5), (900, 50), (300, -7), (100, 50), (50, 0), (10, 1), (0, 0), (5000, 3), (700, 700), (1, 2)]
    for number, (aum, contribution) in enumerate(values):
        branch, manager = (org.a_sh, org.manager) if number % 2 else (org.a_bj, org.manager_bj)
        customer = make_customer(f"TOP{number}", branch, manager)
        customer_day(customer, D, aum=aum, contribution=contribution)
    scope = snapshot_scope(org.auditor)
    everyone = Customer.objects.filter(bank=org.bank_a)
    supervisor_sees = Customer.objects.visible_to(org.supervisor)
    live = {
        (pct, measure, name): pareto.top_customer_rows(scope, D, pct, measure, visible)
        for pct in pareto.CUTS
        for measure in ("aum", "contribution")
        for name, visible in (("all", everyone), ("supervisor", supervisor_sees))
    }
    precompute.run(org.bank_a.pk, D)
    assert TopCustomerDay.objects.filter(bank_id=org.bank_a.pk, business_date=D).count() == 4  # top 20 %: 2 by each measure
    for (pct, measure, name), rows in live.items():
        visible = everyone if name == "all" else supervisor_sees
        nightly = pareto.top_customer_rows(scope, D, pct, measure, visible)
        assert [(r.rank, r.customer_id, r.cumulative_share) for r in nightly] == [
            (r.rank, r.customer_id, r.cumulative_share) for r in rows
        ], (pct, measure, name)
    assert [r.rank for r in live[(20, "aum", "all")]] == [1, 2]
    assert len(pareto.top_customer_rows(scope, D, 20, "aum", everyone, limit=1, offset=1)) == 1
