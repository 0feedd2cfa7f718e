"""manage.py seed_demo: load the demo organisation (see sysadmin.demo)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from customers import demo as customer_demo
from sysadmin import demo
from sysadmin.org.models import Bank


class Command(BaseCommand):
    help = (
        "Load a realistic demo organisation: two banks, branches in five countries and time zones, "
        "about 300 staff in every role, holidays and bank codes. Deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {demo.DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any bank exists already (what `make run` uses)."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo banks (and only those) first; refused while other data refers to them.",
        )
        parser.add_argument(
            "--customers",
            choices=list(customer_demo.SIZES),
            default="small",
            help="Demo customers: small ~2k (default), medium ~50k, large 1M with ~10M transactions, none.",
        )
        parser.add_argument(
            "--customers-count",
            type=int,
            default=None,
            help="Exactly this many demo customers (overrides --customers; tests use a few hundred).",
        )

    def handle(self, *args, seed, if_empty, reset, verbosity, customers, customers_count, **options):
        if if_empty and Bank.objects.exists():
            if verbosity:
                self.stdout.write("A bank exists already: demo data not loaded (--if-empty).")
            return
        plan = demo.build_plan(seed)
        customer_count = customers_count if customers_count is not None else customer_demo.SIZES[customers]
        try:
            with transaction.atomic():
                if reset:
                    removed_customers = customer_demo.reset()
                    removed = demo.reset(plan.demo_bank_codes)
                    if verbosity and removed:
                        self.stdout.write(
                            f"Removed {removed} demo bank(s) and their branches, staff, holidays, bank codes "
                            f"and {removed_customers} customers."
                        )
                counts = demo.load(plan)
                customer_counts = (
                    customer_demo.load(
                        customer_count,
                        seed=seed,
                        progress=self.stdout.write if verbosity > 1 else None,
                    )
                    if customer_count
                    else None
                )
        except (demo.DemoDataError, customer_demo.DemoCustomersError) as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            self._report(seed, counts)
            if customer_counts:
                self._report_customers(customer_counts)

    def _report_customers(self, counts):
        write = self.stdout.write
        write(
            f"  customers   {counts['customer']} ({counts['retail']} retail, {counts['corporate']} corporate) "
            f"in {counts['seconds']} s"
        )
        for kind in ("identity", "contact", "holding", "transaction", "balance", "relationship", "household", "service"):
            write(f"    {kind:<18} {counts[kind]}")

    def _report(self, seed, counts):
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo data loaded (seed {seed}):"))
        write(f"  banks       {counts['banks']}")
        write(f"  branches    {counts['branches']} in {counts['countries']} countries, {counts['time_zones']} time zones")
        write(f"  staff       {counts['staff']}")
        for role, n in counts["staff_by_role"].items():
            write(f"    {role:<20} {n}")
        write(f"  holidays    {counts['holidays']}")
        write(f"  bank codes  {counts['bank_codes']}")
        write("")
        write(f"Demo log-ins (password for all: {demo.DEMO_PASSWORD}):")
        width = max(len(username) for username, _ in demo.DEMO_LOGINS)
        for username, description in demo.DEMO_LOGINS:
            write(f"  {username:<{width}}  {description}")
        write(
            "Every other demo user has the same password; their usernames follow their names "
            "(e.g. zhang.wei, peter.chan, james.smith)."
        )
