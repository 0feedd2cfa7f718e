"""Keeps the current request reachable by the audit hooks (signals have no request), and turns
a service's NotVisible into the 404 every page answers for an object outside the user's scope."""

import contextvars
import ipaddress

from django.conf import settings
from django.http import Http404

from ocrm.errors import NotVisible

_current_request = contextvars.ContextVar("ocrm_current_request", default=None)


def current_request():
    return _current_request.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


class NotVisibleMiddleware:
    """NotVisible -> 404, in one place for every view: the generic page views, the list and
    detail pages that call a service directly, and Django admin. A middleware rather than the
    base views, so that a view written without them cannot turn it into a 500 (and the channel
    API, which will answer in JSON, maps it in its own exception handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotVisible):
            # Raised, not returned: Django answers it like any Http404 (the 404 page, no error log).
            raise Http404 from exception
        return None


def _trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request):
    """The address the audit log records. X-Forwarded-For is anyone's to forge, so it is
    read only when the connection comes from a trusted proxy (settings.TRUSTED_PROXIES),
    and then from the right: the first hop that is not a trusted proxy is the client."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = [ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES]
    if not remote or not networks or not _trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else remote
