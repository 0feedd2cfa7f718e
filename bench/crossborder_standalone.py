"""Runs the `statements` suite (bench/crossborder.py) on its own, on <DATABASE>_bench as
`python -m bench` does, until bench/__main__.py names the suite:

    .venv/bin/python -m bench.crossborder_standalone --size small|medium|large"""

import argparse
import importlib
import os

from bench.__main__ import _ensure_database


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.crossborder_standalone")
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    base, _, name = url.partition("?")[0].rpartition("/")
    query = url.partition("?")[2]
    os.environ["DATABASE_URL"] = f"{base}/{name}_bench" + (f"?{query}" if query else "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocrm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _ensure_database(f"{base}/postgres" + (f"?{query}" if query else ""), f"{name}_bench")
    django = importlib.import_module("django")
    django.setup()
    importlib.import_module("django.core.management").call_command("migrate", verbosity=0)
    importlib.import_module("bench.crossborder").run(size=args.size)


if __name__ == "__main__":
    main()
