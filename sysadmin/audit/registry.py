"""Which models the audit safety net watches. Apps add their business models here
(or call ocrm.audit.services.register in their own AppConfig.ready)."""

from django.apps import apps

from ocrm.audit import services as audit

AUDITED = {
    "sysadmin.Bank": (),
    "sysadmin.Branch": ("path",),
    "sysadmin.Holiday": (),
    "sysadmin.BankCode": (),
    "sysadmin.Staff": ("failed_login_count",),
    "sysadmin.SystemParameter": (),
    "auth.Group": (),
    "django_celery_beat.PeriodicTask": ("last_run_at", "total_run_count", "date_changed"),
    # Object-permission grants are access changes: audit them like role changes.
    "guardian.UserObjectPermission": (),
    "guardian.GroupObjectPermission": (),
}


def register_audited_models():
    for label, exclude in AUDITED.items():
        audit.register(apps.get_model(label), exclude=exclude)
