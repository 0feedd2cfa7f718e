from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = _("Workbench")

    def ready(self):
        from django.db.models.signals import post_save

        from customers.ownership.assignment import services as assignment
        from ocrm import parameters as ocrm_parameters
        from ocrm.approvals import inbox
        from ocrm.approvals.models import ChangeRequest
        from workbench.inbox import services
        from workbench.messaging import parameters as messaging_parameters
        from workbench.messaging import sections as messaging_sections
        from workbench.messaging import tasks as messaging_tasks
        from workbench.navigation import register_nav
        from workbench.todo import services as todo

        register_nav()
        ocrm_parameters.declare(messaging_parameters.PARAMETERS)  # staff messaging (workbench.messaging)
        messaging_sections.register_sections()
        messaging_tasks.register_purges()
        assignment.on_customers_moved(todo.move_customer_tasks)  # open customer tasks follow hand-overs
        inbox.set_page("workbench:inbox", own_url_name="workbench:my_requests")
        post_save.connect(services.change_request_saved, sender=ChangeRequest, dispatch_uid="workbench-badge")
