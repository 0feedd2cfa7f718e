"""The demo bank of `make run`: `manage.py seed_demo` runs every registered seed part in one
transaction. Each app contributes its part from its AppConfig.ready() (sysadmin the
organisation, customers their customers, later apps theirs); the kernel never names one.

A part declares its own command-line options, loads in `order` (lowest first), and removes
its data on --reset in the reverse order, so that what refers to another part's rows goes first.
"""

from dataclasses import dataclass

DEFAULT_SEED = 20261122


class SeedError(Exception):
    """A part cannot load or remove its demo data; the message says why."""


@dataclass(frozen=True)
class SeedPart:
    name: str
    order: int
    load: object  # callable(options, write) -> None; writes its report through write(line)
    reset: object = None  # callable(options, write) -> None
    exists: object = None  # callable() -> bool: this part's data is there already (--if-empty)
    add_arguments: object = None  # callable(parser)


_parts = {}


def register(part):
    _parts[part.name] = part


def parts():
    return sorted(_parts.values(), key=lambda part: part.order)
