"""Per-client rate limits: a fixed one-minute window counted in Redis. The count is taken in the
authentication's single pipeline (clientcache.spend) and left on the request; the throttle only
compares it with the client's limit."""

import time

from rest_framework import throttling

from workbench.channelapi import clientcache


class ChannelClientThrottle(throttling.BaseThrottle):
    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True
        counted = getattr(request._request, "channel_rate", None)
        count, self._wait = counted if counted is not None else clientcache.count_call(client.pk, time.time())
        return count <= client.requests_per_minute

    def wait(self):
        return self._wait
