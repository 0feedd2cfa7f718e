"""Django admin of sysadmin: Django imports `sysadmin.admin`; each area registers its models in
its own admin.py (the organisation-scoped base class is sysadmin.org.admin's)."""

from sysadmin.accounts import admin as accounts  # noqa: F401
from sysadmin.imports import admin as imports  # noqa: F401
from sysadmin.org import admin as org  # noqa: F401
from sysadmin.parameters import admin as parameters  # noqa: F401
