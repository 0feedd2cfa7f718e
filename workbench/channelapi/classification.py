"""Which customer fields a channel may receive, per bank and kind of channel (ChannelFieldPolicy);
every endpoint drops the fields outside it. Without a policy row the defaults below apply.

A service request's pre-filled content holds customer fields too: classify_content() keeps of it
only what the channel may see (a field copied from the customer's name or number, a field marked as
personal data, and the customer's name written into any free text)."""

from django.utils.translation import gettext_lazy as _

from ocrm import pii
from workbench.channelapi.models import ChannelFieldPolicy

FIELD_LABELS = {
    "number": _("customer number"),
    "name": _("name"),
    "name_masked": _("masked name"),
    "star_rating": _("stars"),
    "tier": _("tier"),
    "tags": _("tags"),
    "alerts": _("alerts"),
    "offers": _("offers"),
    "personal_data": _("personal data in requests"),
}

# The counter sees the masked name; online banking only its own customer's name, offers and the
# personal data in that customer's own requests.
DEFAULT_FIELDS = {
    "counter": ("number", "name_masked", "star_rating", "tier", "tags", "alerts", "offers"),
    "phone": ("number", "name", "star_rating", "tags", "alerts", "offers"),
    "call_centre": ("number", "name", "star_rating", "tags", "alerts", "offers"),
    "online": ("number", "name", "offers", "personal_data"),
}


def _chosen(policy, kind):
    chosen = DEFAULT_FIELDS.get(kind, ()) if policy is None else policy
    return [field for field in chosen if field in FIELD_LABELS]


def allowed_fields(bank_id, kind):
    policy = ChannelFieldPolicy.objects.filter(bank_id=bank_id, kind=kind).values_list("fields", flat=True).first()
    return _chosen(policy, kind)


def fields_for(client):
    """allowed_fields() for the calling client, from the policies clientcache loaded with it (no query)."""
    policies = getattr(client, "field_policies", None)
    if policies is None:
        return allowed_fields(client.bank_id, client.kind)
    return _chosen(policies.get(client.kind), client.kind)


# Content a request type may add outside its form (the FX rate fixed on confirmation): no customer data.
REQUEST_EXTRA_KEYS = ("fx_rate", "fx_rate_effective_at")
NAME_SOURCES = ("name_local", "name_latin")


def _shown_name(value, allowed):
    """A value that is the customer's name: clear, masked, or nothing (None)."""
    if "name" in allowed:
        return value
    if "name_masked" in allowed:
        return pii.mask_text(value)
    return None


def _without_names(value, names, allowed):
    """Free text with the customer's names replaced by what the channel may see of them."""
    for name in names:
        if name in value:
            shown = _shown_name(name, allowed)
            value = value.replace(name, shown if shown is not None else "*" * len(name))
    return value


def _names_to_hide(customer, allowed):
    """The customer's names a channel without `name` must not read in free text, the longest first
    (so that a name inside another is not half replaced)."""
    if "name" in allowed:
        return []
    return sorted({n for n in (customer.name_local, customer.name_latin) if n and len(n) >= 2}, key=len, reverse=True)


def classify_free_text(values, customer, allowed):
    """Free text our staff wrote about the customer (a step's saved progress): the customer's names in
    it masked (name_masked) or starred, unless the channel may see the name; other values as they are."""
    names = _names_to_hide(customer, allowed)
    return {
        key: _without_names(value, names, allowed) if isinstance(value, str) and names else value
        for key, value in (values or {}).items()
    }


def _shown_value(field, value, names, allowed):
    source = field.get("default_from")
    if source in NAME_SOURCES:
        return _shown_name(value, allowed)
    if source == "number":
        return value if "number" in allowed else None
    if field.get("pii"):
        if "personal_data" in allowed:
            return value
        if "name_masked" in allowed:
            return pii.mask(value, field["pii"]) if field["pii"] in pii.MASKS else pii.mask_text(value)
        return None
    if isinstance(value, str) and names:
        return _without_names(value, names, allowed)
    return value


def classify_content(form_schema, content, customer, allowed):
    """The part of a request's `content` that a channel with the `allowed` fields may see: a field
    copied from the customer's name follows name / name_masked, from the number follows number; a
    field marked `pii` is clear with personal_data, masked with name_masked (the masked profile),
    else left out; the customer's names inside any other text are masked or starred; keys outside
    the form (but the FX rate) are left out."""
    content = content or {}
    names = _names_to_hide(customer, allowed)
    shown = {}
    for field in form_schema or []:
        key = field.get("name")
        if key in content:
            value = _shown_value(field, content[key], names, allowed)
            if value is not None:
                shown[key] = value
    for key in REQUEST_EXTRA_KEYS:
        if key in content:
            shown[key] = content[key]
    return shown
