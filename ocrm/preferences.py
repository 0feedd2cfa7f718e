"""A person's own settings, kept on the staff record (`Staff.preferences`) under one key per area:

    preferences.get(user, "workbench.shortcuts", default=[])
    preferences.put(user, "workbench.shortcuts", ["customers:list", ...])

One UPDATE of one key (jsonb_set), so two pages saving different keys never overwrite each other."""

import json

from django.contrib.auth import get_user_model
from django.db import connection


def get(user, key, default=None):
    return (user.preferences or {}).get(key, default)


def put(user, key, value):
    """Store value (JSON-serialisable) under key for user; the in-memory user sees it too."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {get_user_model()._meta.db_table}"
            " SET preferences = jsonb_set(COALESCE(preferences, '{}'::jsonb), %s, %s::jsonb) WHERE id = %s",
            [[key], json.dumps(value), user.pk],
        )
    user.preferences = {**(user.preferences or {}), key: value}
