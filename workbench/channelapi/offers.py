"""What a channel may offer a customer: a registry the apps above fill.

The channel API's customer summary lists "what to offer" (active campaign offers, eligible
bundles and products). The API lives in the workbench; marketing sits above it, so marketing
registers a provider here from its AppConfig.ready() instead of the API importing marketing.

A provider is `fn(customer, channel_kind) -> iterable[Offer]`; channel_kind is a
ChannelClient kind ("counter", "phone", "online", "call_centre")."""

from dataclasses import dataclass, field

_PROVIDERS = {}


@dataclass(frozen=True)
class Offer:
    kind: str  # "campaign", "bundle", "product"
    reference: str  # a stable reference the channel echoes back when it records a response
    title: str  # in the customer's language where the provider can; never an internal id
    reasons: tuple = field(default_factory=tuple)  # why this customer qualifies, short phrases


def register(key, provider, order=100):
    _PROVIDERS[key] = (order, provider)


def offers_for(customer, channel_kind):
    result = []
    for _order, provider in sorted(_PROVIDERS.values(), key=lambda item: item[0]):
        result.extend(provider(customer, channel_kind))
    return result
