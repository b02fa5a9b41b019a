"""The reimbursement worker killed with SIGKILL at random points, 50 times (``--runs N`` for more):
0 duplicate and 0 missing payments.

Each cycle makes ten approved claims (in bulk: approving is tested elsewhere), previews a run and
starts it; the worker paying it (a real Celery worker process on the real Redis and the test
database) is killed at a random point, a new worker resumes the run through the periodic resume,
and the run must have paid every claim of its preview exactly once, by the preview's figures, and
nothing else. One claim is approved between the preview and the start: that run must leave it
alone, and the next cycle pays it. Before anything is read, PostgreSQL must have ended the dead
worker's session (so a commit it had sent is in, and an open transaction rolled back).

The kill point: after a random number of the run's payment inserts have begun (0 to all but
one, read from the payments' id sequence, which moves outside any transaction), plus a random
delay of up to two inserts. Every payment insert sleeps a little (a trigger in the test
database), so the worker is usually killed inside a transaction, with payments written but not
committed. Each worker pays its claims in batches of a random size (``REIMBURSEMENT_RUN_BATCH``:
one claim per transaction, a few, or the whole run at once, as in production). The seed is
printed; set ``WORKER_KILL_SEED`` to replay a failed run's kill points and batch sizes.

Fast by design: the workers are forked from one process that has loaded the project once
(``tests/reliability/forkserver.py``, as Celery's prefork pool makes its processes), so a new
worker is ready in well under a second instead of the several seconds a fresh interpreter takes
on a loaded machine; the next worker is started while the run is being paid, ready to resume it;
workers skip mingle, gossip and heartbeats; and each run is small. About 2.5 s a cycle on the
build machine (docs/RELIABILITY.md).
"""

from __future__ import annotations

import datetime
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import cast

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from expenses import services
from expenses.models import Claim, FinanceSettings, Payment, PayRoute, ReimbursementRun
from involvement.celery import app as celery_app
from tests import factories
from tests.conftest import World
from tests.expenses.factories import payee
from tests.reliability import worker as crash
from tests.reliability.worker import ForkedWorker, WorkerForker
from volunteers.models import VolunteerProfile

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("real-broker"),  # one real worker at a time on the shared queue
    pytest.mark.django_db(transaction=True),
]

CLAIMS = 10
SECONDS_PER_PAYMENT = 0.02
# Claims a worker pays per transaction: one, a few, or the whole run (production's 200).
BATCHES = (1, 2, 5, 200)
ROUTES = [(PayRoute.PAYROLL, PayRoute.ACCOUNTS_PAYABLE), (PayRoute.ACCOUNTS_PAYABLE, PayRoute.PAYROLL)]
SEED = int(os.environ.get("WORKER_KILL_SEED") or random.SystemRandom().randrange(1_000_000))
SESSION_DAY = timezone.localdate() - datetime.timedelta(days=7)


@pytest.fixture
def slow_payments() -> Iterator[None]:
    with crash.slow_payments(SECONDS_PER_PAYMENT):
        yield


@pytest.fixture
def killed_runs() -> Iterator[list[int]]:
    """The runs whose workers were killed; afterwards tasks run eagerly again (the tests'
    default) and the deliveries those workers never acknowledged are forgotten."""
    run_ids: list[int] = []
    yield run_ids
    celery_app.conf.task_always_eager = True
    crash.forget_unacked_runs(run_ids)


@pytest.fixture
def forker(db_name: str, tmp_path: Path) -> Iterator[WorkerForker]:
    forker = WorkerForker(db_name, tmp_path)
    yield forker
    forker.close()


def payments_begun() -> int:
    """Payment inserts begun so far in this database, committed or not (the id sequence moves
    outside transactions, so it shows an insert still inside the worker's open transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence('expenses_payment', 'id'))")
        value = cursor.fetchone()[0]
    return int(value or 0)


def inserts_begun(count: int) -> bool:
    return payments_begun() >= count


def taken(run: ReimbursementRun) -> bool:
    """A worker has taken the run (it is no longer only queued)."""
    return crash.progress(run)[0] != ReimbursementRun.Status.QUEUED


def completed(run: ReimbursementRun) -> bool:
    return crash.progress(run)[0] == ReimbursementRun.Status.COMPLETED


def session_state(worker: ForkedWorker) -> str:
    """What the worker's database session is doing: in a statement (a payment insert, sleeping),
    in a transaction between statements, or outside any transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, query FROM pg_stat_activity WHERE application_name = %s", [worker.name])
        row = cursor.fetchone()
    if row is None:
        return "no connection"
    state, query = row
    if state == "active":
        return "in a payment insert" if "INSERT" in query and "expenses_payment" in query else "in another statement"
    return {"idle in transaction": "in a transaction, between statements", "idle": "outside a transaction"}.get(
        state, state
    )


def test_reimbursement_worker_killed_at_random_points_pays_everyone_exactly_once(
    world: World, forker: WorkerForker, slow_payments: None, killed_runs: list[int], runs: int
) -> None:
    volunteers = [cast(VolunteerProfile, factories.VolunteerProfileFactory()) for _ in range(CLAIMS)]
    for volunteer in volunteers:
        payee(volunteer, world.university)
    celery_app.conf.task_always_eager = False
    chance = random.Random(SEED)
    print(f"test_worker_kill seed: {SEED} (replay with WORKER_KILL_SEED={SEED}); {runs} runs")
    started = time.monotonic()
    workers = 0

    def new_worker() -> ForkedWorker:
        nonlocal workers
        workers += 1
        return forker.start(workers, {"REIMBURSEMENT_RUN_BATCH": chance.choice(BATCHES)})

    late: list[Claim] = []
    kills: Counter[str] = Counter()
    finished_before_kill = 0
    paid_at_kill: list[int] = []
    cycle_seconds: list[float] = []
    current = new_worker()
    try:
        for cycle in range(runs):
            cycle_started = time.monotonic()
            routes = ROUTES[cycle % len(ROUTES)]
            FinanceSettings.objects.update_or_create(
                organisation=world.university, defaults={"fee_route": routes[0], "expenses_route": routes[1]}
            )
            claims = late + crash.claims_in_bulk(world, volunteers[: CLAIMS - len(late)], SESSION_DAY)
            preview = services.preview_run(organisation=world.university, actor=world.finance)
            late = crash.claims_in_bulk(world, volunteers[:1], SESSION_DAY)  # after the preview: not this run's
            inserts = 2 * len(claims)
            begun_before = payments_begun()
            kill_after = chance.randrange(inserts)  # payment inserts begun (0: none yet)
            delay = chance.uniform(0, 2 * SECONDS_PER_PAYMENT)
            what = f"cycle {cycle} (kill after {kill_after} of {inserts} inserts + {delay * 1000:.0f} ms)"

            run = services.start_run(run=preview, actor=world.finance)  # queued on commit
            killed_runs.append(run.pk)
            crash.wait_for(partial(taken, run), current, 60, what)
            successor = new_worker()  # starts while the run is paid, ready to resume it
            try:
                crash.wait_for(
                    partial(inserts_begun, begun_before + kill_after),
                    current,
                    60,
                    what,
                    poll=0.002,
                )
                time.sleep(delay)
                kills[session_state(current)] += 1
                current.kill()
                crash.wait_for_session_end(current)
            finally:
                current.stop()
                current = successor

            status, done = crash.progress(run)
            statuses, payments, remittances = crash.consistent_snapshot(claims)
            paid = [pk for pk, claim_status in statuses.items() if claim_status == Claim.Status.PAID]
            # Each claim's payments, status and remittance were committed together: none is half paid.
            assert payments == Counter(dict.fromkeys(paid, 2)), what
            assert len(paid) == done == remittances, what
            paid_at_kill.append(done)
            if status == ReimbursementRun.Status.COMPLETED:  # the kill came after the last commit
                finished_before_kill += 1
                assert done == len(claims), what
            else:
                assert status == ReimbursementRun.Status.RUNNING, what
            # The periodic resume, with its ten minutes of staleness already passed.
            with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
                assert services.resume_unfinished_runs() == int(status != ReimbursementRun.Status.COMPLETED), what
            crash.wait_for(
                partial(completed, run),
                current,
                60,
                f"{what}: the resumed run to complete",
            )

            crash.assert_0_duplicates_and_0_missing(claims, run, routes)
            [waiting] = late
            waiting.refresh_from_db()
            assert (waiting.status, waiting.payments.count()) == (Claim.Status.APPROVED, 0), what
            cycle_seconds.append(time.monotonic() - cycle_started)
        crash.drain(current)  # the last remittance emails (the next cycle's worker sends the others)
    finally:
        current.stop()

    seconds = time.monotonic() - started
    print(
        f"test_worker_kill: {runs} kills in {seconds:.0f} s ({seconds / runs:.2f} s a cycle, slowest "
        f"{max(cycle_seconds):.2f} s), "
        f"{Payment.objects.count()} payments checked; claims paid when killed: "
        f"{sum(paid_at_kill)} of {runs * CLAIMS} (per run {min(paid_at_kill)} to {max(paid_at_kill)}); "
        f"the worker's database session when killed: {dict(kills)}; "
        f"runs finished before the kill landed: {finished_before_kill}"
    )
    assert Payment.objects.count() == runs * CLAIMS * 2
    assert ReimbursementRun.objects.filter(status=ReimbursementRun.Status.COMPLETED).count() == runs
    # The kills landed part-way through a run, not after it (the distribution allows a few late).
    assert finished_before_kill <= max(1, runs // 10)
