"""Django admin of customers: Django imports `customers.admin`; each area registers its
models in its own admin.py (the customer-scoped base classes are customers.master.admin's)."""

from customers.consent import admin as consent  # noqa: F401
from customers.ecif.feeds import admin as feeds  # noqa: F401
from customers.ecif.matching import admin as matching  # noqa: F401
from customers.lifecycle import admin as lifecycle  # noqa: F401
from customers.maintenance import admin as maintenance  # noqa: F401
from customers.master import admin as master  # noqa: F401
from customers.ownership.assignment import admin as assignment  # noqa: F401
from customers.ownership.sharing import admin as sharing  # noqa: F401
