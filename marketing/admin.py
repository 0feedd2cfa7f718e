"""Django imports `marketing.admin`; each area's admin module registers its models."""

from marketing.pipeline import admin as pipeline  # noqa: F401
