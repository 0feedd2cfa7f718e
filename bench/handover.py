"""Hand-over of a departing manager's book (issue 5): a manager with a 20k-customer book
(--size large: 100k) hands it over, split evenly by AUM across three managers.

Measured: the maker's request (customers.ownership.assignment.services.hand_over: scope checks + split
preview) and the checker's approval (ocrm.approvals.services.approve -> apply_handover: row locks,
split, UPDATE ... FROM unnest of every customer and INSERT ... SELECT of the history, in
ONE transaction). Target: the approval of 20k customers in under 10 s.

Its own small bank ("HOB") is generated the first time; each round moves the book back
(plain UPDATE, not timed) before the next hand-over."""

import random
import statistics
import time
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import connection

from bench.targets import Targets
from customers.master.models import Customer
from customers.ownership.assignment import services as assignment
from customers.ownership.assignment.models import AssignmentChange
from ocrm.approvals import services as approvals
from sysadmin.org.models import Bank, Branch, Staff

SIZES = {"medium": 20_000, "large": 100_000}
BANK_CODE = "HOB"
ROUNDS_MAX = 5


def _staff(username, bank, branch, role):

    staff, created = Staff.objects.get_or_create(
        username=username, defaults={"bank": bank, "branch": branch, "name_local": username, "must_change_password": False}
    )
    if created:
        staff.set_unusable_password()
        staff.save()
        staff.groups.add(Group.objects.get(name=role))
    return staff


def ensure_data(count):
    bank, _ = Bank.objects.get_or_create(
        code=BANK_CODE,
        defaults={
            "name_local": "交接基准银行",
            "name_en": "Hand-over bench bank",
            "base_currency": "CNY",
            "head_office_country": "CN",
        },
    )
    branch = Branch.objects.filter(bank=bank, code="HOB-SH").first() or Branch.objects.create(
        bank=bank,
        code="HOB-SH",
        name_local="上海分行",
        name_en="Shanghai",
        country="CN",
        timezone="Asia/Shanghai",
        level=Branch.Level.BRANCH,
    )
    people = {
        "departing": _staff("hob.mgr.leaving", bank, branch, "customer_manager"),
        "targets": [_staff(f"hob.mgr.{i}", bank, branch, "customer_manager") for i in range(3)],
        "maker": _staff("hob.sup.1", bank, branch, "branch_supervisor"),
        "checker": _staff("hob.sup.2", bank, branch, "branch_supervisor"),
    }
    have = Customer.objects.filter(bank=bank).count()
    if have < count:
        print(f"generating {count - have} customers for the hand-over bench ...", flush=True)
        rng = random.Random(5)
        Customer.objects.bulk_create(
            [
                Customer(
                    bank=bank,
                    number=f"HOB{i:08d}",
                    kind="retail",
                    name_local=f"客户{i}",
                    branch=branch,
                    primary_manager=people["departing"],
                    aum=Decimal(rng.choice([0, rng.randint(1, 5_000_000)])),
                )
                for i in range(have, count)
            ],
            batch_size=5000,
        )
    Customer.objects.filter(bank=bank).update(primary_manager=people["departing"])
    return bank, people


def run(size, repeat, count=None):

    count = count or SIZES[size]
    bank, people = ensure_data(count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    rounds = max(1, min(repeat, ROUNDS_MAX))
    submit_times, approve_times = [], []
    for _round in range(rounds):
        started = time.perf_counter()
        request = assignment.hand_over(
            people["departing"], people["targets"], assignment.HANDOVER_SPLIT, people["maker"], "bench: the manager leaves"
        )
        submit_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        approvals.approve(request.pk, people["checker"])
        approve_times.append(time.perf_counter() - started)
        left = Customer.objects.filter(bank=bank, primary_manager=people["departing"]).count()
        written = AssignmentChange.objects.filter(change_request_id=request.pk).count()
        assert left == 0 and written == count, (left, written)
        totals = [Customer.objects.filter(primary_manager=m).count() for m in people["targets"]]
        Customer.objects.filter(bank=bank).update(primary_manager=people["departing"])  # back, for the next round
    print(f"\nhand-over of a {count}-customer book split by AUM across 3 managers, {rounds} rounds")
    print(f"  request (checks + split preview):         median {statistics.median(submit_times):6.2f} s")
    print(
        f"  approval (one transaction, with history): median {statistics.median(approve_times):6.2f} s, "
        f"max {max(approve_times):.2f} s  (target < 10 s)"
    )
    print(f"  customers per manager in the last round: {totals}; history rows per round: {count}")
    targets = Targets("handover")
    targets.add("approval_max", max(approve_times), "s", "<10")
    targets.print()
