"""Redis stopped while volunteers accept invitations: every acceptance succeeds, and every email is
sent exactly once after Redis returns.

The test starts its own ``redis-server`` on port 56380 (never the shared one; the next port when
another run of this test holds that one) and points the Celery app at it. A real worker
(``celery -A involvement worker``) runs throughout, on that Redis and the test database, writing
its emails to files. Thirty volunteers are invited while Redis is up (their invitations are
delivered), then Redis is killed (SIGKILL, no persistence) and each volunteer accepts through
the invitation page, signed in, as in a browser: each sees the success message and is booked,
and the emails it causes (their confirmation, and the coordinator's note that they are coming)
wait in the outbox, pending. Redis is started again, empty; the periodic sweep (the real task,
run here with the clock five minutes on) hands the pending emails to it and the worker,
reconnected, sends them. Every email is then counted in the worker's mail files by recipient and
subject: each exactly once. A second sweep finds nothing; handing every email to the worker
again sends nothing more.

The cache does not use Redis (the default cache is the database; the optional ``redis`` alias,
``CACHE_URL``, is used by nothing), so only the broker is moved.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis
import time_machine
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import SettingsWrapper

from involvement.celery import app as celery_app
from involvement.models import Notification
from involvement.notifications import enqueue_deliveries, sweep_pending_notifications
from involvement.tasks import task_sweep_pending_notifications
from sessions_app.models import Booking
from sessions_app.services import invitation_token
from tests import factories
from tests.accounts.test_views import messages_on
from tests.conftest import World, signed_in
from tests.reliability import worker as crash
from tests.reliability.worker import Worker
from tests.sessions_app.factories import invite_free, session_at
from volunteers.models import VolunteerProfile

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# The ports this test may use for its Redis: the first free one (another run of this test on the
# same machine takes the next).
PORTS = range(56380, 56390)
VOLUNTEERS = 30
TITLE = "Living with COPD"
BOOKED = f"Thank you. You have a place at “{TITLE}”. We have emailed you the details."


def port_holder(port: int) -> socket.socket | None:
    """A socket bound to ``port`` without listening: a connection to the port is refused, as when
    nothing is there, but no other process can start a server on it. None when the port is taken."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", port))
    except OSError:
        holder.close()
        return None
    return holder


class RedisServer:
    """A ``redis-server`` of the test's own, on a port of ``PORTS``, keeping nothing on disk.
    While it is down its port is held, so that connections are refused and no other server can
    appear there."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("needs redis-server on the PATH to start a Redis of the test's own")
        self.binary = binary
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.holder = next(filter(None, (port_holder(port) for port in PORTS)), None)
        if self.holder is None:
            pytest.fail(f"no free port for the test's Redis in {PORTS.start}-{PORTS.stop - 1}")
        self.port = int(self.holder.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=2)

    def start(self) -> None:
        if self.holder is not None:
            self.holder.close()
            self.holder = None
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- a fixed command line
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"redis-server did not start on port {self.port}:\n{self.log()}"
            try:
                # Ours, not some other server on the port.
                if self.client.info("server")["process_id"] == self.process.pid:
                    return
            except redis.exceptions.ConnectionError:
                pass
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer on port {self.port}:\n{self.log()}")

    def kill(self) -> None:
        """Down at once: SIGKILL, and with nothing saved, whatever it held is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.holder is None:
            self.holder = port_holder(self.port)

    def close(self) -> None:
        self.kill()
        if self.holder is not None:
            self.holder.close()
            self.holder = None
        self.client.close()

    def up(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.exceptions.ConnectionError:
            return False

    def log(self) -> str:
        return (self.folder / "redis.log").read_text(errors="replace")[-2000:]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.close()


def use_broker(url: str) -> None:
    """Point the Celery app of this process at ``url``: the pools of connections it made to the
    old broker go (Celery reads its settings once, so overriding ``CELERY_BROKER_URL`` alone would
    change nothing; this is what a web process started with that setting would have)."""
    app: Any = celery_app  # the pools are Celery's private attributes (reset as after a fork)
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def broker(own_redis: RedisServer, settings: SettingsWrapper) -> Iterator[RedisServer]:
    """The web side (this process) on our Redis, publishing for real (not running tasks in
    process); afterwards back to the shared broker and eager tasks, the tests' default."""
    original = celery_app.conf.broker_url
    settings.CELERY_BROKER_URL = own_redis.url
    use_broker(own_redis.url)
    celery_app.conf.task_always_eager = False
    try:
        yield own_redis
    finally:
        celery_app.conf.task_always_eager = True
        use_broker(original)


def mail_sent(folder: Path) -> Counter[tuple[str, str]]:
    """Every email the worker sent, by recipient and subject (Django's file backend writes each
    message followed by a line of 79 dashes)."""
    sent: Counter[tuple[str, str]] = Counter()
    for path in sorted(folder.iterdir()):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                message = email.message_from_bytes(raw, policy=email.policy.default)
                sent[(str(message["To"]), str(message["Subject"]))] += 1
    return sent


def batches_delivered(worker: Worker) -> int:
    """Delivery tasks for a batch of emails the worker has finished, from its log."""
    return sum(
        "involvement.deliver_notifications[" in line and "succeeded" in line
        for line in worker.log.read_text(errors="replace").splitlines()
    )


def test_volunteers_accept_while_redis_is_down_and_each_email_is_sent_once_it_is_back(
    world: World, db_name: str, tmp_path: Path, broker: RedisServer
) -> None:
    session = session_at(world.university, world.coordinator, title=TITLE, places=VOLUNTEERS)
    volunteers = [
        cast(VolunteerProfile, factories.NetworkMembershipFactory(network=world.charity).volunteer)
        for _ in range(VOLUNTEERS)
    ]
    worker = Worker(db_name, tmp_path, 1, broker_url=broker.url)
    try:
        bookings = invite_free(session=session, volunteers=volunteers, actor=world.coordinator)
        crash.wait_for(
            lambda: Notification.objects.filter(status=Notification.Status.SENT).count() == VOLUNTEERS,
            worker,
            120,
            "the invitations to be sent while Redis is up",
        )

        broker.kill()
        assert not broker.up()
        answers: list[tuple[int, list[str]]] = []
        slowest = 0.0
        for booking in bookings:
            browser: Client = signed_in(booking.volunteer.user)
            started = time.monotonic()
            page = browser.post(
                reverse("sessions_app:invitation", kwargs={"token": invitation_token(booking)}),
                {"answer": "accept"},
                follow=True,
            )
            slowest = max(slowest, time.monotonic() - started)
            answers.append((page.status_code, messages_on(cast(HttpResponse, page))))

        # 100% of acceptances succeeded, each volunteer told so, and booked.
        assert answers == [(200, [BOOKED])] * VOLUNTEERS
        assert Counter(Booking.objects.filter(session=session).values_list("status", flat=True)) == {
            Booking.Status.ACCEPTED: VOLUNTEERS
        }
        # Their emails wait in the outbox: none was handed to the broker, none is lost.
        waiting = Notification.objects.filter(status=Notification.Status.PENDING)
        assert Counter(waiting.values_list("template_key", flat=True)) == {
            "sessions_app/booking_confirmed": VOLUNTEERS,
            "sessions_app/booking_accepted_owner": VOLUNTEERS,
        }
        assert set(waiting.values_list("attempts", flat=True)) == {0}
        assert not broker.up()  # it really was down all along

        broker.start()  # empty: what it held when it died is gone
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
            task_sweep_pending_notifications.apply()
        crash.wait_for(
            lambda: not Notification.objects.filter(status=Notification.Status.PENDING).exists(),
            worker,
            120,
            "the worker to send every pending email after Redis returned",
        )
        crash.wait_for(lambda: crash.idle(broker.url), worker, 30, "the broker to be empty")

        expected = Counter(
            {(volunteer.user.email, f"Invitation: {TITLE}"): 1 for volunteer in volunteers}
            | {(volunteer.user.email, f"Your place is booked: {TITLE}"): 1 for volunteer in volunteers}
            | {
                (world.coordinator.email, f"{volunteer.display_name} is coming to {TITLE}"): 1
                for volunteer in volunteers
            }
        )
        assert len(expected) == 3 * VOLUNTEERS
        assert mail_sent(tmp_path / "mail") == expected
        assert Notification.objects.filter(status=Notification.Status.SENT).count() == 3 * VOLUNTEERS

        # A second sweep finds nothing to send; every email handed to the worker again sends nothing more.
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
            assert sweep_pending_notifications() == 0
        batches_done = batches_delivered(worker)
        enqueue_deliveries(list(Notification.objects.values_list("pk", flat=True)))
        crash.wait_for(
            lambda: batches_delivered(worker) == batches_done + 1, worker, 30, "the repeated deliveries to be done"
        )
        assert mail_sent(tmp_path / "mail") == expected
    finally:
        worker.stop()
    print(f"test_redis_outage: {VOLUNTEERS} acceptances with Redis down, the slowest {slowest:.2f} s")
