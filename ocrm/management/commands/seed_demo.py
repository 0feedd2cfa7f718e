"""manage.py seed_demo: load the demo bank from every app's registered seed part (ocrm.seed)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ocrm import seed


class Command(BaseCommand):
    help = (
        "Load a realistic demo bank: two banks, branches in five countries and time zones, staff in every "
        "role, holidays, bank codes, customers with their history. Deterministic for a given --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=seed.DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {seed.DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any demo data exists already (what `make run` uses)."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo data (and only that) first; refused while other data refers to it.",
        )
        for part in seed.parts():
            if part.add_arguments is not None:
                part.add_arguments(parser)

    def handle(self, *args, **options):
        parts = seed.parts()
        verbosity = options["verbosity"]
        write = self.stdout.write if verbosity else (lambda *a, **k: None)
        if options["if_empty"] and any(part.exists is not None and part.exists() for part in parts):
            write("Demo data exists already: demo data not loaded (--if-empty).")
            return
        try:
            with transaction.atomic():
                if options["reset"]:
                    for part in reversed(parts):
                        if part.reset is not None:
                            part.reset(options, write)
                for part in parts:
                    part.load(options, write)
        except seed.SeedError as exc:
            raise CommandError(str(exc)) from exc
