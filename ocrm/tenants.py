"""The tenant (bank) as the kernel sees it, without importing the app that defines it:
settings.OCRM_TENANT_MODEL names the model ("sysadmin.Bank"), as AUTH_USER_MODEL names the
user model. Models refer to it by that string in their foreign keys."""

from django.apps import apps
from django.conf import settings


def tenant_model():
    return apps.get_model(settings.OCRM_TENANT_MODEL, require_ready=False)
