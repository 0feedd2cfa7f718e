from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = _("Workbench")

    def ready(self):
        from django.db.models.signals import post_save

        from customers.ownership.assignment import services as assignment
        from customers.profile import services as profile
        from ocrm import parameters, seed
        from ocrm.approvals import inbox
        from ocrm.approvals.models import ChangeRequest
        from workbench import demo, desk
        from workbench.announcements import services as announcements
        from workbench.announcements import tasks as announcement_tasks
        from workbench.calendar import reminders as appointment_reminders
        from workbench.calendar import services as calendar
        from workbench.dashboard import services as dashboard
        from workbench.dashboard import tasks as dashboard_tasks
        from workbench.inbox import services
        from workbench.messaging import parameters as messaging_parameters
        from workbench.messaging import sections as messaging_sections
        from workbench.messaging import tasks as messaging_tasks
        from workbench.navigation import register_desk_nav, register_nav
        from workbench.reminders import parameters as reminder_parameters
        from workbench.reminders import services as reminders
        from workbench.reminders import tasks as reminder_tasks
        from workbench.servicerequests import services as servicerequests
        from workbench.todo import sections as todo_sections
        from workbench.todo import services as todo
        from workbench.workreports import services as workreports

        register_nav()
        register_desk_nav()
        dashboard.register_today_sources()
        workreports.register_activity_sources()
        workreports.register_audit()
        parameters.declare(messaging_parameters.PARAMETERS)  # staff messaging (workbench.messaging)
        messaging_sections.register_sections()
        messaging_tasks.register_purges()
        assignment.on_customers_moved(todo.move_customer_tasks)  # open customer tasks follow hand-overs
        # Tasks and the calendar (workbench.todo, workbench.calendar).
        parameters.declare(calendar.PARAMETERS)
        profile.after_contact_logged(todo.task_from_contact)  # a contact's next action becomes a task
        todo_sections.register_sections()
        desk.register_today("tasks", _("Tasks"), todo.today_tasks, order=10, perm="workbench.view_task")
        desk.register_calendar("tasks", _("Tasks"), todo.calendar_tasks, order=20, perm="workbench.view_task")
        desk.register_activity("tasks", _("Tasks done"), todo.tasks_done, order=20)
        desk.register_today(
            "appointments", _("Appointments"), calendar.today_appointments, order=5, perm="workbench.view_appointment"
        )
        desk.register_calendar(
            "appointments", _("Appointments"), calendar.appointment_events, order=10, perm="workbench.view_appointment"
        )
        desk.register_activity("appointments", _("Appointments held"), calendar.appointments_held, order=30)
        # Reminders (workbench.reminders).
        parameters.declare(reminder_parameters.PARAMETERS)
        reminder_tasks.register_jobs()
        reminders.register_desk()
        reminders.register_audit()
        assignment.on_customers_moved(reminders.move_customer_reminders)  # open reminders follow too
        appointment_reminders.register()  # the timed "appointment" reminder kind (workbench.calendar.reminders)
        seed.register(demo.SEED_PART)
        inbox.set_page("workbench:inbox", own_url_name="workbench:my_requests")
        post_save.connect(services.change_request_saved, sender=ChangeRequest, dispatch_uid="workbench-badge")
        # Announcements (workbench.announcements): parameters, the approval handler, the reminder job, the desk.
        parameters.declare(announcements.PARAMETERS)
        announcements.register_handlers()
        announcement_tasks.register_jobs()
        dashboard_tasks.register_jobs()  # the nightly book figures (workbench.dashboard.tasks)
        desk.register_today("announcements", _("Announcements to acknowledge"), announcements.today_items, order=30)
        from workbench.channelapi import parameters as channelapi_parameters

        parameters.declare(channelapi_parameters.PARAMETERS)  # channel API webhook delivery
        from ocrm.audit import services as audit_services
        from workbench.channelapi.models import ChannelFieldPolicy

        audit_services.register(ChannelFieldPolicy)  # the field classification changes in Django admin
        servicerequests.on_status_change(servicerequests.notify_status_change)  # manager + webhook
        # Service requests (workbench.servicerequests): 360 section, parameters, effects of a status
        # change, step reminders, the type-change approval handler and the report snapshots' figures.
        from workbench.servicerequests import definitions as servicerequest_definitions
        from workbench.servicerequests import effects as servicerequest_effects
        from workbench.servicerequests import measures as servicerequest_measures
        from workbench.servicerequests import parameters as servicerequest_parameters
        from workbench.servicerequests import reminders as servicerequest_reminders
        from workbench.servicerequests import sections as servicerequest_sections

        servicerequest_sections.register_sections()  # the 360 page's service requests (htmx)
        parameters.declare(servicerequest_parameters.PARAMETERS)  # expiry days, appointment hours and slots
        servicerequests.on_status_change(servicerequest_effects.sms_status_change)  # the customer's SMS (outbox)
        servicerequests.on_status_change(servicerequest_effects.task_status_change)  # the manager's follow-up task
        servicerequest_reminders.register()  # the step time-limit reminder kind
        servicerequest_definitions.register_handlers()  # request type changes: maker-checker (approvals)
        servicerequest_measures.register()  # the report snapshots' figures (ocrm.reporting)
