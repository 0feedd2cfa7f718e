"""Marketing's part of the demo bank, gathered from its areas (after customers and workbench)."""

from marketing.campaigns import demo as campaigns
from marketing.products.demo import remove_bundles, seed_bundles
from ocrm.seed import SeedPart
from sysadmin.org.models import Bank


def load_part(options, write):
    created = sum(seed_bundles(bank) for bank in Bank.objects.filter(code__in=["OGB", "HCB"], is_active=True))
    if created:
        write(f"  bundles     {created}")
    campaigns.load(write)


def reset_part(options, write):
    if campaigns.reset():
        write("Removed the demo campaigns.")
    # The bundles list demo products (a protected reference): they go before customers' products.
    if sum(remove_bundles(bank) for bank in Bank.objects.filter(code__in=["OGB", "HCB"])):
        write("Removed the demo bundles.")


SEED_PART = SeedPart("marketing", 70, load_part, reset=reset_part)
