"""marketing's part of the demo bank, gathered from its areas (after customers and workbench)."""

from marketing.campaigns import demo as campaigns
from ocrm.seed import SeedPart


def load_part(options, write):
    campaigns.load(write)


def reset_part(options, write):
    if campaigns.reset():
        write("Removed the demo campaigns.")


SEED_PART = SeedPart("marketing", 70, load_part, reset=reset_part)
