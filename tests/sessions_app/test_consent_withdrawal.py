"""Withdrawing a consent that a booking needs: said beforehand, then the place is cancelled through
the booking rules and the coordinator told; a booking left without a needed consent (new wording,
say) shows in the coordinator's "needs attention"."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from involvement import formatting
from involvement.models import ActivityLog, Notification
from sessions_app.models import Booking, TeachingSession
from tests import factories
from tests.accounts.test_views import find, h1, texts
from tests.conftest import World, signed_in
from tests.sessions_app.factories import BookingFactory, in_days, session_at
from volunteers.consent_effects import withdrawal_consequences
from volunteers.models import ConsentPurpose, ConsentText, VolunteerProfile
from volunteers.services import grant_consent, withdraw_consent

BookingStatus = Booking.Status


@pytest.fixture
def story(world: World, consent_purposes: list[ConsentPurpose]) -> ConsentText:
    """Charity A's wording of "share my story", relied on by University A."""
    return factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        organisations=[world.charity, world.university],
    )


@pytest.fixture
def profile(world: World, story: ConsentText) -> VolunteerProfile:
    person = VolunteerProfile.objects.get(user=world.volunteer)
    grant_consent(profile=person, text=story, actor=world.volunteer)
    return person


def needing_story(world: World, title: str, *, days: int = 10) -> TeachingSession:
    session = session_at(
        world.university, world.coordinator, title=title, starts_at=in_days(days), ends_at=in_days(days, 12)
    )
    session.required_consents.set([ConsentPurpose.objects.get(code="share-story")])
    return session


def test_withdrawal_says_beforehand_which_places_it_cancels(world: World, profile: VolunteerProfile) -> None:
    booked = needing_story(world, "Living with breast cancer")
    BookingFactory(session=booked, volunteer=profile, status=BookingStatus.ACCEPTED)
    invited = needing_story(world, "Only invited", days=12)
    BookingFactory(session=invited, volunteer=profile, status=BookingStatus.INVITED)
    plain = session_at(world.university, world.coordinator, title="Needs nothing")
    BookingFactory(session=plain, volunteer=profile, status=BookingStatus.ACCEPTED)

    consequences = withdrawal_consequences(profile, ConsentPurpose.objects.get(code="share-story"), world.charity)

    when = f"{formatting.moment(booked.starts_at)}"
    assert consequences == [
        f"The place at “Living with breast cancer” (University A) on {when} will be cancelled, because the "
        "session needs this consent. We will tell the coordinator."
    ]


def test_withdrawal_cancels_the_place_and_tells_the_coordinator(
    world: World, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    session = needing_story(world, "Living with breast cancer")
    booking = BookingFactory(session=session, volunteer=profile, status=BookingStatus.ACCEPTED)

    withdraw_consent(
        profile=profile,
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        actor=world.volunteer,
    )

    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == (BookingStatus.CANCELLED, world.volunteer)
    [told] = Notification.objects.filter(recipient=world.coordinator)
    assert (told.template_key, told.about, told.context["reason"]) == (
        "sessions_app/booking_cancelled_by_volunteer",
        world.volunteer,
        "They withdrew their consent to “Share my story with students”, which this session needs.",
    )
    assert Notification.objects.filter(recipient=world.volunteer).count() == 0
    assert ActivityLog.objects.get(action="booking.cancelled").data == {
        "by": "consent_withdrawn",
        "purpose": "share-story",
        "from": "accepted",
        "to": "cancelled",
    }


def test_withdrawal_recorded_by_the_lead_tells_the_volunteer_too(world: World, profile: VolunteerProfile) -> None:
    session = needing_story(world, "Living with breast cancer")
    BookingFactory(session=session, volunteer=profile, status=BookingStatus.ACCEPTED)

    withdraw_consent(
        profile=profile,
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        actor=world.lead,
        method="verbal",
    )

    assert sorted(Notification.objects.values_list("template_key", "recipient")) == [
        ("sessions_app/booking_cancelled_by_volunteer", world.coordinator.pk),
        ("sessions_app/place_cancelled_consent", world.volunteer.pk),
    ]


def test_withdrawal_keeps_a_place_another_networks_consent_covers(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    pool = factories.UniversityFactory(name="Pool", slug="pool")
    factories.PartnershipFactory(network=pool, university=world.university)
    factories.NetworkMembershipFactory(volunteer=profile, network=pool)
    theirs = factories.ConsentTextFactory(purpose=story.purpose, network=pool, organisations=[pool, world.university])
    grant_consent(profile=profile, text=theirs, actor=world.volunteer)
    session = needing_story(world, "Living with breast cancer")
    booking = BookingFactory(session=session, volunteer=profile, status=BookingStatus.ACCEPTED)

    assert withdrawal_consequences(profile, story.purpose, world.charity) == []
    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED


def test_past_places_are_left_alone(world: World, profile: VolunteerProfile) -> None:
    past = session_at(
        world.university,
        world.coordinator,
        starts_at=timezone.now() - datetime.timedelta(days=2),
        ends_at=timezone.now() - datetime.timedelta(days=2) + datetime.timedelta(hours=2),
    )
    past.required_consents.set([ConsentPurpose.objects.get(code="share-story")])
    booking = BookingFactory(session=past, volunteer=profile, status=BookingStatus.ACCEPTED)

    withdraw_consent(
        profile=profile,
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        actor=world.volunteer,
    )

    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED


# Through the pages -------------------------------------------------------------------------------


def test_volunteer_sees_what_a_withdrawal_changes_before_it_happens(world: World, profile: VolunteerProfile) -> None:
    session = needing_story(world, "Living with breast cancer")
    booking = BookingFactory(session=session, volunteer=profile, status=BookingStatus.ACCEPTED)
    browser = signed_in(world.volunteer)

    asked = browser.post("/me/consent/share-story/", {"action": "withdraw", "network": world.charity.slug})

    assert (asked.status_code, h1(asked)) == (200, "Withdraw your consent to “Share my story with students”?")
    assert len(texts(asked, "ul", id="consequences")) == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED
    assert profile.consent_records.count() == 1

    done = browser.post(
        "/me/consent/share-story/", {"action": "withdraw", "network": world.charity.slug, "confirmed": "on"}
    )

    assert (done.status_code, done["Location"]) == (302, "/me/consent/")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_withdrawal_with_nothing_booked_needs_no_confirmation(world: World, profile: VolunteerProfile) -> None:
    response = signed_in(world.volunteer).post(
        "/me/consent/share-story/", {"action": "withdraw", "network": world.charity.slug}
    )

    assert response.status_code == 302
    assert profile.consent_records.order_by("-pk").first().action == "withdrawn"


def test_lead_recording_a_withdrawal_sees_what_it_changes_first(world: World, profile: VolunteerProfile) -> None:
    session = needing_story(world, "Living with breast cancer")
    booking = BookingFactory(session=session, volunteer=profile, status=BookingStatus.ACCEPTED)
    membership = profile.memberships.get(network=world.charity)
    url = f"/networks/{world.charity.slug}/volunteers/{membership.pk}/consent/"
    data = {"purpose": "share-story", "action": "withdrawn", "method": "verbal", "note": ""}
    lead = signed_in(world.lead)

    asked = lead.post(url, data)

    assert asked.status_code == 200
    assert len(find(asked, "div", id="consequences")) == 1
    [confirmed] = find(asked, "input", name="confirmed")
    assert dict(confirmed.attributes)["value"] == "on"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED

    done = lead.post(url, {**data, "confirmed": "on"})

    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


# Needs attention -----------------------------------------------------------------------------------


def test_a_place_left_without_a_needed_consent_needs_attention(world: World, profile: VolunteerProfile) -> None:
    session = needing_story(world, "Living with breast cancer")
    booking = BookingFactory(session=session, volunteer=profile, status=BookingStatus.ACCEPTED)
    coordinator = signed_in(world.coordinator)
    assert "A volunteer with a place no longer holds a consent the session needs" not in (
        coordinator.get("/sessions/?show=attention").content.decode()
    )

    # New wording: the grant is no longer current, and the place stays until someone acts.
    factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="share-story"),
        network=world.charity,
        organisations=[world.charity, world.university],
    )

    page = coordinator.get("/sessions/?show=attention")
    detail = coordinator.get(f"/sessions/{session.pk}/")

    assert "A volunteer with a place no longer holds a consent the session needs" in page.content.decode()
    assert texts(detail, "p", class_="missing-consent") == [
        "No longer holds the consent this session needs: Share my story with students. Please talk to them, or "
        "cancel their place."
    ]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ACCEPTED
