"""The tenant (bank) as the kernel sees it, without importing the app that defines it:
settings.OCRM_TENANT_MODEL names the model ("sysadmin.Bank"), as AUTH_USER_MODEL names the
user model. Models refer to it by that string in their foreign keys.

Time zones come the same way: the app that owns branches registers a provider
(`register_time_zones`) that names a bank's head-office zone and each branch's; the batch
kernel reads a bank's business date through `bank_zone` and `branch_zones`. Without a
provider, or for a name the tz database does not know, a bank lives in UTC."""

import datetime
import zoneinfo

from django.apps import apps
from django.conf import settings


def tenant_model():
    return apps.get_model(settings.OCRM_TENANT_MODEL, require_ready=False)


_zone_provider = None


def register_time_zones(provider):
    """`provider.head_office(bank_id)` -> the zone name of the bank's head office (or None);
    `provider.branches(bank_id)` -> {branch id: zone name} of the bank's branches."""
    global _zone_provider
    _zone_provider = provider


def zone_named(name):
    """The tz database's zone of that name; UTC for an empty or unknown name."""
    try:
        return zoneinfo.ZoneInfo(name) if name else datetime.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def bank_zone(bank_id):
    """The bank's business time zone: its head office's, else UTC."""
    return zone_named(_zone_provider.head_office(bank_id) if _zone_provider else None)


def branch_zones(bank_id):
    """{branch id: time zone} of the bank's branches (empty without a provider)."""
    if _zone_provider is None:
        return {}
    return {branch_id: zone_named(name) for branch_id, name in _zone_provider.branches(bank_id).items()}


def zone_key(zone):
    """A zone's name as the tz database spells it ("UTC" for datetime.UTC)."""
    return getattr(zone, "key", None) or "UTC"
