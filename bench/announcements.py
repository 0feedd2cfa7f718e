"""Announcement audience resolution (issue 13): a bank of 30,000 staff in 3,000 branches (--size
large: 100,000 staff), announcements addressed to the whole bank, to branch subtrees and to
roles. Measured: resolving the audience (workbench.announcements.services.audience_of: ONE
set-based query, every id fetched), the reach page's per-branch counts (services.reach) and
the reader's current list for one person (services.current_for). Target: audience resolution
of a 30,000-staff bank in at most 2 s.

Its own bank ("ANB") is generated the first time with bulk inserts (branches with their
materialised paths, staff, role memberships, receipts for a third of the staff)."""

import random
import statistics
import time

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from bench.targets import Targets
from sysadmin.org.models import Bank, Branch, Staff
from workbench.announcements import services
from workbench.announcements.models import Announcement, AnnouncementBranch, AnnouncementReceipt, AnnouncementRole

SIZES = {"medium": 30_000, "large": 100_000}
BRANCHES = 3_000
BANK_CODE = "ANB"
ROLES = ("customer_manager", "teller", "branch_supervisor")


def _branches(bank):
    """Head office -> 30 regions -> branches (-> sub-branches): BRANCHES in all."""
    have = list(Branch.objects.filter(bank=bank).order_by("path"))
    if len(have) >= BRANCHES:
        return have
    head = Branch.objects.create(
        bank=bank, code="ANB-HO", name_local="总行", country="CN", timezone="Asia/Shanghai", level=Branch.Level.HEAD_OFFICE
    )
    regions = [
        Branch.objects.create(
            bank=bank, code=f"ANB-R{i:02d}", name_local=f"分行{i}", parent=head, country="CN", timezone="Asia/Shanghai",
            level=Branch.Level.REGION,
        )
        for i in range(30)
    ]  # fmt: skip
    rows = [
        Branch(
            bank=bank, code=f"ANB-B{i:04d}", name_local=f"支行{i}", parent=regions[i % 30], country="CN",
            timezone="Asia/Shanghai", level=Branch.Level.BRANCH,
        )
        for i in range(BRANCHES - 31)
    ]  # fmt: skip
    Branch.objects.bulk_create(rows, batch_size=1000)
    # bulk_create skips save(): the materialised paths are written in one statement.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Branch._meta.db_table} b SET path = p.path || b.id || '/' FROM {Branch._meta.db_table} p "
            "WHERE b.parent_id = p.id AND b.bank_id = %s AND b.path = ''",
            [bank.pk],
        )
    return list(Branch.objects.filter(bank=bank).order_by("path"))


def ensure_data(count):
    bank, _ = Bank.objects.get_or_create(
        code=BANK_CODE,
        defaults={
            "name_local": "公告基准银行",
            "name_en": "Announcement bench bank",
            "base_currency": "CNY",
            "head_office_country": "CN",
        },
    )
    branches = _branches(bank)
    have = Staff.objects.filter(bank=bank).count()
    if have < count:
        print(f"generating {count - have} staff for the announcements bench ...", flush=True)
        rng = random.Random(13)
        leaves = [b for b in branches if b.level == Branch.Level.BRANCH]
        staff = [
            Staff(
                username=f"anb.{i:06d}", bank=bank, branch=rng.choice(leaves), name_local=f"员工{i}", password="!",
                must_change_password=False,
            )
            for i in range(have, count)
        ]  # fmt: skip
        Staff.objects.bulk_create(staff, batch_size=5000)
        groups = {name: Group.objects.get(name=name).pk for name in ROLES}
        through = Staff.groups.through
        through.objects.bulk_create(
            [through(staff_id=s.pk, group_id=groups[ROLES[i % len(ROLES)]]) for i, s in enumerate(staff)], batch_size=5000
        )
    author = Staff.objects.filter(bank=bank).order_by("pk").first()
    return bank, branches, author


def _announcement(bank, author, title, *, bank_wide=False, branches=(), roles=()):
    with transaction.atomic():
        a = Announcement.objects.create(
            bank=bank, branch=author.branch, title=title, created_by=author, bank_wide=bank_wide, requires_ack=True,
            status=Announcement.Status.PUBLISHED, published_at=timezone.now(),
        )  # fmt: skip
        AnnouncementBranch.objects.bulk_create([AnnouncementBranch(announcement=a, branch=b) for b in branches])
        AnnouncementRole.objects.bulk_create([AnnouncementRole(announcement=a, group=g) for g in roles])
    return a


def _timed(function, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times), result


def run(size, repeat, count=None):
    count = count or SIZES[size]
    bank, branches, author = ensure_data(count)
    Announcement.objects.filter(bank=bank).delete()
    regions = [b for b in branches if b.level == Branch.Level.REGION]
    cases = {
        "whole bank": _announcement(bank, author, "全行公告", bank_wide=True),
        "10 region subtrees": _announcement(bank, author, "分行公告", branches=regions[:10]),
        "whole bank, managers only": _announcement(
            bank, author, "客户经理公告", bank_wide=True, roles=[Group.objects.get(name="customer_manager")]
        ),
    }
    # A third of the staff opened the bank-wide one, a sixth acknowledged it.
    staff_ids = list(Staff.objects.filter(bank=bank).values_list("pk", flat=True))
    now = timezone.now()
    AnnouncementReceipt.objects.bulk_create(
        [
            AnnouncementReceipt(
                bank=bank, announcement=cases["whole bank"], staff_id=pk, opened_at=now, acknowledged_at=now if i % 2 else None
            )
            for i, pk in enumerate(staff_ids[::3])
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        for table in (Staff._meta.db_table, Branch._meta.db_table, AnnouncementReceipt._meta.db_table):
            cursor.execute(f"ANALYZE {table}")
    rounds = max(3, min(repeat, 10))
    print(f"\nannouncement audience of a {count}-staff bank in {len(branches)} branches, {rounds} rounds")
    worst = 0.0
    for label, announcement in cases.items():
        median, longest, ids = _timed(lambda a=announcement: list(services.audience_of(a).values_list("pk", flat=True)), rounds)
        worst = max(worst, longest)
        print(f"  audience, {label:<28} {len(ids):>7} people: median {median * 1000:7.1f} ms, max {longest * 1000:7.1f} ms")
    median, longest, rows = _timed(lambda: services.reach(cases["whole bank"]), rounds)
    print(f"  reach per branch (whole bank, {len(rows)} branches): median {median * 1000:.1f} ms, max {longest * 1000:.1f} ms")
    reach_max = longest
    reader = Staff.objects.filter(bank=bank).order_by("-pk").first()
    median, longest, _rows = _timed(lambda: list(services.current_for(reader)), rounds)
    print(f"  one reader's current list:                              median {median * 1000:7.1f} ms")
    targets = Targets("announcements")
    targets.add("audience_resolution_max", worst, "s", "<=2")
    targets.add("reach_per_branch_max", reach_max, "s", "<=2")
    targets.print()
