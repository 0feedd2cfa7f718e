"""Marketing's part of the demo banks, gathered from its areas."""

from marketing.products.demo import seed_bundles
from ocrm.seed import SeedPart
from sysadmin.org.models import Bank


def load_part(options, write):
    created = sum(seed_bundles(bank) for bank in Bank.objects.filter(code__in=["OGB", "HCB"], is_active=True))
    if created:
        write(f"  bundles     {created}")


SEED_PART = SeedPart("marketing", 70, load_part)
