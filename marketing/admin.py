"""marketing's Django admin pages, gathered from its areas."""

from marketing.campaigns import admin as campaigns  # noqa: F401
