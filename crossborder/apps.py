from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrossborderConfig(AppConfig):
    name = "crossborder"
    verbose_name = _("Cross-border services")

    def ready(self):
        from crossborder.navigation import register_nav
        from crossborder.profitsharing import parameters as profit_parameters
        from crossborder.profitsharing import services as profit_sharing
        from crossborder.profitsharing import tasks as profit_tasks
        from crossborder.requests import measures, service_types
        from crossborder.requests import parameters as request_parameters
        from crossborder.requests.signals import request_completed
        from ocrm import parameters

        register_nav()
        # The service types are reference data: written again after every migrate and test flush.
        post_migrate.connect(service_types.seed_after_migrate, dispatch_uid="crossborder.service_types")
        # Requests (crossborder.requests): parameters and the report measures.
        parameters.declare(request_parameters.PARAMETERS)
        measures.register()
        # Profit sharing (crossborder.profitsharing): the monthly statements job, the checkers, and
        # the revenue event booked when a request is completed with a fee.
        parameters.declare(profit_parameters.PARAMETERS)
        profit_tasks.register_jobs()
        profit_tasks.register_feed_job()
        profit_tasks.register_upload_job()
        profit_sharing.register_approvals()
        from crossborder.profitsharing import measures as profit_measures

        profit_measures.register()  # the shares in the report snapshots (ocrm.reporting)
        request_completed.connect(profit_sharing.book_crossborder_fee, dispatch_uid="profitsharing.book_crossborder_fee")
        from crossborder.requests import statistics

        statistics.register_revenue_source(profit_sharing.shared_by_reference)
        # The demo bank's cross-border part (make run).
        from crossborder import demo
        from ocrm import seed

        seed.register(demo.SEED_PART)
