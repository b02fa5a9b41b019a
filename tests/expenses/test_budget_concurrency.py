"""A race on PostgreSQL: approvers approving several claims against one programme's budget at the
same moment, none with a reason for going over it. ``approve_claim`` locks the budget's row after
the claim's, so each approval sees the ones before it: exactly those that fit are approved.

Skipped on SQLite (tests/conftest.py): it has no row locks and serialises every writer anyway.
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from expenses import selectors
from expenses.models import Claim, ProgrammeBudget
from expenses.services import ClaimError, approve_claim
from sessions_app.models import Booking, TeachingSession
from tests.conftest import World
from tests.expenses.factories import ClaimFactory
from tests.sessions_app.factories import BookingFactory, ModuleFactory, ProgrammeFactory, TeachingSessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLAIMS = 6
APPROVED = "approved"


def approve_all_at_once(claim_ids: list[int], actor_id: int) -> list[str]:
    """Approve each claim in its own thread and transaction, all released together by a barrier.
    Returns, per claim, "approved" or the message of the error raised."""
    barrier = threading.Barrier(len(claim_ids))
    results = [""] * len(claim_ids)

    def run(index: int, claim_id: int) -> None:
        try:
            claim, actor = Claim.objects.get(pk=claim_id), User.objects.get(pk=actor_id)
            barrier.wait(timeout=30)
            approve_claim(claim=claim, actor=actor)
            results[index] = APPROVED
        except ClaimError as error:
            results[index] = error.field or ""
        except Exception as error:  # noqa: BLE001 -- reported in the assertion, whatever it is
            results[index] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, pk)) for index, pk in enumerate(claim_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [thread.is_alive() for thread in threads] == [False] * len(threads)
    return results


def test_approvals_at_once_never_take_a_budget_past_its_amount_without_a_reason(world: World) -> None:
    programme = ProgrammeFactory(university=world.university)
    starts_at = timezone.now() - datetime.timedelta(days=3)
    claims = []
    for _number in range(CLAIMS):
        session = TeachingSessionFactory(
            module=ModuleFactory(programme=programme), starts_at=starts_at, status=TeachingSession.Status.COMPLETED
        )
        booking = BookingFactory(session=session, status=Booking.Status.ATTENDED, hours=Decimal("2.00"))
        claims.append(
            ClaimFactory(
                booking=booking,
                status=Claim.Status.SUBMITTED,
                submitted_at=starts_at,
                fee_due=Decimal("20.00"),
                fee_requested=Decimal("20.00"),
            )
        )
    key = selectors.budget_key(claims[0].booking.session)
    # Room for two claims of £20.00, and £0.01 short of a third.
    ProgrammeBudget.objects.create(programme=programme, academic_year=key[1], amount=Decimal("59.99"))

    results = approve_all_at_once([claim.pk for claim in claims], world.finance.pk)

    assert sorted(results) == sorted([APPROVED] * 2 + ["over_budget_reason"] * (CLAIMS - 2))
    [position] = selectors.budget_positions([key]).values()
    assert position.committed == Decimal("40.00")
