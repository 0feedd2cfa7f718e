"""A person's default filter per list page, kept on the staff record (ocrm.preferences).

A list opened with nothing in its address shows the person's saved filter; `?nodefault=1` shows
everything. Only the filter set's own fields are kept, never the page's parameters (page, sort,
export) and never the fields a list names in `default_filter_exclude` (free text that may hold an
identity or phone number stays out of the staff record)."""

from django.http import QueryDict

from ocrm import preferences

KEY = "lists.filters"  # {list view name: {field: [value, ...]}}
SHOW_ALL = "nodefault"


def saved(user, list_name):
    """The saved filter of that list as a QueryDict, or None."""
    fields = preferences.get(user, KEY, {}).get(list_name)
    if not fields:
        return None
    data = QueryDict(mutable=True)
    for key, values in fields.items():
        data.setlist(key, values)
    return data


def saved_lists(user):
    """The names of the lists that person keeps a default filter for."""
    return set(preferences.get(user, KEY, {}))


def kept_fields(view_class, data):
    """{field: [value, ...]} of data (a QueryDict or a plain dict) that a default of that list may
    keep: its filter fields only, empty values left out."""
    allowed = set(filter_fields(view_class)) - set(view_class.default_filter_exclude)
    pairs = data.lists() if hasattr(data, "lists") else ((k, v if isinstance(v, list) else [v]) for k, v in data.items())
    return {key: kept for key, values in pairs if key in allowed and (kept := [str(v) for v in values if str(v).strip()])}


def filter_fields(view_class):
    """The names of a list's filter fields (none when it has no filter set of its own)."""
    return getattr(view_class.filterset_class, "base_filters", {})


def save(user, list_name, fields):
    preferences.put(user, KEY, {**preferences.get(user, KEY, {}), list_name: fields})


def clear(user, list_name):
    filters = dict(preferences.get(user, KEY, {}))
    if filters.pop(list_name, None) is not None:
        preferences.put(user, KEY, filters)
