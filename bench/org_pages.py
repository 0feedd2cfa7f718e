"""Organisation pages and the data scope on a large bank.

Generates one bank with a deep branch tree and many staff (set-based: bulk inserts and
one UPDATE for the materialised paths), then measures, for a branch supervisor of a
large subtree and for a system administrator:
  * the scope query alone (count of visible staff),
  * the branch and staff list pages, as medians and as a ratio to the home page
    (a trivial logged-in page on the same server), with their SQL query counts.
"""

import statistics
import time

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sysadmin.org.models import Bank, Branch, Staff

BANK_CODE = "BENCH"


def generate(branches, staff):
    if Bank.objects.filter(code=BANK_CODE).exists():
        bank = Bank.objects.get(code=BANK_CODE)
        if Branch.objects.filter(bank=bank).count() >= branches and Staff.objects.filter(bank=bank).count() >= staff:
            return bank
        Staff.objects.filter(bank=bank).delete()
        Branch.objects.filter(bank=bank).update(parent=None)
        Branch.objects.filter(bank=bank).delete()
        bank.delete()
    started = time.perf_counter()
    with transaction.atomic():
        bank = Bank.objects.create(code=BANK_CODE, name_local="基准银行", name_en="Bench Bank", head_office_country="CN")
        ho = Branch.objects.create(
            bank=bank, code="HO", name_local="总行", country="CN", timezone="Asia/Shanghai", level=Branch.Level.HEAD_OFFICE
        )
        regions = [
            Branch.objects.create(
                bank=bank,
                code=f"R{i}",
                name_local=f"分行{i}",
                parent=ho,
                country="CN",
                timezone="Asia/Shanghai",
                level=Branch.Level.REGION,
            )
            for i in range(10)
        ]
        per_region = max((branches - 11) // 10, 1)
        rows = [
            Branch(
                bank=bank,
                code=f"R{r}-B{j}",
                name_local=f"支行{r}-{j}",
                parent=region,
                country="CN",
                timezone="Asia/Shanghai",
                level=Branch.Level.BRANCH,
                path="",
            )
            for r, region in enumerate(regions)
            for j in range(per_region)
        ]
        Branch.objects.bulk_create(rows, batch_size=5000)
        with connection.cursor() as cursor:  # one set-based UPDATE for the paths
            cursor.execute(
                "UPDATE sysadmin_branch b SET path = p.path || b.id || '/' FROM sysadmin_branch p "
                "WHERE b.parent_id = p.id AND b.bank_id = %s AND b.path = ''",
                [bank.id],
            )
        leaves = list(Branch.objects.filter(bank=bank, level=Branch.Level.BRANCH).values_list("id", flat=True))
        password = make_password("Bench-Pass-2026")
        Staff.objects.bulk_create(
            [
                Staff(
                    username=f"bench{i}",
                    name_local=f"员工{i}",
                    bank=bank,
                    branch_id=leaves[i % len(leaves)],
                    password=password,
                    must_change_password=False,
                    employee_no=f"E{i:07d}",
                )
                for i in range(staff)
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would leave them
        cursor.execute("ANALYZE sysadmin_branch; ANALYZE sysadmin_staff")
    print(
        f"generated {Branch.objects.filter(bank=bank).count()} branches and "
        f"{Staff.objects.filter(bank=bank).count()} staff in {time.perf_counter() - started:.1f} s"
    )
    return bank


def _user(bank, username, role, branch):
    user, _ = Staff.objects.get_or_create(
        username=username,
        defaults={
            "bank": bank,
            "branch": branch,
            "must_change_password": False,
            "password_changed_at": timezone.now(),
            "is_staff": role == "system_admin",
        },
    )
    user.groups.set([Group.objects.get(name=role)])
    return user


def _measure(client, url, repeat):
    client.get(url)  # warm caches and connections
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), len(ctx.captured_queries)


def run(branches, staff, repeat):
    bank = generate(branches, staff)
    region = Branch.objects.get(bank=bank, code="R0")
    ho = Branch.objects.get(bank=bank, code="HO")
    users = {
        "branch_supervisor (region R0 subtree)": _user(bank, "bench.sup", "branch_supervisor", region),
        "system_admin (whole bank)": _user(bank, "bench.admin", "system_admin", ho),
    }
    print(f"\nmedians of {repeat} requests, server side through Django's test client\n")
    print(f"{'user':40} {'page':14} {'median ms':>10} {'ratio':>7} {'queries':>8}")
    for label, user in users.items():
        started = time.perf_counter()
        for _ in range(repeat):
            Staff.objects.visible_to(user).count()
        scope_ms = (time.perf_counter() - started) * 1000 / repeat
        client = Client()
        client.force_login(user)
        home_ms, home_q = _measure(client, reverse("home"), repeat)
        print(f"{label:40} {'home':14} {home_ms:10.1f} {1.0:7.2f} {home_q:8d}")
        for name in ("sysadmin:branch_list", "sysadmin:staff_list"):
            ms, queries = _measure(client, reverse(name), repeat)
            print(f"{label:40} {name.split(':')[1]:14} {ms:10.1f} {ms / home_ms:7.2f} {queries:8d}")
        print(f"{label:40} {'scope count':14} {scope_ms:10.1f}")
