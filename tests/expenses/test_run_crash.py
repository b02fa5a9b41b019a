"""The crash-safety proof: a real Celery worker paying a run through a real Redis is killed with
SIGKILL part-way, a new worker resumes the run, and nobody is paid twice or left unpaid.

Each run pays through two routes (fees and expenses by different routes, swapped from one cycle to
the next), is started from a preview, and is killed after a random number of claims (the seed is
in the test's output). A claim approved between the preview and the start is not paid by that
run; the next cycle's run pays it. Afterwards each route's export holds exactly its payments.

Needs PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL); skipped elsewhere. To make the
worker slow enough to kill mid-run without a test hook in the application, the test database
gets a trigger that sleeps a little on every Payment insert: the worker spends most of its time
inside a claim's transaction, with that claim's first payment written but not committed.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import random
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

from expenses import exports, selectors, services
from expenses.models import Claim, FinanceSettings, Payment, PayRoute, ReimbursementRun
from involvement.celery import app as celery_app
from involvement.models import Notification
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, payee, rate_card_for

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
# Claims paid before the worker is killed: at random, between these.
KILL_AFTER = (3, 20)
# Set RUN_CRASH_SEED to replay the kill points of a failed run (the seed is printed).
SEED = int(os.environ.get("RUN_CRASH_SEED") or random.SystemRandom().randrange(1_000_000))
# The routes of fees and expenses in each cycle: two routes every time, swapped between cycles.
ROUTES = [
    (PayRoute.PAYROLL, PayRoute.ACCOUNTS_PAYABLE),
    (PayRoute.ACCOUNTS_PAYABLE, PayRoute.PAYROLL),
    (PayRoute.PAYROLL, PayRoute.ACCOUNTS_PAYABLE),
]
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
        payee(volunteer, world.university)
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


def assert_0_duplicates_and_0_missing(claims: list[Claim], run: ReimbursementRun, routes: tuple[str, str]) -> None:
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


def test_run_killed_part_way_and_resumed_pays_everyone_exactly_once(world, db_name, tmp_path, slow_payments, broker):
    rate_card_for(world.university)
    chance = random.Random(SEED)
    print(f"test_run_crash seed: {SEED}")
    workers = 0
    late: list[Claim] = []

    for cycle, routes in enumerate(ROUTES):
        FinanceSettings.objects.update_or_create(
            organisation=world.university, defaults={"fee_route": routes[0], "expenses_route": routes[1]}
        )
        kill_after = chance.randint(*KILL_AFTER)
        celery_app.conf.task_always_eager = True  # the approval emails are sent in this process
        claims = late + approved_claims(world, CLAIMS - len(late))
        preview = services.preview_run(organisation=world.university, actor=world.finance)
        # Approved after the preview: this run does not pay it; the next one does.
        late = approved_claims(world, 1)
        celery_app.conf.task_always_eager = False
        workers += 1
        first = Worker(db_name, tmp_path, workers)
        second: Worker | None = None
        try:
            run = services.start_run(run=preview, actor=world.finance)  # queued on commit
            broker.append(run.pk)
            wait_for(
                lambda run=run, kill_after=kill_after: progress(run)[1] >= kill_after,
                first,
                120,
                f"cycle {cycle}: {kill_after} paid",
            )
            first.kill()

            status, done = progress(run)
            statuses, payments, remittances = consistent_snapshot(claims)
            paid = [pk for pk, claim_status in statuses.items() if claim_status == Claim.Status.PAID]
            assert status == ReimbursementRun.Status.RUNNING, f"cycle {cycle}: the run finished before the kill"
            assert kill_after <= done < CLAIMS
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

        assert_0_duplicates_and_0_missing(claims, run, routes)
        [waiting] = late
        waiting.refresh_from_db()
        assert (waiting.status, waiting.payments.count()) == (Claim.Status.APPROVED, 0)

    assert Payment.objects.count() == len(ROUTES) * CLAIMS * 2
    assert ReimbursementRun.objects.filter(status=ReimbursementRun.Status.COMPLETED).count() == len(ROUTES)
