"""make bench: benchmarks on generated data (never part of the tests).

    python -m bench [--suite NAME|all] [--size medium|large] [--branches N] [--staff N] [--repeat N]

Suites: org, customers, feeds, matching, lifecycle, handover, load (issues 1-12); reminders,
dashboard (issue 14); announcements, messaging, outbox (issue 13).

The default is quick: the organisation suite only. `--suite customers --size medium`
generates 50k demo customers (about a minute) the first time; `--size large` 1M (minutes).

Uses its own database (<DATABASE_URL name>_bench), migrates it, generates an
organisation, and prints medians and ratios. Each figure names what produced it.
"""

import argparse
import importlib
import os
import sys

import psycopg

# suite name -> module under bench/ with run(size=, repeat=); "org" takes its own sizes.
SUITES = {
    "customers": "bench.customers",  # issues 3 and 19: search, 360 page, export, as ratios to baselines of the same run
    "feeds": "bench.feeds",  # issues 4 and 19: feed load vs bare COPY and the staging floor
    "matching": "bench.matching",  # issue 4: matching 1M incoming rows against 1M customers
    "lifecycle": "bench.lifecycle",  # issue 4: nightly lifecycle + rating vs one hand-written UPDATE
    "handover": "bench.handover",  # issue 5: hand-over of a 20k-customer book
    "load": "bench.load",  # issue 11: 50 managers at once for two minutes (locust)
    "reminders": "bench.reminders",  # issue 14: nightly reminder generation vs one hand-written INSERT
    "dashboard": "bench.dashboard",  # issue 14: a manager's 20k-customer book and a head-office supervisor
    "announcements": "bench.announcements",  # issue 13: audience resolution of a 30k-staff bank
    "messaging": "bench.messaging",  # issue 13: the "anything new?" poll, a 10k-message conversation
    "outbox": "bench.outbox",  # issue 13: dispatch rate, bulk queuing, killed worker
    "campaigns": "bench.campaigns",  # issue 15: dry run, launch vs one hand-written INSERT, evaluation page
    "calculators": "bench.calculators",  # issue 15: 1,000+ loans vs an independent reference, a schedule's time
    "pipeline": "bench.pipeline",  # issue 15: the kanban board with 5,000 open opportunities
    "sla": "bench.sla",  # issue 17: bulk cross-border due times vs a day-walking baseline
    "api": "bench.api",  # issue 16: signed channel clients on look-up and summary (p95, errors, req/s)
    "snapshots": "bench.snapshots",  # issue 18: nightly report snapshots vs hand-written SQL of the same rows
    "reports": "bench.reports",  # issue 18: whole-bank report pages and the drill-down to a manager's customers
    "statements": "bench.crossborder",  # issue 17: monthly profit-sharing statements vs one hand-written INSERT
    "analyses": "bench.analyses",  # issue 18: ACRM analysis pages for a whole bank, precomputed vs live
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--branches", type=int, default=3000)
    parser.add_argument("--staff", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--suite", choices=["org", *SUITES, "all"], default="org")
    parser.add_argument(
        "--size",
        choices=["small", "medium", "large"],
        default="medium",
        help="Demo customers for the customers suite: small 12k, medium 50k, large 1M (~10M transactions).",
    )
    args = parser.parse_args(argv)

    url = os.environ["DATABASE_URL"]
    base, _, name = url.partition("?")[0].rpartition("/")
    query = url.partition("?")[2]
    os.environ["DATABASE_URL"] = f"{base}/{name}_bench" + (f"?{query}" if query else "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocrm.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the request log's line per page would bury the figures
    _ensure_database(f"{base}/postgres" + (f"?{query}" if query else ""), f"{name}_bench")

    import django

    django.setup()
    from tests.support import mfa

    # Users whose role needs a second factor are measured as after a full log-in (code entered),
    # as the tests do: force_login records an authenticator device in the session.
    mfa.install()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.suite in ("org", "all"):
        from bench import org_pages

        org_pages.run(branches=args.branches, staff=args.staff, repeat=args.repeat)
    for name, module in SUITES.items():
        if args.suite in (name, "all"):
            importlib.import_module(module).run(size=args.size, repeat=args.repeat)
    return 0


def _ensure_database(admin_url, dbname):
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')


if __name__ == "__main__":
    sys.exit(main())
