"""A Redis cache that degrades to misses when Redis is down, so no page fails because of it.

Nothing that must hold during an outage (rate limits, used one-time codes) lives here: those are
in the default cache, in the database (``CACHES`` in settings). ``add`` still reports failure
while Redis is unreachable, as it stored nothing: reporting success would let any "first one
wins" use of ``add`` (a lock, a once-only marker) win every time."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    """Reads miss, writes are dropped, ``add`` fails and counters start afresh while Redis is unreachable."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except _OUTAGE:
            logger.warning("Cache unavailable; treating %r as a miss.", key)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except _OUTAGE:
            return {}

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _OUTAGE:
            logger.warning("Cache unavailable; dropped a write.")

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except _OUTAGE:
            logger.warning("Cache unavailable; add() stored nothing.")
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except _OUTAGE:
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except _OUTAGE:
            return delta
