"""The machinery of the crash tests: a real Celery worker process to kill, the broker it leaves
behind, and the checks of a reimbursement run paid by workers that die part-way.

Used by tests/expenses/test_run_crash.py (3 kills of a 30-claim run), tests/reliability/
test_worker_kill.py (50 kills, or ``--runs N``), tests/reliability/test_redis_outage.py (a worker
on a Redis the test starts itself) and tests/involvement/test_broker.py (one email through a real
worker).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import cast

import pytest
import redis
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from expenses import exports, selectors, services
from expenses.models import Claim, ClaimItem, Payment, PayRoute, ReimbursementRun, RunLine
from involvement.models import Notification
from sessions_app.models import Booking, TeachingSession
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, payee
from tests.reliability.forkserver import WORKER_OPTIONS
from tests.sessions_app.factories import session_at
from volunteers.models import VolunteerProfile

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
WORKER_SECRET_KEY = "worker-under-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def worker_environment(db_name: str, folder: Path, broker_url: str | None = None) -> dict[str, str]:
    """The environment of a worker process: the production settings (``DEBUG`` off) on the test
    database and the real broker (``REDIS_URL``, or ``broker_url``), emails written to files in
    ``folder/mail``."""
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DATABASE_URL=os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{db_name}",
        REDIS_URL=broker_url or os.environ["REDIS_URL"],
        DEBUG="false",
        SECRET_KEY=WORKER_SECRET_KEY,
        EMAIL_FILE_PATH=str(folder / "mail"),
    )
    (folder / "mail").mkdir(exist_ok=True)
    return env


class Worker:
    """A Celery worker process started as in production (``celery -A involvement worker``), with
    the solo pool (one task at a time, in the process that is killed) and without mingle, gossip
    or heartbeats (they only talk to other workers). ``environment`` adds settings
    (``REIMBURSEMENT_RUN_BATCH=...``). Its database session is named ``name`` (the
    ``application_name`` PostgreSQL shows in ``pg_stat_activity``)."""

    def __init__(
        self,
        db_name: str,
        folder: Path,
        number: int,
        *,
        broker_url: str | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.name = f"crash-test-worker-{number}"
        env = worker_environment(db_name, folder, broker_url)
        env.update(PGAPPNAME=self.name, **(environment or {}))
        self.log = folder / f"worker-{number}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own worker, fixed arguments
                [sys.executable, "-m", "celery", "-A", "involvement", "worker", *WORKER_OPTIONS],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, an open transaction left to PostgreSQL."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


class WorkerForker:
    """Worker processes in milliseconds: one process with Django and the Celery app loaded
    (``tests/reliability/forkserver.py``) forks each worker, as Celery's prefork pool makes its
    own. A fresh interpreter takes a second, or several on a loaded machine, to import the project
    before it can work; a test killing fifty workers forks them instead. The first ``start``
    waits for that process to load."""

    def __init__(self, db_name: str, folder: Path, *, broker_url: str | None = None) -> None:
        self.folder = folder
        self.log = folder / "forkserver.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own server, fixed arguments
                [sys.executable, "-m", "tests.reliability.forkserver"],
                cwd=ROOT,
                env=worker_environment(db_name, folder, broker_url),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )

    def start(self, number: int, settings: dict[str, object] | None = None) -> ForkedWorker:
        """A new worker process; ``settings`` are set in it before it starts."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        name = f"crash-test-worker-{number}"
        log = self.folder / f"worker-{number}.log"
        self.process.stdin.write(json.dumps({"name": name, "log": str(log), "settings": settings or {}}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer.strip().isdigit(), f"the fork server failed:\n{self.log.read_text(errors='replace')[-3000:]}"
        return ForkedWorker(int(answer), name, log)

    def close(self) -> None:
        """Stop the workers still running (warm shutdown), then the server."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


class ForkedWorker:
    """A worker process made by ``WorkerForker``: the same Celery worker as ``Worker``."""

    def __init__(self, pid: int, name: str, log: Path) -> None:
        self.pid = pid
        self.name = name
        self.log = log

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, an open transaction left to PostgreSQL."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._gone(30)

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            if not self._gone(30):
                self.kill()

    def _gone(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


AnyWorker = Worker | ForkedWorker


def wait_for(condition: Callable[[], bool], worker: AnyWorker, seconds: float, what: str, poll: float = 0.02) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.alive(), f"the worker died while waiting for {what}:\n{worker.tail()}"
        time.sleep(poll)
    pytest.fail(f"timed out waiting for {what}:\n{worker.tail()}")


def session_ended(worker: AnyWorker) -> bool:
    """PostgreSQL has ended the (dead) worker's database session, so whatever it had sent is done:
    a transaction it had committed is committed, one still open is rolled back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [worker.name])
        return bool(cursor.fetchone()[0] == 0)


def wait_for_session_end(worker: AnyWorker, seconds: float = 30) -> None:
    """After a kill, before reading what the worker left: until PostgreSQL notices the worker is
    gone, a COMMIT it sent just before dying may still land."""
    deadline = time.monotonic() + seconds
    while not session_ended(worker):
        if time.monotonic() > deadline:
            pytest.fail(f"PostgreSQL kept {worker.name}'s session for {seconds} s after it was killed")
        time.sleep(0.005)


def idle(broker_url: str) -> bool:
    """Nothing waiting in the broker's queue and nothing taken but not yet acknowledged."""
    client = redis.Redis.from_url(broker_url)
    return not client.llen("celery") and not client.hlen("unacked")


def drain(worker: AnyWorker, seconds: float = 30, broker_url: str | None = None) -> None:
    """Give the worker time to run the tasks still queued (remittance emails), so none is left in Redis."""
    client = redis.Redis.from_url(broker_url or os.environ["REDIS_URL"])
    deadline = time.monotonic() + seconds
    while client.llen("celery") and time.monotonic() < deadline and worker.alive():
        time.sleep(0.02)


@contextlib.contextmanager
def slow_payments(seconds: float) -> Iterator[None]:
    """Every Payment insert sleeps ``seconds``, in the test database only: a worker paying a run
    spends most of its time inside a transaction with payments written but not committed, which
    is where a kill does the most harm."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION crash_test_slow_payment() RETURNS trigger AS $$ "
            f"BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER crash_test_slow_payment BEFORE INSERT ON expenses_payment "
            "FOR EACH ROW EXECUTE FUNCTION crash_test_slow_payment()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS crash_test_slow_payment ON expenses_payment")
            cursor.execute("DROP FUNCTION IF EXISTS crash_test_slow_payment()")


def forget_unacked_runs(run_ids: list[int]) -> None:
    """Forget the run deliveries the killed workers never acknowledged (Redis would otherwise hand
    them out again after its visibility timeout of an hour, to some later test's worker)."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    ours = {f"({run_id},)" for run_id in run_ids}
    for tag, raw in client.hgetall("unacked").items():
        headers = json.loads(raw)[0].get("headers") or {}
        if headers.get("task") == "expenses.execute_run" and headers.get("argsrepr") in ours:
            client.zrem("unacked_index", tag)
            client.hdel("unacked", tag)


# A reimbursement run paid by workers that die ------------------------------------------------------


def approved_claims(world: World, count: int, day: datetime.date) -> list[Claim]:
    """Approved claims for sessions on ``day``, each with several expenses and the fee (two
    payments each), made through the services."""
    claims = []
    for number in range(count):
        volunteer = cast(VolunteerProfile, factories.VolunteerProfileFactory())
        payee(volunteer, world.university)
        booking = attended_on(world.university, world.coordinator, volunteer, day)
        claim = services.open_claim(booking=booking, actor=volunteer.user)
        for pence in (150, 275, 1000 + number):
            services.add_item(claim=claim, actor=volunteer.user, kind="home_online", date=day, amount=D(pence) / 100)
        services.submit_claim(claim=claim, actor=volunteer.user)
        claims.append(services.approve_claim(claim=claim, actor=world.coordinator))
    return claims


def claims_in_bulk(world: World, volunteers: list[VolunteerProfile], day: datetime.date) -> list[Claim]:
    """An approved claim for each of ``volunteers`` (who have payee references at the university),
    for one two-hour session of theirs on ``day``, each with three expenses and the £50 fee: made
    in a few inserts, for the tests that kill the worker paying them many times over (making them
    through the services, as ``approved_claims`` does, costs about 50 queries a claim)."""
    starts_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    session = session_at(
        world.university,
        world.coordinator,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        status=TeachingSession.Status.COMPLETED,
    )
    bookings = Booking.objects.bulk_create(
        Booking(
            session=session,
            volunteer=volunteer,
            status=Booking.Status.ATTENDED,
            hours=D("2.00"),
            invitation_expires_at=starts_at,
        )
        for volunteer in volunteers
    )
    now = timezone.now()
    claims = Claim.objects.bulk_create(
        Claim(
            booking=booking,
            volunteer=booking.volunteer,
            opened_by=booking.volunteer.user,
            status=Claim.Status.APPROVED,
            fee_due=D("50.00"),
            fee_requested=D("50.00"),
            submitted_at=now,
            decided_at=now,
            decided_by=world.coordinator,
        )
        for booking in bookings
    )
    ClaimItem.objects.bulk_create(
        ClaimItem(claim=claim, kind=ClaimItem.Kind.HOME_ONLINE, date=day, amount=D(pence) / 100)
        for number, claim in enumerate(claims)
        for pence in (150, 275, 1000 + number)
    )
    return claims


def progress(run: ReimbursementRun) -> tuple[str, int]:
    return ReimbursementRun.objects.filter(pk=run.pk).values_list("status", "claims_done").get()


def consistent_snapshot(claims: list[Claim]) -> tuple[dict[int, str], Counter[int], int]:
    """Claim statuses, payments per claim and remittances, read in one snapshot."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        ids = [claim.pk for claim in claims]
        statuses = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "status"))
        payments = Counter(Payment.objects.filter(claim__in=ids).values_list("claim_id", flat=True))
        remittances = Notification.objects.filter(
            template_key="expenses/remittance", unique_key__in=[f"remittance:{pk}" for pk in ids]
        ).count()
    return statuses, payments, remittances


def assert_0_duplicates_and_0_missing(claims: list[Claim], run: ReimbursementRun, routes: tuple[str, str]) -> None:
    """Every claim of the run paid exactly once, by the preview's figures: one payment per line
    the preview showed (same claim, kind, amount and route), none other, each claim paid with its
    remittance, the run completed, and each route's export holding exactly its payments."""
    fee_route, expenses_route = routes
    ids = [claim.pk for claim in claims]
    payments = Payment.objects.filter(claim__in=ids)
    assert list(Payment.objects.values("key").annotate(n=Count("pk")).filter(n__gt=1)) == []
    assert Counter(payments.values_list("claim_id", "kind")) == Counter(
        {(pk, kind): 1 for pk in ids for kind in ("expenses", "fee")}
    )
    assert sorted(payments.values_list("key", flat=True)) == sorted(
        f"claim-{pk}-{kind}" for pk in ids for kind in ("expenses", "fee")
    )
    assert set(payments.values_list("run", flat=True)) == {run.pk}
    assert set(payments.values_list("kind", "route")) == {("fee", fee_route), ("expenses", expenses_route)}
    # The preview's lines, paid exactly: what finance saw before pressing start is what was paid.
    figures = ("claim_id", "kind", "amount", "route", "payee_reference")
    assert sorted(payments.values_list(*figures)) == sorted(RunLine.objects.filter(run=run).values_list(*figures))
    assert set(Claim.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Claim.Status.PAID}
    assert Claim.objects.filter(pk__in=ids, paid_at__isnull=True).count() == 0
    owed = sum((selectors.claim_totals(claim)["total"] for claim in claims), D("0.00"))
    assert sum(payments.values_list("amount", flat=True), D("0.00")) == owed
    assert Notification.objects.filter(
        template_key="expenses/remittance", unique_key__in=[f"remittance:{pk}" for pk in ids]
    ).count() == len(claims)
    run.refresh_from_db()
    assert (run.status, run.claims_done) == (ReimbursementRun.Status.COMPLETED, len(claims))
    # Each route's export: exactly its payments, and the run's total for it to the penny.
    totals = {row.route: row.total for row in selectors.run_payment_totals(run)}
    for route in (PayRoute.PAYROLL, PayRoute.ACCOUNTS_PAYABLE):
        rows = list(csv.reader(io.StringIO(exports.export_csv(run, route), newline="")))[1:]
        assert sorted(row[0] for row in rows) == sorted(payments.filter(route=route).values_list("key", flat=True))
        assert len(rows) == len(claims)
        assert sum((D(row[3]) for row in rows), D("0.00")) == totals[route]
    assert sum(totals.values(), D("0.00")) == owed
