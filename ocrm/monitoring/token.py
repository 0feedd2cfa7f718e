"""The monitoring token (settings.OCRM_MONITORING_TOKEN, from the environment): it unlocks the
details of /healthz and the Prometheus metrics. It is read from the Authorization header only
("Bearer <token>"), never from the query string that access logs keep."""

import hmac

from django.conf import settings


def presented(request):
    """True when the request carries the configured token; always False while none is set."""
    expected = settings.OCRM_MONITORING_TOKEN
    scheme, _space, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given:
        return False
    # compare_digest takes as long for a wrong first character as for a wrong last one.
    return hmac.compare_digest(given.strip().encode(), expected.encode())
