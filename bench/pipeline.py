"""The pipeline board (issue 15) with 5,000 open opportunities.

    make bench BENCH_ARGS="--suite pipeline --size medium|large [--repeat N]"

Builds its own bank slice: one branch, one manager holding 5,000 open opportunities (over the
bank's default stages, four currencies) and, at --size large, 45,000 more of 45 colleagues in the
same branch (the supervisor's team board then reads 50,000 rows to draw its columns). Measured
through Django's test client: median server time and SQL query count of the manager's board, the
supervisor's team board, the list and the forecast, against the logged-in home page in the same
run. Targets (issue 15): the manager's board median <= 300 ms; its query count fixed (<= 25).
"""

import datetime
import random
import statistics
import time
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.targets import Targets
from customers.master.models import Customer
from marketing.pipeline import services
from marketing.pipeline.models import Opportunity
from sysadmin.org.models import Bank, Branch, Staff

BANK = "PLB"
CARDS = 5_000
SIZES = {"small": 0, "medium": 0, "large": 45_000}  # colleagues' opportunities beside the manager's 5,000


def _staff(username, branch, role):
    staff, created = Staff.objects.get_or_create(
        username=username,
        defaults={"bank": branch.bank, "branch": branch, "name_local": username, "must_change_password": False},
    )
    if created:
        staff.set_unusable_password()
        staff.save()
        staff.groups.add(Group.objects.get(name=role))
    Staff.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now(), must_change_password=False)
    return staff


def _opportunities(bank, branch, owner, count, rng):
    have = Opportunity.objects.filter(owner=owner, status="open").count()
    if have >= count:
        return
    open_stages = [s for s in services.stages(bank.pk) if s.outcome == "open"]
    numbers = [f"PLB-{owner.pk}-{n}" for n in range(have, count)]
    Customer.objects.bulk_create(
        [
            Customer(bank=bank, branch=branch, number=number, kind="retail", name_local="客户", primary_manager=owner)
            for number in numbers
        ],
        ignore_conflicts=True,  # a run stopped half-way left some customers
    )
    customers = list(Customer.objects.filter(bank=bank, number__in=numbers))
    now = timezone.now()
    today = datetime.date.today()
    rows = []
    for customer in customers:
        stage = rng.choice(open_stages)
        rows.append(
            Opportunity(
                bank=bank,
                customer=customer,
                owner=owner,
                title=f"Deal {customer.number}",
                amount=Decimal(rng.randrange(1_000, 5_000_000)),
                currency=rng.choice(["CNY", "CNY", "USD", "HKD"]),
                stage=stage,
                probability=stage.probability,
                expected_close=today + datetime.timedelta(days=rng.randrange(-30, 360)),
                moved_at=now,
            )
        )
    Opportunity.objects.bulk_create(rows, batch_size=2_000)


def _data(size):
    bank, _ = Bank.objects.get_or_create(
        code=BANK,
        defaults={
            "name_local": "商机银行",
            "name_en": "Pipeline bench bank",
            "base_currency": "CNY",
            "head_office_country": "CN",
        },
    )
    branch, _ = Branch.objects.get_or_create(
        bank=bank,
        code="PLB-HO",
        defaults={
            "name_local": "总行",
            "name_en": "Head office",
            "country": "CN",
            "timezone": "Asia/Shanghai",
            "level": Branch.Level.HEAD_OFFICE,
        },
    )
    rng = random.Random(15)
    manager = _staff("bench.pl.mgr", branch, "customer_manager")
    supervisor = _staff("bench.pl.sup", branch, "branch_supervisor")
    print(f"generating up to {CARDS + SIZES[size]} opportunities ...", flush=True)
    _opportunities(bank, branch, manager, CARDS, rng)
    for n in range(45 if SIZES[size] else 0):
        _opportunities(bank, branch, _staff(f"bench.pl.mgr{n}", branch, "customer_manager"), SIZES[size] // 45, rng)
    with connection.cursor() as cursor:
        for table in ("marketing_opportunity", "customers_customer"):
            cursor.execute(f"ANALYZE {table}")
    return manager, supervisor


def _measure(client, url, repeat):
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), len(ctx.captured_queries)


def run(size, repeat):
    manager, supervisor = _data(size)
    targets = Targets("pipeline")
    mine, team = Client(), Client()
    mine.force_login(manager)
    team.force_login(supervisor)
    board = reverse("marketing:pipeline_board")
    pages = [
        ("home page (baseline)", mine, "/"),
        ("manager's board (5,000 open)", mine, board),
        ("supervisor's team board", team, board + "?team=1"),
        ("opportunity list", mine, reverse("marketing:opportunities")),
        ("weighted forecast", team, reverse("marketing:pipeline_forecast")),
    ]
    results = {}
    print(f"{'page':<34} {'median ms':>10} {'queries':>8}")
    for label, client, url in pages:
        median, queries = _measure(client, url, repeat)
        results[label] = (median, queries)
        print(f"{label:<34} {median:>10.1f} {queries:>8}", flush=True)
    board_ms, board_queries = results["manager's board (5,000 open)"]
    baseline = results["home page (baseline)"][0]
    print(f"board / home page: {board_ms / baseline:.1f}x")
    targets.add("kanban_5000_median", board_ms, "ms", "<=300")
    targets.add("kanban_5000_queries", board_queries, "", "<=25")
    targets.add("team_board_median", results["supervisor's team board"][0], "ms", "<=300")
    targets.print()
