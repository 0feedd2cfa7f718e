"""Links that services put into notifications, without knowing any URL.

A service names the page it points at by a key and its arguments:

    notify([maker], title, link=links.url("customer", customer.number))

and the app that draws that page registers the key with its URL name, at the edge (its urls.py):

    links.register("customer", "customers:detail")

So services call no reverse() of their own, a renamed route is changed in one place, and a lower
layer can point at a page that a higher app draws. Keys are shared by every app: name them
after the page, not after the caller.
"""

from django.urls import get_resolver, reverse

_url_names = {}


def register(key, url_name):
    _url_names[key] = url_name


def url(key, *args):
    """The path of the page registered as `key` (a worker has not loaded the URLconf yet: loading
    it runs the urls modules, which register their keys)."""
    if key not in _url_names:
        get_resolver().url_patterns  # noqa: B018 - importing the URLconf is the point
    return reverse(_url_names[key], args=args)
