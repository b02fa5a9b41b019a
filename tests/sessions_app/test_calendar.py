"""The volunteer's iCalendar feed and the .ics file of one booking, parsed back with ``icalendar``
and checked field by field (RFC 5545), and the feed's public address."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from sessions_app.calendar import booking_ics, feed_for
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import (
    accept_invitation,
    calendar_feed_for,
    cancel_booking,
    cancel_session,
    renew_calendar_feed,
)
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, invite_free, session_at
from volunteers.models import VolunteerProfile
from volunteers.services import erase_volunteer

Status = Booking.Status
LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
SITE = "https://involvement.example.org"
HOST = "involvement.example.org"
# Special-category markers planted in the volunteer's profile: none may reach a feed.
MARKERS = ("ADJ-MARKER", "TOPIC-MARKER", "BIO-MARKER", "DIET-MARKER", "SUPPORT-MARKER")


@pytest.fixture(autouse=True)
def frozen(settings: Any) -> Iterator[None]:
    settings.SITE_URL = SITE
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.other_adjustments = "ADJ-MARKER"
    profile.topics_to_avoid = "TOPIC-MARKER"
    profile.biography = "BIO-MARKER"
    profile.dietary_needs = "DIET-MARKER"
    profile.support_contact_name = "SUPPORT-MARKER"
    profile.step_free_access = True
    profile.save()
    return profile


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, 0, tzinfo=LONDON)


def session(world: World, title: str, day: int, **fields: Any) -> TeachingSession:
    return session_at(
        world.university,
        world.coordinator,
        title=title,
        starts_at=fields.pop("starts_at", at(day, 10)),
        ends_at=fields.pop("ends_at", at(day, 12)),
        **fields,
    )


def accepted(world: World, profile: VolunteerProfile, title: str, day: int, **fields: Any) -> Booking:
    [invited] = invite_free(session=session(world, title, day, **fields), volunteers=[profile], actor=world.coordinator)
    return accept_invitation(booking=invited, actor=profile.user)


@pytest.fixture
def bookings(world: World, profile: VolunteerProfile) -> dict[str, Booking]:
    """One booking in each state, in sessions a day apart (the 10th to the 18th of March 2026)."""
    going = accepted(world, profile, "Storytelling", 10)
    online = accepted(world, profile, "Online panel", 11, venue="", online_link="https://meet.example.org/panel")
    # The clocks go forward on 29 March: a session after it is still given in UTC (09:00Z).
    summer = accepted(world, profile, "Summer OSCE", 30)
    cancelled_by_volunteer = accepted(world, profile, "Workshop", 12)
    cancel_booking(booking=cancelled_by_volunteer, actor=profile.user, reason="Unwell")
    cancelled_session = accepted(world, profile, "Interviews", 13)
    cancel_session(session=cancelled_session.session, actor=world.coordinator, reason="Room flooded")
    past = session(world, "Past story", 1, starts_at=at(1, 10), ends_at=at(1, 12))
    attended = BookingFactory(session=past, volunteer=profile, status=Status.ATTENDED)
    no_show = BookingFactory(
        session=session(world, "Past panel", 1, starts_at=at(1, 14), ends_at=at(1, 16)),
        volunteer=profile,
        status=Status.NO_SHOW,
    )
    invited = BookingFactory(session=session(world, "Only invited", 15), volunteer=profile)
    declined = BookingFactory(session=session(world, "Declined", 16), volunteer=profile, status=Status.DECLINED)
    expired = BookingFactory(session=session(world, "Expired", 17), volunteer=profile, status=Status.EXPIRED)
    someone_else = BookingFactory(session=session(world, "Not mine", 18), status=Status.ACCEPTED)
    for booking in (cancelled_by_volunteer, cancelled_session):
        booking.refresh_from_db()
    return {
        "going": going,
        "online": online,
        "summer": summer,
        "cancelled_by_volunteer": cancelled_by_volunteer,
        "cancelled_session": cancelled_session,
        "attended": attended,
        "no_show": no_show,
        "invited": invited,
        "declined": declined,
        "expired": expired,
        "someone_else": someone_else,
    }


def events(ics: bytes) -> dict[str, Any]:
    return {str(event["UID"]): event for event in Calendar.from_ical(ics).walk("VEVENT")}


def uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@{HOST}"


def test_feed_is_a_calendar_of_the_volunteers_bookings(profile: VolunteerProfile, bookings: dict[str, Booking]) -> None:
    calendar = Calendar.from_ical(feed_for(profile))

    assert (str(calendar["VERSION"]), str(calendar["PRODID"]), str(calendar["CALSCALE"])) == (
        "2.0",
        "-//Involvement//Sessions//EN",
        "GREGORIAN",
    )
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == [
        uid(bookings[name])
        for name in (
            "attended",
            "no_show",
            "going",
            "online",
            "cancelled_by_volunteer",
            "cancelled_session",
            "summer",
        )
    ]


def test_feed_event_fields(profile: VolunteerProfile, bookings: dict[str, Booking]) -> None:
    found = events(feed_for(profile))

    def fields(name: str) -> tuple[Any, ...]:
        event = found[uid(bookings[name])]
        return (
            event["DTSTAMP"].dt,
            event["DTSTART"].dt,
            event["DTEND"].dt,
            str(event["SUMMARY"]),
            str(event["LOCATION"]),
            str(event["STATUS"]),
        )

    utc = datetime.UTC
    venue = "Room 1.01, Health Sciences Building"
    assert fields("going") == (
        NOW,
        datetime.datetime(2026, 3, 10, 10, 0, tzinfo=utc),
        datetime.datetime(2026, 3, 10, 12, 0, tzinfo=utc),
        "Storytelling (University A)",
        venue,
        "CONFIRMED",
    )
    assert fields("online") == (
        NOW,
        datetime.datetime(2026, 3, 11, 10, 0, tzinfo=utc),
        datetime.datetime(2026, 3, 11, 12, 0, tzinfo=utc),
        "Online panel (University A)",
        "https://meet.example.org/panel",
        "CONFIRMED",
    )
    assert str(found[uid(bookings["online"])]["URL"]) == "https://meet.example.org/panel"
    assert fields("summer") == (
        NOW,
        datetime.datetime(2026, 3, 30, 9, 0, tzinfo=utc),
        datetime.datetime(2026, 3, 30, 11, 0, tzinfo=utc),
        "Summer OSCE (University A)",
        venue,
        "CONFIRMED",
    )
    assert fields("cancelled_by_volunteer")[3:] == ("Workshop (University A)", venue, "CANCELLED")
    assert fields("cancelled_session")[3:] == ("Interviews (University A)", venue, "CANCELLED")
    assert fields("attended")[1:] == (
        datetime.datetime(2026, 3, 1, 10, 0, tzinfo=utc),
        datetime.datetime(2026, 3, 1, 12, 0, tzinfo=utc),
        "Past story (University A)",
        venue,
        "CONFIRMED",
    )
    assert fields("no_show")[5] == "CONFIRMED"


def test_feed_times_equal_the_sessions_in_utc(profile: VolunteerProfile, bookings: dict[str, Booking]) -> None:
    found = events(feed_for(profile))

    for name in ("going", "online", "summer", "attended", "no_show"):
        booking = bookings[name]
        event = found[uid(booking)]
        assert (event["DTSTART"].dt, event["DTEND"].dt) == (booking.session.starts_at, booking.session.ends_at)
        assert (event["DTSTART"].dt.utcoffset(), event["DTEND"].dt.utcoffset()) == (
            datetime.timedelta(0),
            datetime.timedelta(0),
        )


def test_feed_leaves_out_invitations_declines_expiries_and_other_people(
    profile: VolunteerProfile, bookings: dict[str, Booking]
) -> None:
    found = events(feed_for(profile))

    assert [uid(bookings[name]) in found for name in ("invited", "declined", "expired", "someone_else")] == [
        False,
        False,
        False,
        False,
    ]


def test_feed_uids_are_stable_and_the_stamp_moves(profile: VolunteerProfile, bookings: dict[str, Booking]) -> None:
    first = Calendar.from_ical(feed_for(profile))
    with time_machine.travel(NOW + datetime.timedelta(hours=3), tick=False):
        second = Calendar.from_ical(feed_for(profile))

    assert [str(event["UID"]) for event in first.walk("VEVENT")] == [
        str(event["UID"]) for event in second.walk("VEVENT")
    ]
    assert {event["DTSTAMP"].dt for event in second.walk("VEVENT")} == {NOW + datetime.timedelta(hours=3)}


def test_feed_carries_no_health_data(profile: VolunteerProfile, bookings: dict[str, Booking]) -> None:
    feed = feed_for(profile) + booking_ics(bookings["going"])

    assert [marker for marker in (*MARKERS, "Step-free", "Unwell") if marker.encode() in feed] == []


def test_feed_of_a_volunteer_without_bookings_is_an_empty_calendar(profile: VolunteerProfile) -> None:
    calendar = Calendar.from_ical(feed_for(profile))

    assert (str(calendar["VERSION"]), calendar.walk("VEVENT")) == ("2.0", [])


def test_booking_ics_is_one_published_event(bookings: dict[str, Booking]) -> None:
    calendar = Calendar.from_ical(booking_ics(bookings["going"]))

    [event] = calendar.walk("VEVENT")
    assert (str(calendar["VERSION"]), str(calendar["PRODID"]), str(calendar["METHOD"])) == (
        "2.0",
        "-//Involvement//Sessions//EN",
        "PUBLISH",
    )
    assert (
        str(event["UID"]),
        event["DTSTAMP"].dt,
        event["DTSTART"].dt,
        event["DTEND"].dt,
        str(event["SUMMARY"]),
        str(event["STATUS"]),
    ) == (
        uid(bookings["going"]),
        NOW,
        datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC),
        "Storytelling (University A)",
        "CONFIRMED",
    )


def test_booking_ics_of_a_cancelled_booking_says_cancelled(bookings: dict[str, Booking]) -> None:
    [event] = Calendar.from_ical(booking_ics(bookings["cancelled_by_volunteer"])).walk("VEVENT")

    assert (str(event["UID"]), str(event["STATUS"])) == (uid(bookings["cancelled_by_volunteer"]), "CANCELLED")


# The feed's address


def test_feed_address_serves_the_calendar(
    client: Client, profile: VolunteerProfile, bookings: dict[str, Booking]
) -> None:
    token = calendar_feed_for(profile).token

    response = client.get(f"/calendar/{token}.ics")

    assert (response.status_code, response["Content-Type"]) == (200, "text/calendar; charset=utf-8")
    assert response.content == feed_for(profile)
    assert "no-store" in response["Cache-Control"]
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 7


def test_feed_address_unknown_is_not_found(client: Client, profile: VolunteerProfile) -> None:
    calendar_feed_for(profile)

    assert client.get("/calendar/not-a-real-address.ics").status_code == 404


def test_feed_renewed_address_makes_the_old_one_not_found(
    client: Client, world: World, profile: VolunteerProfile
) -> None:
    old = calendar_feed_for(profile).token

    new = renew_calendar_feed(profile=profile, actor=world.volunteer).token

    assert new != old
    assert [client.get(f"/calendar/{old}.ics").status_code, client.get(f"/calendar/{new}.ics").status_code] == [
        404,
        200,
    ]


def test_feed_of_an_erased_volunteer_is_not_found(client: Client, world: World, profile: VolunteerProfile) -> None:
    token = calendar_feed_for(profile).token

    erase_volunteer(profile=profile, actor=world.lead)

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_feed_keeps_the_past_year_and_everything_to_come(world: World, profile: VolunteerProfile) -> None:
    year_ago = NOW - datetime.timedelta(days=365)
    old = BookingFactory(
        session=session(world, "Long ago", 1, starts_at=year_ago - datetime.timedelta(days=1), ends_at=year_ago),
        volunteer=profile,
        status=Status.ATTENDED,
    )
    recent = BookingFactory(
        session=session(
            world,
            "Within the year",
            1,
            starts_at=year_ago + datetime.timedelta(hours=1),
            ends_at=year_ago + datetime.timedelta(hours=3),
        ),
        volunteer=profile,
        status=Status.ATTENDED,
    )
    far_ahead = accepted(
        world,
        profile,
        "Next year",
        1,
        starts_at=NOW + datetime.timedelta(days=400),
        ends_at=NOW + datetime.timedelta(days=400, hours=2),
    )

    found = events(feed_for(profile))

    assert sorted(found) == sorted([uid(recent), uid(far_ahead)])
    assert uid(old) not in found


@pytest.mark.parametrize("count", [1, 3])
def test_feed_address_query_count_does_not_grow(
    client: Client, world: World, profile: VolunteerProfile, django_assert_num_queries, count: int
) -> None:
    for day in range(count):
        accepted(world, profile, f"Session {day}", 10 + day)
    token = calendar_feed_for(profile).token

    # The feed and its volunteer; the bookings with their sessions and universities.
    with django_assert_num_queries(2):
        response = client.get(f"/calendar/{token}.ics")

    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == count
