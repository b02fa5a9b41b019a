"""expenses.selectors: the rate card in force (one rule, for one session or many at once), and the
user-scoped querysets claims come through."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from expenses import selectors
from expenses.models import RateCard
from tests import factories
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, attended_on, rate_card_for

APRIL_2024 = datetime.date(2024, 4, 6)
APRIL_2025 = datetime.date(2025, 4, 6)


@pytest.fixture
def cards(world: World) -> dict[str, RateCard]:
    return {
        "a-2024": rate_card_for(world.university, effective_from=APRIL_2024),
        "a-2025": rate_card_for(world.university, effective_from=APRIL_2025),
        "b-2025": rate_card_for(world.other_university, effective_from=APRIL_2025),
    }


@pytest.mark.parametrize(
    ("university", "day", "expected"),
    [
        ("university", datetime.date(2024, 4, 5), None),
        ("university", APRIL_2024, "a-2024"),
        ("university", datetime.date(2025, 4, 5), "a-2024"),
        ("university", APRIL_2025, "a-2025"),
        ("university", datetime.date(2030, 1, 1), "a-2025"),
        ("other_university", datetime.date(2025, 1, 1), None),
        ("other_university", datetime.date(2025, 5, 1), "b-2025"),
    ],
)
def test_in_force_is_the_latest_card_that_took_effect_by_the_day(
    world: World, cards: dict[str, RateCard], university: str, day: datetime.date, expected: str | None
) -> None:
    organisation = getattr(world, university)

    assert RateCard.objects.in_force(organisation, day) == (cards[expected] if expected else None)
    assert RateCard.objects.in_force(organisation.pk, day) == (cards[expected] if expected else None)


def test_in_force_on_answers_many_days_in_one_query(
    world: World, cards: dict[str, RateCard], django_assert_num_queries: Any
) -> None:
    wanted = [
        (world.university.pk, datetime.date(2024, 1, 1)),
        (world.university.pk, datetime.date(2024, 12, 1)),
        (world.university.pk, datetime.date(2025, 12, 1)),
        (world.other_university.pk, datetime.date(2025, 12, 1)),
    ]

    with django_assert_num_queries(1):
        found = RateCard.objects.in_force_on(wanted)

    assert found == {
        wanted[0]: None,
        wanted[1]: cards["a-2024"],
        wanted[2]: cards["a-2025"],
        wanted[3]: cards["b-2025"],
    }
    assert RateCard.objects.in_force_on([]) == {}


def test_rate_card_for_session_uses_the_sessions_uk_day(world: World, cards: dict[str, RateCard]) -> None:
    # 00:30 UK time on 6 April 2025 is still 5 April in UTC: the UK day decides.
    starts_at = timezone.make_aware(datetime.datetime(2025, 4, 6, 0, 30))
    booking = attended_on(
        world.university, world.coordinator, factories.VolunteerProfileFactory(), APRIL_2025, hours=None
    )
    session = booking.session
    session.starts_at = starts_at

    assert selectors.rate_card_for_session(session) == cards["a-2025"]


def test_rate_cards_for_sessions_match_one_by_one_in_one_query(
    world: World, cards: dict[str, RateCard], django_assert_num_queries: Any
) -> None:
    volunteer = factories.VolunteerProfileFactory()
    sessions = [
        attended_on(world.university, world.coordinator, volunteer, day).session
        for day in (datetime.date(2024, 1, 10), datetime.date(2024, 6, 10), datetime.date(2025, 6, 10))
    ]
    sessions.append(
        attended_on(world.other_university, world.other_coordinator, volunteer, datetime.date(2025, 6, 11)).session
    )
    for session in sessions:
        session.module.programme  # noqa: B018 -- joined before counting, as the pages' querysets do

    with django_assert_num_queries(1):
        found = selectors.rate_cards_for_sessions(sessions)

    assert found == {session.pk: selectors.rate_card_for_session(session) for session in sessions}
    assert [found[session.pk] for session in sessions] == [None, cards["a-2024"], cards["a-2025"], cards["b-2025"]]


def test_approval_cutoffs_take_the_target_from_todays_card(world: World) -> None:
    rate_card_for(world.university, effective_from=APRIL_2024, approval_target_days=3)
    now = timezone.now()

    assert selectors.approval_cutoffs([world.university.pk, world.other_university.pk], now) == {
        world.university.pk: now - datetime.timedelta(days=3),
        world.other_university.pk: now - datetime.timedelta(days=10),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("volunteer", ["own"]),
        ("coordinator", ["own", "other volunteer"]),
        ("finance", ["own", "other volunteer"]),
        ("other_finance", ["elsewhere"]),
        ("lead", []),
        ("admin", []),
        ("outsider", []),
    ],
)
def test_claims_visible_to_the_claimant_and_the_universitys_approvers(world: World, who: str, sees: list[str]) -> None:
    profile = world.volunteer.volunteer_profile
    day = datetime.date(2025, 6, 10)
    claims = {
        "own": ClaimFactory(booking=attended_on(world.university, world.coordinator, profile, day)),
        "other volunteer": ClaimFactory(
            booking=attended_on(world.university, world.coordinator, factories.VolunteerProfileFactory(), day)
        ),
        "elsewhere": ClaimFactory(
            booking=attended_on(
                world.other_university, world.other_coordinator, factories.VolunteerProfileFactory(), day
            )
        ),
    }

    visible = set(selectors.claims_visible_to(getattr(world, who)).values_list("pk", flat=True))

    assert visible == {claims[name].pk for name in sees}
