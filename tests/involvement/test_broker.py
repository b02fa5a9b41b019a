"""The outbox with the real broker: a real Redis and a real Celery worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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

ROOT = Path(__file__).resolve().parents[2]


def start_worker(db_name: str, mail_dir: Path) -> subprocess.Popen[bytes]:
    """A Celery worker on the real broker, using the test database and writing mail to files."""
    environment = dict(os.environ)
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{db_name}"
    environment.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY="worker-under-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        EMAIL_FILE_PATH=str(mail_dir),
    )
    return subprocess.Popen(  # noqa: S603 -- our own worker, fixed arguments
        [sys.executable, "-m", "celery", "-A", "involvement", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.xdist_group("real-broker")
@pytest.mark.django_db(transaction=True)
def test_notification_is_delivered_by_a_real_worker_through_redis(db_name, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = start_worker(db_name, mail_dir)
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
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    assert notification.status == Notification.Status.SENT
    written = "".join(path.read_text() for path in mail_dir.iterdir())
    assert "To: real.worker@example.org" in written
    assert "You are invited to join University A on Involvement" in written


def test_cache_with_redis_down_degrades_to_misses():
    cache = ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})

    cache.set("k", "v")
    assert cache.get("k", "missing") == "missing"
    assert cache.get_many(["k"]) == {}
    # add() stored nothing, so it says so: a lock or once-only marker must not "win" during an outage.
    assert cache.add("k", "v") is False
    assert cache.incr("k") == 1
    assert cache.delete("k") is False


def test_plain_redis_cache_with_redis_down_would_fail():
    """The reason for ResilientRedisCache: Django's own backend raises."""
    cache = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})

    with pytest.raises(RedisConnectionError):
        cache.get("k")
