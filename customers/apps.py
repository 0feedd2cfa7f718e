from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        # Each area adds what it contributes to the kernel's registries (audit safety net,
        # approval handlers, approvals inbox, jobs, navigation) and to the 360 page's sections.
        # Imported here, not at module level: Django calls ready() once every model is loaded.
        from customers import demo, navigation, parameters
        from customers.consent import sections as consent_sections
        from customers.consent import services as consent
        from customers.ecif.feeds import retention as feed_retention
        from customers.ecif.feeds import tasks as feed_tasks
        from customers.ecif.matching import services as matching
        from customers.ecif.matching import tasks as matching_tasks
        from customers.fx import services as fx
        from customers.lifecycle import tasks as lifecycle_tasks
        from customers.maintenance import tasks as maintenance_tasks
        from customers.master import services as master
        from customers.ownership.assignment import sections as assignment_sections
        from customers.ownership.assignment import services as assignment
        from customers.ownership.assignment import tasks as assignment_tasks
        from customers.ownership.sharing import sections as sharing_sections
        from customers.ownership.sharing import services as sharing
        from customers.ownership.sharing import tasks as sharing_tasks
        from customers.profile import sections as profile_sections
        from ocrm import parameters as ocrm_parameters
        from ocrm import seed

        ocrm_parameters.declare(parameters.PARAMETERS)
        master.register_audit()
        matching.register_audit()
        master.register_handlers()
        sharing.register_handlers()
        assignment.register_handlers()
        matching.register_inbox()
        for tasks in (assignment_tasks, matching_tasks, sharing_tasks, feed_tasks, lifecycle_tasks, maintenance_tasks):
            tasks.register_jobs()
        profile_sections.register_sections()
        assignment_sections.register_sections()
        sharing_sections.register_sections()
        consent.register()  # the outbox's customer recipients and their suppression rule
        consent_sections.register_sections()
        navigation.register_nav()
        seed.register(demo.SEED_PART)
        feed_retention.register_retention()
        fx.register_handlers()
