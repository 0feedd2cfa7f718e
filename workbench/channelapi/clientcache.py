"""The channel clients as a web worker keeps them between calls, and the Redis round trip of a call.

Each worker keeps, per key id, the client's row (with its bank), its signing keys decrypted once and
its bank's field policies. An entry is trusted while the Redis counter GENERATION is unchanged:
saving or deleting a client or a policy, or a queryset update() of them (models.py), bumps it after
the commit, and the next call of any worker sees the new value in its pipeline and reloads. LOCAL_TTL
bounds the life of an entry for changes made behind the ORM's back (raw SQL).
"""

import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django_redis import get_redis_connection

from workbench.channelapi import offers

LOCAL_TTL = 60  # seconds
RATE_WINDOW = 60  # the rate limit's fixed window, seconds
_entries = {}


def _key(name):
    return cache.make_key(f"channelapi:{name}")


def _redis():
    return get_redis_connection("default")


@dataclass
class Entry:
    client: object
    generation: object
    keys: list = field(default_factory=list)  # [(signing key, valid until as epoch seconds)]
    loaded_at: float = field(default_factory=time.monotonic)

    def keys_at(self, now):
        return [key for key, until in self.keys if until > now]

    def age(self):
        return time.monotonic() - self.loaded_at


def generation():
    return _redis().get(_key("generation"))


def bump():
    """Every worker reloads its entries at its next call (after this transaction commits)."""
    transaction.on_commit(lambda: _redis().incr(_key("generation")), robust=True)


def forget_all():
    _entries.clear()


def get(key_id):
    entry = _entries.get(key_id)
    if entry is not None and entry.age() < LOCAL_TTL:
        return entry
    return reload(key_id)


def reload(key_id, current=None):
    """The client from the database. The generation is read first: a change that commits after this
    read bumps it afterwards, so the entry cannot outlive it."""
    from workbench.channelapi.models import ChannelClient, ChannelFieldPolicy  # noqa: PLC0415 - models import this module

    current = generation() if current is None else current
    client = ChannelClient.objects.select_related("bank").filter(key_id=key_id).first()
    if client is None:
        _entries.pop(key_id, None)
        return None
    client.field_policies = dict(ChannelFieldPolicy.objects.filter(bank_id=client.bank_id).values_list("kind", "fields"))
    entry = Entry(client, current, keys=client.signing_keys_with_ends())
    _entries[key_id] = entry
    return entry


def spend(client_pk, nonce, nonce_ttl, now):
    """One round trip: (generation, nonce was fresh, calls in this rate window, seconds left in it).
    The same trip reads the offers' catalogue generation (offers.bank_wide)."""
    window = int(now // RATE_WINDOW)
    rate_key = _key(f"rate:{client_pk}:{window}")
    pipe = _redis().pipeline(transaction=False)
    pipe.get(_key("generation"))
    pipe.set(_key(f"nonce:{client_pk}:{nonce}"), 1, nx=True, ex=nonce_ttl)
    pipe.incr(rate_key)
    pipe.expire(rate_key, 2 * RATE_WINDOW)
    pipe.get(offers.generation_key())
    current, fresh, count, _, offers_generation = pipe.execute()
    offers.saw_generation(offers_generation)
    return current, bool(fresh), count, RATE_WINDOW - (now % RATE_WINDOW)


def count_call(client_pk, now):
    """The rate window's count for a call that did not come through the signature (tests, other auth)."""
    window = int(now // RATE_WINDOW)
    rate_key = _key(f"rate:{client_pk}:{window}")
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(rate_key)
    pipe.expire(rate_key, 2 * RATE_WINDOW)
    count, _ = pipe.execute()
    return count, RATE_WINDOW - (now % RATE_WINDOW)
