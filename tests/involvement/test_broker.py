"""The outbox with the real broker: a real Redis and a real Celery worker process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from involvement.cache import ResilientRedisCache
from involvement.celery import app as celery_app
from involvement.models import Notification
from involvement.notifications import queue_notification
from tests.reliability.worker import Worker


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.xdist_group("real-broker")
@pytest.mark.django_db(transaction=True)
def test_notification_is_delivered_by_a_real_worker_through_redis(db_name: str, tmp_path: Path) -> None:
    worker = Worker(db_name, tmp_path, 1)  # tests/reliability/worker.py: mail to files in tmp_path/mail
    celery_app.conf.task_always_eager = False
    try:
        with transaction.atomic():
            notification = queue_notification(
                template_key="accounts/member_invitation",
                unique_key="broker-test:1",
                email="real.worker@example.org",
                context={
                    "organisation": "University A",
                    "role": "Coordinator",
                    "invited_by": "Ada",
                    "accept_url": "https://example.org/x/",
                    "expires_in_days": 14,
                },
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            notification.refresh_from_db()
            if notification.status == Notification.Status.SENT:
                break
            time.sleep(0.25)
    finally:
        celery_app.conf.task_always_eager = True
        worker.stop()

    assert notification.status == Notification.Status.SENT
    written = "".join(path.read_text() for path in (tmp_path / "mail").iterdir())
    assert "To: real.worker@example.org" in written
    assert "You are invited to join University A on Involvement" in written


def test_cache_with_redis_down_degrades_to_misses() -> None:
    cache = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})

    cache.set("k", "v")
    assert cache.get("k", "missing") == "missing"
    assert cache.get_many(["k"]) == {}
    # add() stored nothing, so it says so: a lock or once-only marker must not "win" during an outage.
    assert cache.add("k", "v") is False
    assert cache.incr("k") == 1
    assert cache.delete("k") is False


def test_plain_redis_cache_with_redis_down_would_fail() -> None:
    """The reason for ResilientRedisCache: Django's own backend raises."""
    cache = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})

    with pytest.raises(RedisConnectionError):
        cache.get("k")
