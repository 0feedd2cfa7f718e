"""manage.py seed_demo: load the demo organisation (see sysadmin.demo)."""

from django.core.management.base import BaseCommand, CommandError

from sysadmin import demo
from sysadmin.models import Bank


class Command(BaseCommand):
    help = ("Load a realistic demo organisation: two banks, branches in five countries and time zones, "
            "about 300 staff in every role, holidays and bank codes. Deterministic for a given --seed.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED,
                            help=f"Random seed; the same seed gives the same data (default {demo.DEFAULT_SEED}).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when any bank exists already (what `make run` uses).")
        parser.add_argument("--reset", action="store_true",
                            help="Delete the demo banks (and only those) first; refused while other data refers to them.")

    def handle(self, *args, seed, if_empty, reset, verbosity, **options):
        if if_empty and Bank.objects.exists():
            if verbosity:
                self.stdout.write("A bank exists already: demo data not loaded (--if-empty).")
            return
        plan = demo.build_plan(seed)
        try:
            if reset:
                removed = demo.reset(plan.demo_bank_codes)
                if verbosity and removed:
                    self.stdout.write(f"Removed {removed} demo bank(s) and their branches, staff, holidays and bank codes.")
            counts = demo.load(plan)
        except demo.DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            self._report(seed, counts)

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
        write("Every other demo user has the same password; their usernames follow their names "
              "(e.g. zhang.wei, peter.chan, james.smith).")
