from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import caches

from tests import factories


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_cache(port: int) -> dict[str, Any]:
    """The production "redis" cache (CACHE_URL) at ``port``, quick to give up when it is down."""
    return {
        "BACKEND": "involvement.cache.ResilientRedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }


@pytest.fixture
def production_caches(settings: Any, db: None) -> Iterator[dict[str, Any]]:
    """The production cache layout with Redis down: the database cache as "default" (where
    allauth keeps its rate limits and used codes) and a "redis" cache at a closed port."""
    settings.CACHES = {"default": settings.CACHES["database"], "redis": redis_cache(closed_port())}
    caches["default"].clear()
    return settings.CACHES


def totp_code(at: float | None = None) -> str:
    return format_hotp_value(hotp_value(factories.TOTP_SECRET, int(time.time() if at is None else at) // 30))
