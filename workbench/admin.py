"""Django imports `workbench.admin`; each area's admin module registers its models."""

from workbench.messaging import admin as messaging  # noqa: F401
from workbench.todo import admin as todo  # noqa: F401
