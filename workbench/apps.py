from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = _("Workbench")

    def ready(self):
        from django.db.models.signals import post_save

        from customers.ownership.assignment import services as assignment
        from ocrm.approvals import inbox
        from ocrm.approvals.models import ChangeRequest
        from workbench.inbox import services
        from workbench.navigation import register_nav
        from workbench.todo import services as todo

        register_nav()
        assignment.on_customers_moved(todo.move_customer_tasks)  # open customer tasks follow hand-overs
        inbox.set_page("workbench:inbox", own_url_name="workbench:my_requests")
        post_save.connect(services.change_request_saved, sender=ChangeRequest, dispatch_uid="workbench-badge")

        # Announcements (workbench.announcements): parameters, the approval handler, the reminder job, the desk.
        from ocrm import parameters
        from workbench import desk
        from workbench.announcements import services as announcements
        from workbench.announcements import tasks as announcement_tasks

        parameters.declare(announcements.PARAMETERS)
        announcements.register_handlers()
        announcement_tasks.register_jobs()
        desk.register_today("announcements", _("Announcements to acknowledge"), announcements.today_items, order=30)
