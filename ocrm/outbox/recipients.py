"""The outbox's two registries, filled by higher apps from their AppConfig.ready() (the kernel
never names an app):

* recipient resolvers — ``register_resolver(kind, resolve, model=None)``: ``resolve(bank_id, ids)``
  answers ``{id: Recipient}`` for the ids it knows (one or a few queries for any number of ids).
  ``model`` ("customers.customer") lets send() take a model instance as the recipient.
  The kernel itself resolves the kind "address" (a raw number or e-mail address).
* suppression rules — ``register_rule(rule)``: ``rule(recipient, purpose, channel)`` answers a
  reason (text) when nothing of that purpose may go to that recipient, else None.
"""

from dataclasses import dataclass

ADDRESS = "address"


@dataclass(frozen=True)
class Recipient:
    kind: str
    id: str
    bank_id: int
    phone: str = ""
    email: str = ""
    language: str = ""
    time_zone: str = ""  # "" = the bank's head office zone
    ref: str = ""  # what the outbox search finds them by (customer number, user name)
    branch_path: str = ""

    def address_for(self, channel):
        return self.email if channel == "email" else self.phone


_resolvers = {}
_models = {}
_rules = []


def register_resolver(kind, resolve, model=None):
    _resolvers[kind] = resolve
    if model:
        _models[model.lower()] = kind


def register_rule(rule):
    if rule not in _rules:
        _rules.append(rule)


def kinds():
    return sorted(_resolvers)


def kind_of(obj):
    """The recipient kind of a model instance (its resolver's `model`), or None."""
    meta = getattr(obj, "_meta", None)
    return _models.get(meta.label_lower) if meta else None


def resolve(kind, bank_id, ids):
    resolver = _resolvers.get(kind)
    if resolver is None:
        raise LookupError(f"No recipient resolver for {kind!r}")
    return resolver(bank_id, [str(i) for i in ids])


def suppression_reason(recipient, purpose, channel):
    for rule in _rules:
        reason = rule(recipient, purpose, channel)
        if reason:
            return str(reason)
    return None


def _addresses(bank_id, ids):
    return {
        address: Recipient(
            kind=ADDRESS,
            id=address,
            bank_id=bank_id,
            phone="" if "@" in address else address,
            email=address if "@" in address else "",
            ref="",
        )
        for address in ids
    }


register_resolver(ADDRESS, _addresses)
