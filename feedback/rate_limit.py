"""A fixed-window rate limit in Django's cache, for the public student feedback form.

Counting uses ``cache.add`` then ``cache.incr``, so two requests at once never both start a window.
When the cache misses (a key evicted between the two calls, Redis unreachable and the resilient
cache answering as if empty) the request is counted afresh rather than refused: a cache outage
must never stop students answering.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone


def within_limit(scope: str, address: str, *, limit: int, window: int) -> bool:
    """Count one request from ``address`` in ``scope`` and say whether it is within ``limit`` per
    ``window`` seconds. The address is kept only as a hash, and only for the window."""
    slot = int(timezone.now().timestamp() // window)
    key = f"rate:{scope}:{hashlib.sha256(address.encode()).hexdigest()[:32]}:{slot}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # gone since ``add``: this request starts the window again
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
