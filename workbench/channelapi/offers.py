"""What a channel may offer a customer: a registry the apps above fill.

The channel API's customer summary lists "what to offer" (active campaign offers, eligible
bundles and products). The API lives in the workbench; marketing sits above it, so marketing
registers a provider here from its AppConfig.ready() instead of the API importing marketing.

A provider is `fn(customer, channel_kind) -> iterable[Offer]`; channel_kind is a
ChannelClient kind ("counter", "phone", "online", "call_centre").

A provider keeps what is the same for every customer of a bank (its bundles, its product list) with
bank_wide(name, bank_id, loader): per web worker, trusted while the Redis counter of the catalogue's
generation is unchanged and for at most CACHE_TTL seconds. The kernel reads that counter in the
pipeline every signed call already makes (clientcache.spend), so a warm summary asks Redis and the
database nothing more for it; a provider calls changed() when its bank-wide data changes (signals),
which bumps the counter after the commit. What concerns the customer stays exact: providers read it
per call."""

import contextvars
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django_redis import get_redis_connection

CACHE_TTL = 30  # seconds: bounds a change made behind the signals (a queryset update(), raw SQL)
_bank_wide = {}
# The catalogue generation this call saw (set by the kernel from its Redis pipeline).
_generation_seen = contextvars.ContextVar("channelapi_offers_generation", default=None)

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


def generation_key():
    return cache.make_key("channelapi:offers-generation")


def saw_generation(value):
    """The kernel, once per signed call: the counter as its Redis pipeline read it."""
    _generation_seen.set(value)


def changed():
    """Bank-wide offer data changed: every worker reloads at its next call (after this commit)."""
    transaction.on_commit(lambda: get_redis_connection("default").incr(generation_key()), robust=True)


def forget_all():
    _bank_wide.clear()


def bank_wide(name, bank_id, loader):
    """loader()'s answer for this bank, from the worker's copy while it is current. The generation
    is read before loading: a change committed afterwards bumps it past the copy."""
    current = _generation_seen.get()
    if current is None:  # outside a signed call: one Redis read
        current = get_redis_connection("default").get(generation_key())
    entry = _bank_wide.get((name, bank_id))
    now = time.monotonic()
    if entry is not None and entry[0] == current and now - entry[1] < CACHE_TTL:
        return entry[2]
    value = loader()
    _bank_wide[(name, bank_id)] = (current, now, value)
    return value
