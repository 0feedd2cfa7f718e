"""The sample feeds of docs/samples/feeds load into the demo bank with no rejected row (issue 12,
item 5): they name the demo bank's branch (SH) and product codes (DEMO-DD-CNY ...).

The files are dated 2026-11-20 (in their names, for the inbox, and in their rows), a day inside
the demo's exchange-rate history. So that this test holds on any day it runs, each file is
delivered re-dated to the day the demo was seeded (its rates reach that day): the codes, keys and
currencies are the files' own."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.ecif.feeds.models import FeedLoad
from sysadmin.org.models import Staff
from tests.customers.ecif.feeds.support import deliver

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(600)]

SAMPLES = Path(__file__).resolve().parents[4] / "docs" / "samples" / "feeds"
# Customers first (the other feeds name their keys), holdings before transactions (their accounts).
ORDER = ("customers", "identities", "contacts", "holdings", "transactions")
SAMPLE_DAY = "2026-11-20"
NAME = re.compile(r"^(?P<source>[A-Z0-9-]+)_(?P<feed>[a-z]+)_(?P<date>\d{8})")


def sample_files():
    files = sorted(SAMPLES.iterdir(), key=lambda p: (ORDER.index(NAME.match(p.name)["feed"]), p.name))
    return [path for path in files if path.suffix in (".csv", ".xlsx")]


def redated(path, day):
    """The file's bytes with its date (2026-11-20) replaced by `day`."""
    if path.suffix == ".xlsx":
        return path.read_bytes()  # the holdings workbook holds no business date
    encoding = "gb18030" if "gb18030" in path.name else "utf-8"
    return path.read_text(encoding).replace(SAMPLE_DAY, day.isoformat()).encode(encoding)


def test_every_sample_feed_loads_into_the_demo_bank_with_no_rejects():
    call_command("seed_demo", "--customers-count", "10", stdout=io.StringIO())
    admin = Staff.objects.filter(bank__code="OGB", groups__name="system_admin").order_by("username").first()
    files = sample_files()
    today = timezone.localdate()
    assert {NAME.match(p.name)["feed"] for p in files} == set(ORDER)
    results = []
    for path in files:
        match = NAME.match(path.name)
        content = redated(path, today)
        name = path.name.replace(match["date"], f"{today:%Y%m%d}")
        load = deliver(admin, match["feed"], content, source=match["source"], date=today, name=name)
        reasons = sorted({f"{e.field}: {e.reason}" for e in load.errors.all()})
        results.append((path.name, load.status, load.rows_read, load.rows_rejected, load.error, reasons))
    wrong = [r for r in results if r[1] != FeedLoad.Status.LOADED or r[3] or not r[2]]
    assert not wrong, "\n".join(map(str, wrong))
