from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = _("Workbench")

    def ready(self):
        from django.db.models.signals import post_save

        from customers.ownership.assignment import services as assignment
        from ocrm import parameters as ocrm_parameters
        from ocrm import seed
        from ocrm.approvals import inbox
        from ocrm.approvals.models import ChangeRequest
        from workbench import demo
        from workbench.inbox import services
        from workbench.navigation import register_nav
        from workbench.reminders import parameters as reminder_parameters
        from workbench.reminders import services as reminders
        from workbench.reminders import tasks as reminder_tasks
        from workbench.todo import services as todo

        register_nav()
        ocrm_parameters.declare(reminder_parameters.PARAMETERS)
        reminder_tasks.register_jobs()
        reminders.register_desk()
        reminders.register_audit()
        seed.register(demo.SEED_PART)
        assignment.on_customers_moved(todo.move_customer_tasks)  # open customer tasks follow hand-overs
        assignment.on_customers_moved(reminders.move_customer_reminders)  # and open reminders
        inbox.set_page("workbench:inbox", own_url_name="workbench:my_requests")
        post_save.connect(services.change_request_saved, sender=ChangeRequest, dispatch_uid="workbench-badge")
