"""Races on PostgreSQL: many volunteers accepting the last place at once, and one volunteer accepting
two overlapping sessions at once. Each thread has its own connection and transaction; the session
row lock in accept_invitation must let exactly one through.

Skipped on SQLite (tests/conftest.py): it has no row locks and serialises every writer anyway.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from accounts.models import User
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import SessionError, accept_invitation
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, in_days, invite_free, session_at
from volunteers.models import VolunteerProfile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
ROUNDS = 5
FULL = "Sorry, this session is now full. Thank you for offering your time."
ACCEPTED = "accepted"
HOUR = datetime.timedelta(hours=1)


Attempt = Callable[[], Callable[[], None]]


def all_at_once(attempts: list[Attempt]) -> list[str]:
    """Run each attempt in its own thread: it prepares (reads what it needs), waits at a barrier for
    all the others, then acts. Returns, per attempt, "accepted" or the message of the error raised
    (any error, so that a deadlock or a constraint violation would show)."""
    barrier = threading.Barrier(len(attempts))
    results: list[str] = [""] * len(attempts)

    def run(index: int, prepare: Attempt) -> None:
        try:
            act = prepare()
            barrier.wait(timeout=30)
            act()
            results[index] = ACCEPTED
        except SessionError as error:
            results[index] = str(error)
        except Exception as error:  # noqa: BLE001 -- reported in the assertion, whatever it is
            results[index] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, attempt)) for index, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [thread.is_alive() for thread in threads] == [False] * len(threads)
    return results


def accepting(booking_id: int, user_id: int) -> Attempt:
    """Accept the invitation as its volunteer would: fetch it on the thread's own connection, then accept."""

    def prepare() -> Callable[[], None]:
        booking = Booking.objects.get(pk=booking_id)
        actor = User.objects.get(pk=user_id)

        def act() -> None:
            accept_invitation(booking=booking, actor=actor)

        return act

    return prepare


def volunteers(world: World, count: int, round_number: int) -> list[VolunteerProfile]:
    return [
        factories.NetworkMembershipFactory(
            network=world.charity, volunteer__user__email=f"round{round_number}.volunteer{index}@example.org"
        ).volunteer
        for index in range(count)
    ]


@pytest.mark.parametrize("round_number", range(1, ROUNDS + 1))
def test_accept_invitation_last_place_goes_to_exactly_one_of_twenty(world: World, round_number: int) -> None:
    # A session with three places, two already taken: one place left, twenty invited.
    session = session_at(world.university, world.coordinator, places=3, starts_at=in_days(14 + round_number))
    for profile in volunteers(world, 2, -round_number):
        BookingFactory(session=session, volunteer=profile, status=Booking.Status.ACCEPTED)
    invited = invite_free(session=session, volunteers=volunteers(world, THREADS, round_number), actor=world.coordinator)

    results = all_at_once([accepting(booking.pk, booking.volunteer.user_id) for booking in invited])

    assert sorted(results) == sorted([ACCEPTED] + [FULL] * (THREADS - 1))
    [winner] = [booking for booking, result in zip(invited, results, strict=True) if result == ACCEPTED]
    assert Booking.objects.get(pk=winner.pk).status == Booking.Status.ACCEPTED
    assert session.bookings.accepted().count() == session.places == 3
    assert session.bookings.filter(status=Booking.Status.INVITED).count() == THREADS - 1


def test_accept_invitation_every_round_has_one_winner(world: World) -> None:
    """The whole scenario five times over in one test, each on a fresh session."""
    winners = []
    for round_number in range(1, ROUNDS + 1):
        session = session_at(
            world.university,
            world.coordinator,
            places=1,
            starts_at=in_days(30 + round_number),
            title=f"Round {round_number}",
        )
        invited = invite_free(
            session=session, volunteers=volunteers(world, THREADS, 100 + round_number), actor=world.coordinator
        )

        results = all_at_once([accepting(booking.pk, booking.volunteer.user_id) for booking in invited])

        winners.append((results.count(ACCEPTED), results.count(FULL), session.bookings.accepted().count()))
    assert winners == [(1, THREADS - 1, 1)] * ROUNDS


@pytest.mark.parametrize("round_number", range(1, ROUNDS + 1))
def test_accept_invitation_overlapping_sessions_at_once_accepts_one(world: World, round_number: int) -> None:
    starts_at = in_days(20 + round_number)
    first = session_at(world.university, world.coordinator, title="Morning session", starts_at=starts_at)
    second = session_at(world.university, world.coordinator, title="Late morning session", starts_at=starts_at + HOUR)
    [profile] = volunteers(world, 1, 200 + round_number)
    bookings = [
        invite_free(session=session, volunteers=[profile], actor=world.coordinator)[0] for session in (first, second)
    ]

    results = all_at_once([accepting(booking.pk, profile.user_id) for booking in bookings])

    clash = {
        0: "You are already booked into “Late morning session” at that time.",
        1: "You are already booked into “Morning session” at that time.",
    }
    assert results.count(ACCEPTED) == 1
    loser = 1 - results.index(ACCEPTED)
    assert results[loser] == clash[loser]
    assert Booking.objects.filter(volunteer=profile, status=Booking.Status.ACCEPTED).count() == 1
    assert TeachingSession.objects.filter(bookings__volunteer=profile, bookings__status="accepted").count() == 1
