"""The crash-safety proof: a real Celery worker paying a run through a real Redis is killed with
SIGKILL part-way, a new worker resumes the run, and nobody is paid twice or left unpaid.

Needs PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL); skipped elsewhere. To make the
worker slow enough to kill mid-run without a test hook in the application, the test database
gets a trigger that sleeps a little on every Payment insert: the worker spends most of its time
inside a claim's transaction, with that claim's first payment written but not committed.
"""

from __future__ import annotations

import datetime
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

import pytest
import redis
import time_machine
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from expenses import selectors, services
from expenses.models import Claim, Payment, ReimbursementRun
from involvement.celery import app as celery_app
from involvement.models import Notification
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, rate_card_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("real-broker"),  # one real worker at a time on the shared queue
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
D = Decimal
CLAIMS = 30
CYCLES = 3
KILL_AFTER = 5  # claims paid before the worker is killed
SECONDS_PER_PAYMENT = 0.1
SESSION_DAY = timezone.localdate() - datetime.timedelta(days=7)


@pytest.fixture
def slow_payments() -> Iterator[None]:
    """Every Payment insert sleeps a little, in the test database only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION crash_test_slow_payment() RETURNS trigger AS $$ "
            f"BEGIN PERFORM pg_sleep({SECONDS_PER_PAYMENT}); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER crash_test_slow_payment BEFORE INSERT ON expenses_payment "
            "FOR EACH ROW EXECUTE FUNCTION crash_test_slow_payment()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS crash_test_slow_payment ON expenses_payment")
        cursor.execute("DROP FUNCTION IF EXISTS crash_test_slow_payment()")


@pytest.fixture
def broker() -> Iterator[list[int]]:
    """Afterwards tasks run eagerly again (the tests' default), and the
    deliveries the killed workers never acknowledged are forgotten (Redis would otherwise hand
    them out again after its visibility timeout of an hour)."""
    run_ids: list[int] = []
    yield run_ids
    celery_app.conf.task_always_eager = True
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    ours = {f"({run_id},)" for run_id in run_ids}
    for tag, raw in client.hgetall("unacked").items():
        headers = json.loads(raw)[0].get("headers") or {}
        if headers.get("task") == "expenses.execute_run" and headers.get("argsrepr") in ours:
            client.zrem("unacked_index", tag)
            client.hdel("unacked", tag)


class Worker:
    """A Celery worker process (solo pool) on the real broker and the test database."""

    def __init__(self, db_name: str, folder: Path, number: int) -> None:
        environment = dict(os.environ)
        environment.pop("DJANGO_SETTINGS_MODULE", None)
        environment.update(
            DATABASE_URL=os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{db_name}",
            DEBUG="false",
            SECRET_KEY="worker-under-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            EMAIL_FILE_PATH=str(folder / "mail"),
        )
        (folder / "mail").mkdir(exist_ok=True)
        self.log = folder / f"worker-{number}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own worker, fixed arguments
                [sys.executable, "-m", "celery", "-A", "involvement", "worker", "--pool=solo", "--loglevel=INFO"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

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


def drain(worker: Worker, seconds: float = 30) -> None:
    """Give the worker time to send the remittance emails still queued, so none is left in Redis."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    deadline = time.monotonic() + seconds
    while client.llen("celery") and time.monotonic() < deadline and worker.process.poll() is None:
        time.sleep(0.1)


def wait_for(condition: Callable[[], bool], worker: Worker, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.process.poll() is None, f"the worker died while waiting for {what}:\n{worker.tail()}"
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}:\n{worker.tail()}")


def approved_claims(world: World, count: int) -> list[Claim]:
    """Approved claims, each with several expenses and the fee (two payments each)."""
    claims = []
    for number in range(count):
        volunteer = factories.VolunteerProfileFactory()
        booking = attended_on(world.university, world.coordinator, volunteer, SESSION_DAY)
        claim = services.open_claim(booking=booking, actor=volunteer.user)
        for pence in (150, 275, 1000 + number):
            services.add_item(
                claim=claim, actor=volunteer.user, kind="home_online", date=SESSION_DAY, amount=D(pence) / 100
            )
        services.submit_claim(claim=claim, actor=volunteer.user)
        claims.append(services.approve_claim(claim=claim, actor=world.coordinator))
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


def assert_0_duplicates_and_0_missing(claims: list[Claim], run: ReimbursementRun) -> None:
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
    assert set(Claim.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Claim.Status.PAID}
    assert Claim.objects.filter(pk__in=ids, paid_at__isnull=True).count() == 0
    owed = sum((selectors.claim_totals(claim)["total"] for claim in claims), D("0.00"))
    assert sum(payments.values_list("amount", flat=True), D("0.00")) == owed
    assert Notification.objects.filter(
        template_key="expenses/remittance", unique_key__in=[f"remittance:{pk}" for pk in ids]
    ).count() == len(claims)
    run.refresh_from_db()
    assert (run.status, run.claims_done) == (ReimbursementRun.Status.COMPLETED, len(claims))
    assert run.export_csv.count("\r\n") == 1 + 2 * len(claims)


def test_run_killed_part_way_and_resumed_pays_everyone_exactly_once(world, db_name, tmp_path, slow_payments, broker):
    rate_card_for(world.university)
    workers = 0

    for cycle in range(CYCLES):
        celery_app.conf.task_always_eager = True  # the approval emails are sent in this process
        claims = approved_claims(world, CLAIMS)
        celery_app.conf.task_always_eager = False
        workers += 1
        first = Worker(db_name, tmp_path, workers)
        second: Worker | None = None
        try:
            run = services.start_run(organisation=world.university, actor=world.finance)  # queued on commit
            broker.append(run.pk)
            wait_for(lambda run=run: progress(run)[1] >= KILL_AFTER, first, 120, f"cycle {cycle}: {KILL_AFTER} paid")
            first.kill()

            status, done = progress(run)
            statuses, payments, remittances = consistent_snapshot(claims)
            paid = [pk for pk, claim_status in statuses.items() if claim_status == Claim.Status.PAID]
            assert status == ReimbursementRun.Status.RUNNING, f"cycle {cycle}: the run finished before the kill"
            assert KILL_AFTER <= done < CLAIMS
            assert len(paid) == done == remittances
            # Each claim's payments and status were committed together: none is half paid.
            assert payments == Counter(dict.fromkeys(paid, 2))

            workers += 1
            second = Worker(db_name, tmp_path, workers)
            # The periodic resume, with its ten minutes of staleness already passed.
            with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
                assert services.resume_unfinished_runs() == 1
            wait_for(
                lambda run=run: progress(run)[0] == ReimbursementRun.Status.COMPLETED,
                second,
                120,
                f"cycle {cycle}: the resumed run to complete",
            )
            drain(second)
        finally:
            first.stop()
            if second is not None:
                second.stop()

        assert_0_duplicates_and_0_missing(claims, run)

    assert Payment.objects.count() == CYCLES * CLAIMS * 2
    assert ReimbursementRun.objects.filter(status=ReimbursementRun.Status.COMPLETED).count() == CYCLES
