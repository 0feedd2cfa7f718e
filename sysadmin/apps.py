from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SysadminConfig(AppConfig):
    name = "sysadmin"
    verbose_name = _("System administration")

    def ready(self):
        from ocrm import labels, seed, tenants
        from ocrm import parameters as ocrm_parameters
        from sysadmin import demo
        from sysadmin.accounts import signals as account_signals  # noqa: F401  (log-in audit, lock-out)
        from sysadmin.accounts import tasks as accounts_tasks
        from sysadmin.audit import tasks as audit_tasks
        from sysadmin.audit.registry import register_audited_models
        from sysadmin.imports import tasks as imports_tasks
        from sysadmin.navigation import register_nav
        from sysadmin.org import recipients as staff_recipients
        from sysadmin.org import time_zones
        from sysadmin.parameters import services as parameters
        from sysadmin.parameters import signals as parameter_signals  # noqa: F401  (parameter cache)
        from sysadmin.roles import ROLE_LABELS

        ocrm_parameters.declare(parameters.PARAMETERS)
        ocrm_parameters.set_provider(parameters.stored_value)
        request_started.connect(parameters.start_request, dispatch_uid="sysadmin-param-request-started")
        request_finished.connect(parameters.end_request, dispatch_uid="sysadmin-param-request-finished")
        labels.register_roles(ROLE_LABELS)
        tenants.register_time_zones(time_zones)
        staff_recipients.register()  # the outbox reaches staff (ocrm.outbox.recipients)
        register_audited_models()
        accounts_tasks.register_jobs()
        audit_tasks.register_jobs()
        imports_tasks.register_jobs()
        register_nav()
        seed.register(demo.SEED_PART)
        seed.register(demo.OUTBOX_SEED_PART)
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="sysadmin-sync-roles")


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    """New apps' permissions reach the roles on every migrate. post_migrate fires once per
    app that has a models module (Django skips the others, e.g. drf_spectacular_sidecar), and each
    app's permissions exist only after its own signal: sync after the last of those."""
    from django.apps import apps

    from sysadmin.roles import sync_roles

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:
        sync_roles(using=using)
