"""Django imports `marketing.admin`; each area's admin module registers its models."""

from marketing.campaigns import admin as campaigns  # noqa: F401
from marketing.pipeline import admin as pipeline  # noqa: F401
