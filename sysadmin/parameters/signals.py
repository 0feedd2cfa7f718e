"""The system-parameter cache follows every change of the table at once."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from sysadmin.parameters import services as parameters


@receiver(pre_save, sender="sysadmin.SystemParameter", dispatch_uid="sysadmin-param-pre-save")
def _remember_parameter_key(sender, instance, raw=False, **kwargs):
    instance._previous_key = None
    if instance.pk is not None and not raw:
        instance._previous_key = sender._base_manager.filter(pk=instance.pk).values_list("key", flat=True).first()


def _forget_parameter(*keys):
    keys = {k for k in keys if k}
    for key in keys:
        parameters.invalidate(key)

    # Again after commit: a reader between this save and the commit may have cached
    # the old value from the database.
    def after_commit():
        for key in keys:
            parameters.invalidate(key)

    transaction.on_commit(after_commit)


@receiver(post_save, sender="sysadmin.SystemParameter", dispatch_uid="sysadmin-param-saved")
def _parameter_saved(sender, instance, **kwargs):
    _forget_parameter(instance.key, getattr(instance, "_previous_key", None))


@receiver(post_delete, sender="sysadmin.SystemParameter", dispatch_uid="sysadmin-param-deleted")
def _parameter_deleted(sender, instance, **kwargs):
    _forget_parameter(instance.key)
