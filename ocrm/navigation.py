"""The navigation bar: apps register entries; each user sees the entries their
permissions allow. Apps call register() from their AppConfig.ready()."""

import bisect
import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class NavEntry:
    section: str  # lazily translated section label
    label: str
    url_name: str
    perms: tuple = ()  # all required
    icon: str = "circle"
    order: int = 100
    admin_only: bool = False
    badge: object = field(default=None, compare=False)  # callable(user) -> int | None
    visible: object = field(default=None, compare=False)  # callable(user) -> bool, checked after perms


_entries = []  # kept in order (then registration order): every page walks it


def register(section, label, url_name, perms=(), icon="circle", order=100, admin_only=False, badge=None, visible=None):
    entry = NavEntry(section, label, url_name, tuple(perms), icon, order, admin_only, badge, visible)
    if entry not in _entries:
        bisect.insort_right(_entries, entry, key=lambda e: e.order)


@functools.lru_cache(maxsize=512)
def _reversed(url_name, prefix, urlconf, root_urlconf):
    return reverse(url_name, urlconf=urlconf)


def fixed_url(url_name):
    """reverse() of a URL without parameters, once per URL configuration: the menu and the
    middlewares ask for the same few dozen on every page (NoReverseMatch is not cached)."""
    return _reversed(url_name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)


def entries_for(user):
    if not user.is_authenticated:
        return []
    visible = []
    for entry in _entries:
        if entry.admin_only and not user.is_staff:
            continue
        if entry.perms and not user.has_perms(entry.perms):
            continue
        if entry.visible is not None and not entry.visible(user):
            continue
        try:
            url = fixed_url(entry.url_name)
        except NoReverseMatch:
            continue
        visible.append({"entry": entry, "url": url, "badge": entry.badge(user) if entry.badge else None})
    return visible


def sections_for(user):
    """[(section label, [items])] in registration order of first appearance."""
    sections = {}
    for item in entries_for(user):
        sections.setdefault(str(item["entry"].section), []).append(item)
    return list(sections.items())


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    return {"nav_sections": sections_for(user)}
