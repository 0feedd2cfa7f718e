"""Which customer fields a channel may receive, per bank and kind of channel (ChannelFieldPolicy);
every endpoint drops the fields outside it. Without a policy row the defaults below apply."""

from django.utils.translation import gettext_lazy as _

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
}

# The counter sees the masked name; online banking only its own customer's name and offers.
DEFAULT_FIELDS = {
    "counter": ("number", "name_masked", "star_rating", "tier", "tags", "alerts", "offers"),
    "phone": ("number", "name", "star_rating", "tags", "alerts", "offers"),
    "call_centre": ("number", "name", "star_rating", "tags", "alerts", "offers"),
    "online": ("number", "name", "offers"),
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
