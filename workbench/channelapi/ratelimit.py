"""Per-client rate limits: a fixed one-minute window counted in Redis."""

import time

from django.core.cache import cache
from rest_framework import throttling


class ChannelClientThrottle(throttling.BaseThrottle):
    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True
        now = time.time()
        window = int(now // 60)
        key = f"channelapi:rate:{client.pk}:{window}"
        cache.add(key, 0, timeout=120)
        count = cache.incr(key)
        self._wait = 60 - (now % 60)
        return count <= client.requests_per_minute

    def wait(self):
        return self._wait
