"""The dashboard: cards per role and scope, fixed query counts whatever the data size, the today
list merging every source and its snooze/dismiss with a reason, the shortcut menu."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.lifecycle.models import LifecycleChange
from customers.master import services as master
from customers.master.models import Customer, Holding, HoldingBalance, Transaction
from ocrm import preferences
from ocrm.audit.models import AuditLog
from tests.factories import make_customer, make_product
from workbench import desk
from workbench.dashboard import figures, services
from workbench.dashboard import tasks as dashboard_tasks
from workbench.dashboard.models import BookFigure, DashFigure, DeskDismissal

pytestmark = pytest.mark.django_db

CARD_KEYS = ("book", "aum_trend", "breakdown", "due", "lifecycle", "work", "transactions")


def as_user(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def card(client, key, **query):
    url = reverse("workbench:dashboard_card", args=[key])
    return client.get(url, query)


def add_book(org, manager, branch, count, start=0, bank_b=False):
    """`count` customers of `manager` with a holding maturing soon, a month-end balance and a transaction each."""
    product = make_product(branch.bank, code="TD-CNY", product_type="time_deposit")
    today = timezone.localdate()
    month_end = today.replace(day=1) - datetime.timedelta(days=1)
    for index in range(start, start + count):
        customer = make_customer(
            f"{branch.code}-{index:04d}", branch, manager, aum=Decimal(1000 + index), tier="vip" if index % 2 else "mass"
        )
        holding = Holding.objects.create(
            bank_id=branch.bank_id,
            customer=customer,
            product=product,
            branch=branch,
            account_number=f"{branch.code}-ACC-{index}",
            currency="CNY",
            balance=Decimal(500),
            maturity_date=today + datetime.timedelta(days=5),
        )
        HoldingBalance.objects.create(
            bank_id=branch.bank_id,
            customer_id=customer.pk,
            holding=holding,
            business_date=month_end,
            balance=500,
            balance_base=500,
        )
        Transaction.objects.create(
            bank_id=branch.bank_id,
            customer_id=customer.pk,
            holding=holding,
            occurred_at=timezone.now() - datetime.timedelta(days=2),
            amount=Decimal(10),
            currency="CNY",
            direction="C",
            channel="mobile",
            txn_type="deposit",
        )
        LifecycleChange.objects.create(bank_id=branch.bank_id, customer=customer, stage_from="prospect", stage_to="active")


def test_a_manager_sees_only_their_own_book(client, org):
    add_book(org, org.manager, org.a_sh, 3)
    add_book(org, org.manager_bj, org.a_bj, 2, start=10)
    add_book(org, org.b_manager, org.b_hk, 4, start=20)
    as_user(client, org.manager)
    book = card(client, "book").context
    assert book["total"] == 3 and book["aum"] == Decimal(1000 + 1001 + 1002)
    assert card(client, "due").context["maturities"] == 3
    assert card(client, "transactions").context["n7"] == 3
    assert card(client, "lifecycle").context["total"] == 3
    trend = card(client, "aum_trend").context
    assert trend["has_history"] and trend["points"][-2]["value"] == 1500.0
    # A manager does not drill along the tree and has no breakdown card.
    assert card(client, "breakdown").status_code == 404


def test_a_supervisor_sees_the_subtree_with_a_breakdown_and_drills_down(client, org):
    add_book(org, org.manager, org.a_sh, 3)
    add_book(org, org.manager_sub, org.a_sh_sub, 2, start=10)
    add_book(org, org.manager_bj, org.a_bj, 5, start=20)  # outside the Shanghai subtree
    add_book(org, org.b_manager, org.b_hk, 4, start=40)  # another bank
    as_user(client, org.supervisor)
    assert card(client, "book").context["total"] == 5
    assert card(client, "transactions").context["n30"] == 5
    breakdown = card(client, "breakdown").context
    assert [(row["branch"], row["count"]) for row in breakdown["branches"]] == [(org.a_sh_sub, 2)]
    assert breakdown["at_node"]["count"] == 3
    assert {row["primary_manager"]: row["n"] for row in breakdown["managers"]} == {org.manager.pk: 3, org.manager_sub.pk: 2}
    # Drill down to the sub-branch: only its customers.
    assert card(client, "book", branch=org.a_sh_sub.pk).context["total"] == 2
    assert card(client, "due", branch=org.a_sh_sub.pk).context["maturities"] == 2
    assert client.get(reverse("workbench:dashboard"), {"branch": org.a_sh_sub.pk}).status_code == 200
    # A branch outside the subtree or of another bank is a 404, never its figures.
    for branch in (org.a_bj, org.b_hk, org.a_ho):
        assert card(client, "book", branch=branch.pk).status_code == 404
        assert client.get(reverse("workbench:dashboard"), {"branch": branch.pk}).status_code == 404
    assert card(client, "book", branch="x").status_code == 404


def test_a_head_office_role_sees_the_bank_but_never_another(client, org):
    add_book(org, org.manager, org.a_sh, 2)
    add_book(org, org.b_manager, org.b_hk, 4, start=20)
    as_user(client, org.auditor)
    assert card(client, "book").context["total"] == 2
    assert card(client, "transactions").context["n30"] == 2
    branches = card(client, "breakdown").context["branches"]
    assert [row["branch"] for row in branches] == [org.a_ho] and branches[0]["count"] == 2


def test_each_role_gets_the_cards_that_fit(client, org):
    keys = lambda user: [c.key for c in services.cards_for(user)]  # noqa: E731
    assert keys(org.manager) == ["book", "aum_trend", "due", "lifecycle", "work", "transactions"]
    assert "breakdown" in keys(org.supervisor)
    assert keys(org.teller) == ["work", "lookup"]
    assert "admin" in keys(org.admin)
    response = as_user(client, org.teller).get(reverse("workbench:dashboard"))
    page = response.content.decode()
    assert 'id="card-lookup"' in page and 'id="card-book"' not in page
    assert card(client, "book").status_code == 404
    assert card(client, "nonsense").status_code == 404


def queries_of(client, url):
    cache.delete_pattern("dashboard:*")  # the figures computed, not read from the cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("built", [False, True], ids=["live", "nightly_figures"])
@pytest.mark.parametrize("who", ["manager", "supervisor"])
def test_the_cards_issue_a_fixed_number_of_queries_whatever_the_data_size(client, org, who, built):
    user = getattr(org, who)
    add_book(org, org.manager, org.a_sh, 2)
    if built:
        figures.rebuild(org.bank_a.pk)
    as_user(client, user)
    urls = [reverse("workbench:dashboard"), reverse("workbench:dashboard_today")] + [
        reverse("workbench:dashboard_card", args=[c.key]) for c in services.cards_for(user)
    ]
    for url in urls:
        client.get(url)  # warm caches (parameters, content types)
    small = {url: queries_of(client, url) for url in urls}
    add_book(org, org.manager, org.a_sh, 25, start=100)
    add_book(org, org.manager_sub, org.a_sh_sub, 25, start=200)
    if built:
        figures.rebuild(org.bank_a.pk)
    large = {url: queries_of(client, url) for url in urls}
    assert small == large
    assert max(large.values()) <= 15


def test_the_today_list_merges_every_source_and_hides_what_was_set_aside(client, org, monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(desk, "_today", dict(desk._today))
    desk.register_today("one", "One", lambda user, now: [desk.TodayItem("one", "Call Mr Wang", "/x/1", when=now)])
    desk.register_today(
        "two",
        "Two",
        lambda user, now: [desk.TodayItem("two", "Late report", "/y/2", when=now - datetime.timedelta(days=1), overdue=True)],
    )
    desk.register_today(
        "secret", "Secret", lambda user, now: [desk.TodayItem("secret", "Hidden", "/z")], perm="customers.approve_change"
    )
    titles = [item.title for item in services.today_items(org.manager, now)]
    assert titles == ["Late report", "Call Mr Wang"]  # overdue first; no source the person lacks the permission of
    as_user(client, org.manager)
    page = client.get(reverse("workbench:dashboard_today")).content.decode()
    assert "Call Mr Wang" in page and "Late report" in page
    # A reason is required.
    client.post(reverse("workbench:dashboard_set_aside"), {"kind": "one", "item_key": "/x/1", "action": "dismiss", "reason": " "})
    assert not DeskDismissal.objects.exists()
    response = client.post(
        reverse("workbench:dashboard_set_aside"),
        {"kind": "one", "item_key": "/x/1", "action": "snooze", "snooze_hours": "4", "reason": "customer abroad"},
        HTTP_HX_REQUEST="true",
    )
    assert "Call Mr Wang" not in response.content.decode() and "Late report" in response.content.decode()
    row = DeskDismissal.objects.get()
    assert row.reason == "customer abroad" and row.staff == org.manager and row.until > now
    assert AuditLog.objects.filter(detail__event="today_item_set_aside", actor=org.manager).exists()
    # Back after the snooze; a dismissal is for good; nobody else's list is touched.
    assert "Call Mr Wang" in [i.title for i in services.today_items(org.manager, now + datetime.timedelta(hours=5))]
    services.set_aside(org.manager, kind="two", item_key="/y/2", action="dismiss", reason="done already")
    assert [i.title for i in services.today_items(org.manager, now + datetime.timedelta(days=30))] == ["Call Mr Wang"]
    assert len(services.today_items(org.manager_bj, now)) == 2
    # A kind the person has no source of is refused.
    client.post(
        reverse("workbench:dashboard_set_aside"), {"kind": "secret", "item_key": "/z", "action": "dismiss", "reason": "x"}
    )
    assert not DeskDismissal.objects.filter(kind="secret").exists()


def test_approvals_waiting_are_a_today_item(org):
    customer = make_customer("C-APP", org.a_sh, org.manager)
    master.update_customer(customer, {"name_latin": "Someone Else"}, org.manager)
    items = services.today_items(org.supervisor)
    assert [item.kind for item in items] == ["approvals"] and items[0].url == reverse("workbench:inbox")
    assert services.today_items(org.manager) == []


def test_shortcuts_only_among_permitted_pages_at_most_twelve_in_order(client, org):
    as_user(client, org.manager)
    permitted = list(services.permitted_pages(org.manager))
    assert "sysadmin:staff_edit" not in permitted and "sysadmin:audit_list" not in permitted
    chosen = [permitted[2], permitted[0], permitted[1]]
    data = {f"slot_{i + 1}": name for i, name in enumerate(chosen)}
    response = client.post(reverse("workbench:shortcuts"), data)
    assert response.status_code == 302
    org.manager.refresh_from_db()
    assert preferences.get(org.manager, services.SHORTCUTS_KEY) == chosen
    page = client.get(reverse("workbench:dashboard")).content.decode()
    positions = [page.index(f'href="{reverse(name)}"', page.index('id="shortcuts"')) for name in chosen]
    assert positions == sorted(positions)
    # A forged shortcut to a page the person may not open is refused, and nothing changes.
    response = client.post(reverse("workbench:shortcuts"), {"slot_1": "sysadmin:audit_list"})
    assert response.status_code == 200 and "You may not open the page" in response.content.decode()
    org.manager.refresh_from_db()
    assert preferences.get(org.manager, services.SHORTCUTS_KEY) == chosen


def test_more_than_twelve_distinct_shortcuts_are_refused(org, monkeypatch):
    fake = {f"page:{i}": {"entry": None, "url": f"/p/{i}"} for i in range(13)}
    monkeypatch.setattr(services, "permitted_pages", lambda user: fake)
    with pytest.raises(Exception, match="At most 12"):
        services.save_shortcuts(org.manager, list(fake))
    assert services.save_shortcuts(org.manager, list(fake)[:12]) == list(fake)[:12]


def test_a_shortcut_to_a_page_no_longer_permitted_is_left_out(org):
    preferences.put(org.manager, services.SHORTCUTS_KEY, ["sysadmin:audit_list", "workbench:dashboard"])
    assert [item["entry"].url_name for item in services.shortcuts(org.manager)] == ["workbench:dashboard"]


def test_list_columns_are_kept_on_the_staff_record(client, org):
    as_user(client, org.supervisor).get(reverse("customers:list") + "?columns_set=1&columns=tags&columns=stars")
    org.supervisor.refresh_from_db()
    assert preferences.get(org.supervisor, "lists.columns") == {"customers": ["tags"]}  # "stars" is no column name
    assert "lists.columns" not in (org.manager.preferences or {})


def test_cards_over_nightly_data_are_kept_for_the_day_per_person(client, org):
    add_book(org, org.manager, org.a_sh, 2)
    as_user(client, org.manager)
    url = reverse("workbench:dashboard_card", args=["aum_trend"])
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).context["points"][-1]["value"] == 2001.0
    assert len(again) < len(first)
    # Another person's card is their own: the supervisor computes theirs.
    as_user(client, org.supervisor)
    assert client.get(url).context["points"][-1]["value"] == 2001.0
    add_book(org, org.manager_sub, org.a_sh_sub, 1, start=50)
    cache.delete_pattern("dashboard:*")
    assert client.get(url).context["points"][-1]["value"] == 2001.0 + 1050.0


def test_the_home_page_is_the_dashboard_of_staff_who_work_with_customers(client, org):
    for user in (org.manager, org.supervisor):
        page = as_user(client, user).get("/").content.decode()
        assert 'id="card-book"' in page and 'id="today"' in page and "Welcome, " in page
    for user in (org.auditor, org.teller, org.admin):
        page = as_user(client, user).get("/").content.decode()
        assert 'id="home-actions"' in page and 'id="card-book"' not in page
    assert client.logout() is None and client.get("/").status_code == 302


def test_the_book_and_breakdown_cards_read_the_nightly_figures_as_of_their_build(client, org):
    """Once the bank's figures are built the cards show them (same numbers as live, per scope and
    drill-down, never another bank's), with "as of" the build in the person's zone; a customer
    added later shows the next night."""
    add_book(org, org.manager, org.a_sh, 3)
    add_book(org, org.manager_sub, org.a_sh_sub, 2, start=10)
    add_book(org, org.manager_bj, org.a_bj, 5, start=20)
    add_book(org, org.b_manager, org.b_hk, 4, start=40)
    built = datetime.datetime(2026, 3, 10, 18, 5, tzinfo=datetime.UTC)  # 02:05 on the 11th in Shanghai
    assert figures.rebuild(org.bank_a.pk, now=built) > 0
    assert not BookFigure.objects.filter(bank=org.bank_b).exists()
    make_customer("LATE-1", org.a_sh, org.manager, aum=Decimal(99))  # after the build

    as_user(client, org.manager)
    book = card(client, "book").context
    assert (book["total"], book["aum"]) == (3, Decimal(1000 + 1001 + 1002))
    assert {line["label"]: line["count"] for line in book["tiers"]}["Mass"] == 2
    assert book["as_of"] == f"{timezone.localtime(built, services._zone(org.manager)):%Y-%m-%d %H:%M}"
    assert "as of" in card(client, "book").content.decode()

    as_user(client, org.supervisor)
    assert card(client, "book").context["total"] == 5
    assert card(client, "book", branch=org.a_sh_sub.pk).context["total"] == 2
    breakdown = card(client, "breakdown").context
    assert [(row["branch"], row["count"]) for row in breakdown["branches"]] == [(org.a_sh_sub, 2)]
    assert breakdown["at_node"]["count"] == 3
    assert {row["primary_manager"]: row["n"] for row in breakdown["managers"]} == {org.manager.pk: 3, org.manager_sub.pk: 2}

    # The next build counts the late customer; a rebuild replaces, never adds.
    figures.rebuild(org.bank_a.pk)
    cache.delete_pattern("dashboard:*")
    as_user(client, org.manager)
    assert card(client, "book").context["total"] == 4


def test_the_whole_bank_reads_its_coarse_figures_with_the_same_numbers_as_live(client, org):
    """A head-office role's book and breakdown come from the bank's (tier, stage), per-branch and
    per-manager rows of the build (a few rows, not the bank's branch × manager rows), with the
    numbers the live count gives; each coarse grain adds up to the book grain."""
    add_book(org, org.manager, org.a_sh, 3)
    add_book(org, org.manager_sub, org.a_sh_sub, 2, start=10)
    add_book(org, org.manager_bj, org.a_bj, 5, start=20)
    add_book(org, org.b_manager, org.b_hk, 4, start=40)

    def seen():
        cache.delete_pattern("dashboard:*")
        as_user(client, org.auditor)
        book = card(client, "book").context
        breakdown = card(client, "breakdown").context
        return (
            (book["total"], book["aum"], [line["count"] for line in book["tiers"]], [line["count"] for line in book["stages"]]),
            [(row["branch"], row["count"], row["aum"]) for row in breakdown["branches"]],
            [(row["primary_manager"], row["n"], row["aum"]) for row in breakdown["managers"]],
        )

    assert {"book", "breakdown"} <= {c.key for c in services.cards_for(org.auditor)}
    live = seen()
    assert live[0][0] == 10
    figures.rebuild(org.bank_a.pk)
    rows = BookFigure.objects.filter(bank=org.bank_a)
    for grain in ("bank", "branch", "manager"):
        assert rows.filter(grain=grain).aggregate(n=models.Sum("customers"))["n"] == 10
    assert rows.filter(grain="bank").count() == 2  # mass and vip, one stage
    make_customer("LATE-1", org.a_sh, org.manager, aum=Decimal(99))  # after the build: not yet counted
    assert seen() == live


def test_the_book_figures_job_runs_per_bank(org):
    add_book(org, org.manager, org.a_sh, 2)
    dashboard_tasks.build_book_figures.apply(kwargs={"bank_id": org.bank_a.pk}).get()
    assert (
        BookFigure.objects.filter(bank=org.bank_a, grain="").aggregate(n=models.Sum("customers"))["n"]
        == Customer.objects.filter(bank=org.bank_a, merged_into__isnull=True).count()
    )


def test_the_trend_due_and_transactions_cards_read_the_nightly_figures_with_the_live_numbers(client, org):
    """The month-end AUM, the due counts and amounts and the transactions by channel from the
    nightly DashFigure rows equal the live computation per scope; a holding added after the build
    shows the next night; another bank's never."""
    add_book(org, org.manager, org.a_sh, 3)
    add_book(org, org.manager_sub, org.a_sh_sub, 2, start=10)
    add_book(org, org.b_manager, org.b_hk, 4, start=40)
    keys = ("aum_trend", "due", "transactions")

    def seen(user):
        cache.delete_pattern("dashboard:*")
        as_user(client, user)
        given = {c.key for c in services.cards_for(user)}
        found = {key: card(client, key).context for key in keys if key in given}
        due = found.get("due") or {}
        return (
            [point["value"] for point in found["aum_trend"]["points"]],
            {k: due.get(k) for k in ("maturities", "maturity_amount", "instalments")},
            [(row["channel"], row["n7"], row["n30"], row["amount30"]) for row in found["transactions"]["rows"]],
        )

    people = ("manager", "supervisor", "auditor")  # own rows, the subtree's branch rows, the bank's rows
    live = {who: seen(getattr(org, who)) for who in people}
    as_user(client, org.manager)
    assert {key: card(client, key).context["as_of"] for key in keys} == dict.fromkeys(keys, "")  # counted live
    assert live["auditor"][0][-2] == 5 * 500 and live["auditor"][2][0][2] == 5  # never bank B's
    assert live["manager"][1]["maturities"] == 3 and live["supervisor"][1]["maturities"] == 5
    assert figures.rebuild(org.bank_a.pk) > 0
    assert DashFigure.objects.filter(bank=org.bank_a, kind=DashFigure.Kind.TRANSACTIONS).exists()
    assert not DashFigure.objects.filter(bank=org.bank_b).exists()
    late = make_customer("LATE-1", org.a_sh, org.manager, aum=Decimal(99))
    Holding.objects.create(
        bank_id=org.bank_a.pk,
        customer=late,
        product=make_product(org.bank_a, code="TD-CNY", product_type="time_deposit"),
        branch=org.a_sh,
        account_number="LATE-ACC",
        currency="CNY",
        balance=Decimal(500),
        maturity_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    for who in people:
        nightly = seen(getattr(org, who))
        assert nightly[0][:-1] == live[who][0][:-1]  # the month ends (the "now" point is the book's)
        assert nightly[1] == live[who][1]
        assert [(c, n7, n30, Decimal(a)) for c, n7, n30, a in nightly[2]] == live[who][2]
    figures.rebuild(org.bank_a.pk)
    assert seen(org.manager)[1]["maturities"] == 4
    # Each card says when the figures it shows were built, in the person's zone.
    built = DashFigure.objects.filter(bank=org.bank_a).aggregate(at=models.Max("built_at"))["at"]
    expected = f"{timezone.localtime(built, services._zone(org.manager)):%Y-%m-%d %H:%M}"
    for key in keys:
        response = card(client, key)
        assert response.context["as_of"] == expected
        assert f"as of {expected}" in response.content.decode()
