"""The crash-safety proof: a real Celery worker paying a run through a real Redis is killed with
SIGKILL part-way, a new worker resumes the run, and nobody is paid twice or left unpaid.

Each run pays through two routes (fees and expenses by different routes, swapped from one cycle to
the next), is started from a preview, and is killed after a random number of claims (the seed is
in the test's output). A claim approved between the preview and the start is not paid by that
run; the next cycle's run pays it. Afterwards each route's export holds exactly its payments.

The worker pays claims in batches of ``BATCH`` (``REIMBURSEMENT_RUN_BATCH``), each batch in one
transaction, so a kill lands between batches or inside one, never inside a claim alone.

Needs PostgreSQL and Redis (CI sets DATABASE_URL and REDIS_URL); skipped elsewhere. To make the
worker slow enough to kill mid-run without a test hook in the application, the test database
gets a trigger that sleeps a little on every Payment insert: the worker spends most of its time
inside a batch's transaction, with some of its payments written but not committed. The worker,
the trigger and the checks are shared with tests/reliability/test_worker_kill.py (50 kills):
tests/reliability/worker.py.
"""

from __future__ import annotations

import datetime
import os
import random
from collections import Counter
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone

from expenses import services
from expenses.models import Claim, FinanceSettings, Payment, PayRoute, ReimbursementRun
from involvement.celery import app as celery_app
from tests.expenses.factories import rate_card_for
from tests.reliability import worker as crash
from tests.reliability.worker import (
    Worker,
    approved_claims,
    assert_0_duplicates_and_0_missing,
    consistent_snapshot,
    drain,
    progress,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.xdist_group("real-broker"),  # one real worker at a time on the shared queue
    pytest.mark.django_db(transaction=True),
]

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
# Claims the worker pays in one transaction: several batches a run, and the kill points in between.
BATCH = 4
BATCHES = {"REIMBURSEMENT_RUN_BATCH": str(BATCH)}
SESSION_DAY = timezone.localdate() - datetime.timedelta(days=7)


@pytest.fixture
def slow_payments() -> Iterator[None]:
    with crash.slow_payments(SECONDS_PER_PAYMENT):
        yield


@pytest.fixture
def broker() -> Iterator[list[int]]:
    """Afterwards tasks run eagerly again (the tests' default), and the deliveries the killed
    workers never acknowledged are forgotten."""
    run_ids: list[int] = []
    yield run_ids
    celery_app.conf.task_always_eager = True
    crash.forget_unacked_runs(run_ids)


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
        claims = late + approved_claims(world, CLAIMS - len(late), SESSION_DAY)
        preview = services.preview_run(organisation=world.university, actor=world.finance)
        # Approved after the preview: this run does not pay it; the next one does.
        late = approved_claims(world, 1, SESSION_DAY)
        celery_app.conf.task_always_eager = False
        workers += 1
        first = Worker(db_name, tmp_path, workers, environment=BATCHES)
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
            crash.wait_for_session_end(first)

            status, done = progress(run)
            statuses, payments, remittances = consistent_snapshot(claims)
            paid = [pk for pk, claim_status in statuses.items() if claim_status == Claim.Status.PAID]
            assert status == ReimbursementRun.Status.RUNNING, f"cycle {cycle}: the run finished before the kill"
            assert kill_after <= done < CLAIMS
            assert done % BATCH == 0  # whole batches only
            assert len(paid) == done == remittances
            # Each batch's payments and statuses were committed together: no claim is half paid.
            assert payments == Counter(dict.fromkeys(paid, 2))

            workers += 1
            second = Worker(db_name, tmp_path, workers, environment=BATCHES)
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
