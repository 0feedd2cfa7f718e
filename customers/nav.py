"""customers' entries in the navigation bar (see ocrm.navigation)."""

from django.utils.translation import gettext_lazy as _

from ocrm import navigation

CUSTOMERS = _("Customers")


def register_nav():
    navigation.register(CUSTOMERS, _("Customer search"), "customers:list", ["customers.view_customer"],
                        icon="search", order=1)
    navigation.register(CUSTOMERS, _("New customer"), "customers:create", ["customers.add_customer"],
                        icon="person-plus", order=2)
    navigation.register(CUSTOMERS, _("Change requests"), "customers:change_requests", ["customers.approve_change"],
                        icon="check2-square", order=3)
    navigation.register(CUSTOMERS, _("Batch maintenance"), "customers:batch_list", ["customers.maintain_batch"],
                        icon="file-earmark-arrow-up", order=4)
    navigation.register(CUSTOMERS, _("My exports"), "export_list", ["customers.export_customers"],
                        icon="download", order=5)
