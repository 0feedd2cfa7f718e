"""The audit row of every channel call (ChannelCall): one INSERT, in its own statement.

A call that changed nothing but its audit row (a GET, the look-up's POST, a refused call) is written
with synchronous_commit off for that one statement: it commits in ~0.1 ms instead of waiting for the
WAL flush (7-10 ms on the bench machine, and a queue under load). Only a crash of PostgreSQL itself
(not of a web worker) within ~0.6 s could lose such rows; a call that changed something keeps the
synchronous commit for its effect and its audit row (docs/channel-api.md)."""

from django.db import connection
from django.utils import timezone

from workbench.channelapi.models import ChannelCall

COLUMNS = ("client_id", "bank_id", "method", "endpoint", "customer_id", "status_code", "outcome", "created_at")
# An INSERT … SELECT does not type its values from the columns (a NULL would be text): cast them.
TYPES = ("bigint", "bigint", "text", "text", "bigint", "integer", "text", "timestamptz")
# set_config(..., true) is local to the statement's own transaction, and in force when it commits.
RELAX = "(SELECT set_config('synchronous_commit', 'off', true)) AS relax"


def relaxed_source():
    """The FROM clause that relaxes the commit of an autocommit INSERT … SELECT, or "" inside a
    transaction someone else owns (their commit decides)."""
    return "" if connection.in_atomic_block else f" FROM {RELAX}"


def record_call(client, method, endpoint, customer, status_code, relaxed=False):
    values = [
        client.pk,
        client.bank_id,
        method,
        endpoint,
        getattr(customer, "pk", None),
        status_code,
        "ok" if status_code < 400 else "refused",
        timezone.now(),
    ]
    source = relaxed_source() if relaxed else ""
    if source:
        body = "SELECT " + ", ".join(f"%s::{kind}" for kind in TYPES) + source
    else:
        body = "VALUES (" + ", ".join(["%s"] * len(values)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ChannelCall._meta.db_table} ({', '.join(COLUMNS)}) {body}", values)
