"""Personal data in templates, masked by its kind (ocrm.pii): {{ holding.account_number|masked:"account" }}."""

from django import template

from ocrm import pii

register = template.Library()


@register.filter
def masked(value, kind):
    return pii.mask(value, kind) if value else value


@register.filter
def masked_address(address):
    """An address as everyone sees it: its street masked, its city, region and country shown."""
    street = ", ".join(part for part in (address.line1, address.line2) if part)
    parts = [pii.mask_address(street), address.city, address.region, address.country.name]
    return ", ".join(str(part) for part in parts if part)
