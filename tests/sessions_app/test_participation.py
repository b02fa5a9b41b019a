"""Participation history: the sessions a volunteer took part in, on their lead's page (only with
their consent to share it with the network) and as totals on their own home page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from involvement import formatting
from sessions_app.models import Booking
from tests import factories
from tests.accounts.test_views import find, table_rows, text_of, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import attended_on
from volunteers.models import ConsentPurpose, NetworkMembership, VolunteerProfile
from volunteers.services import grant_consent

BookingStatus = Booking.Status


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


@pytest.fixture
def membership(world: World, profile: VolunteerProfile) -> NetworkMembership:
    return profile.memberships.get(network=world.charity)


def shares(world: World, profile: VolunteerProfile) -> None:
    text = factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="share-with-charity"), network=world.charity
    )
    grant_consent(profile=profile, text=text, actor=profile.user)


def page_url(world: World, membership: NetworkMembership, suffix: str = "") -> str:
    return f"/networks/{world.charity.slug}/volunteers/{membership.pk}/{suffix}"


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def test_lead_sees_sessions_at_partner_universities_with_hours(
    world: World, consent_purposes, profile: VolunteerProfile, membership: NetworkMembership
) -> None:
    shares(world, profile)
    attended_on(world.university, world.coordinator, profile, days_ago(10), title="Living with breast cancer")
    attended_on(world.university, world.coordinator, profile, days_ago(3), hours=Decimal("3.00"), title="OSCE station")
    # University B is not Charity A's partner: its session is not the network's to see.
    attended_on(world.other_university, world.other_coordinator, profile, days_ago(5), title="Elsewhere")
    # Only sessions they came to count.
    no_show = attended_on(world.university, world.coordinator, profile, days_ago(7), title="Missed")
    Booking.objects.filter(pk=no_show.pk).update(status=BookingStatus.NO_SHOW, hours=None)

    response = signed_in(world.lead).get(page_url(world, membership))

    assert texts(response, "p", id="participation-totals") == [
        "2 sessions, 5.00 hours, at 1 partner university, "
        f"from {formatting.day(days_ago(10))} to {formatting.day(days_ago(3))}."
    ]
    [table] = find(response, "table", id="participation-latest")
    assert table_rows(table) == [
        [f"{formatting.day(days_ago(3))}", "OSCE station", "University A", "Teaching or storytelling", "3.00"],
        [
            f"{formatting.day(days_ago(10))}",
            "Living with breast cancer",
            "University A",
            "Teaching or storytelling",
            "2.00",
        ],
    ]


def test_lead_sees_nothing_without_the_volunteers_consent(
    world: World, consent_purposes, profile: VolunteerProfile, membership: NetworkMembership
) -> None:
    attended_on(world.university, world.coordinator, profile, days_ago(10), title="Living with breast cancer")

    response = signed_in(world.lead).get(page_url(world, membership))
    full = signed_in(world.lead).get(page_url(world, membership, "sessions/"))

    expected = [
        f"{profile.display_name} has not agreed to share their participation with Charity A, so the sessions they "
        "take part in are not shown here."
    ]
    assert texts(response, "p", id="participation-not-shared") == expected
    assert texts(full, "p", id="participation-not-shared") == expected
    assert "Living with breast cancer" not in response.content.decode() + full.content.decode()


def test_sessions_before_the_partnership_began_are_not_shown(
    world: World, consent_purposes, profile: VolunteerProfile, membership: NetworkMembership
) -> None:
    shares(world, profile)
    factories.PartnershipFactory(network=world.charity, university=world.other_university, starts_on=days_ago(4))
    attended_on(world.other_university, world.other_coordinator, profile, days_ago(6), title="Before")
    attended_on(world.other_university, world.other_coordinator, profile, days_ago(2), title="After")

    response = signed_in(world.lead).get(page_url(world, membership))

    [table] = find(response, "table", id="participation-latest")
    assert [row[1] for row in table_rows(table)] == ["After"]


@pytest.mark.parametrize("count", [1, 3])
def test_participation_page_lists_every_session_in_a_fixed_number_of_queries(
    world: World,
    consent_purposes,
    profile: VolunteerProfile,
    membership: NetworkMembership,
    django_assert_num_queries,
    count: int,
) -> None:
    shares(world, profile)
    for number in range(count):
        attended_on(world.university, world.coordinator, profile, days_ago(3 + number), title=f"Session {number}")
    lead = signed_in(world.lead)

    with django_assert_num_queries(11):
        response = lead.get(page_url(world, membership, "sessions/"))

    assert len(table_rows(response)) == count


@pytest.mark.parametrize("count", [1, 12])
def test_lead_volunteer_page_shows_the_latest_ten_in_a_fixed_number_of_queries(
    world: World,
    consent_purposes,
    profile: VolunteerProfile,
    membership: NetworkMembership,
    django_assert_num_queries,
    count: int,
) -> None:
    shares(world, profile)
    for number in range(count):
        attended_on(world.university, world.coordinator, profile, days_ago(3 + number), title=f"Session {number}")
    lead = signed_in(world.lead)
    lead.get(page_url(world, membership))

    # The same with or without the link to all of them: the membership it names is read with the
    # latest rows, and the onboarding checks once for the list and for what is missing.
    with django_assert_num_queries(19):
        response = lead.get(page_url(world, membership))

    [table] = find(response, "table", id="participation-latest")
    assert len(table_rows(table)) == min(count, 10)
    links = [dict(link.attributes)["href"] for link in find(response, "a") if text_of(link).startswith("All ")]
    assert links == ([page_url(world, membership, "sessions/")] if count > 10 else [])


def test_volunteer_sees_their_totals_at_home(world: World, consent_purposes, profile: VolunteerProfile) -> None:
    attended_on(world.university, world.coordinator, profile, days_ago(40))
    attended_on(world.other_university, world.other_coordinator, profile, days_ago(20), hours=Decimal("1.50"))

    response = signed_in(world.volunteer).get("/me/")

    assert texts(response, "p", id="own-totals") == [
        "You have taken part in 2 sessions: 3.50 hours, at 2 universities, "
        f"since {formatting.day(days_ago(40))}. Thank you."
    ]


def test_volunteer_with_no_sessions_is_told_where_invitations_arrive(world: World, profile: VolunteerProfile) -> None:
    response = signed_in(world.volunteer).get("/me/")

    assert texts(response, "p", id="own-totals") == [
        "You have not taken part in a session yet. When a coordinator invites you, the invitation will be in "
        "My sessions ."
    ]
