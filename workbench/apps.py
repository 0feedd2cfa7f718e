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
        from workbench.dashboard import services as dashboard
        from workbench.inbox import services
        from workbench.navigation import register_nav
        from workbench.todo import services as todo
        from workbench.workreports import services as workreports

        register_nav()
        dashboard.register_today_sources()
        workreports.register_activity_sources()
        workreports.register_audit()
        assignment.on_customers_moved(todo.move_customer_tasks)  # open customer tasks follow hand-overs
        inbox.set_page("workbench:inbox", own_url_name="workbench:my_requests")
        post_save.connect(services.change_request_saved, sender=ChangeRequest, dispatch_uid="workbench-badge")
