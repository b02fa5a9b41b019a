"""The matching rules, through sessions_app.matching.suggest and candidates.

The clock stands at Thursday 5 March 2026, 09:00 UK time; the session under test is on Tuesday
Tuesday 10 March 2026, 10:00–12:00 (GMT), in person, at University A (partnered with Charity A).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from accounts.models import Organisation
from sessions_app.clock import LONDON, london_datetime
from sessions_app.matching import SUGGESTION_LIMIT, candidates, suggest
from sessions_app.models import Booking, TeachingSession
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, session_at
from volunteers import services as volunteer_services
from volunteers.models import ConsentPurpose, ExperienceTag, NetworkMembership, VolunteerProfile

Status = NetworkMembership.Status
BookingStatus = Booking.Status
Mode = VolunteerProfile.AttendanceMode
TUESDAY, WEDNESDAY = 1, 2
NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return london_datetime(day, datetime.time(hour, minute))


def march(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return at(datetime.date(2026, 3, day), hour, minute)


def a_session(world: World, starts_at: datetime.datetime | None = None, hours: float = 2, **fields: Any):  # type: ignore[no-untyped-def]
    starts_at = starts_at or march(10, 10)
    return session_at(
        world.university,
        world.coordinator,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=hours),
        **fields,
    )


def volunteer(
    world: World,
    name: str,
    *,
    network: Organisation | None = None,
    status: str = Status.ACTIVE,
    slots: tuple[tuple[int, str], ...] = ((TUESDAY, "morning"),),
    tags: tuple[ExperienceTag, ...] = (),
    **profile: Any,
) -> VolunteerProfile:
    """A volunteer called ``name``, in ``status`` in Charity A (or ``network``), free at ``slots``."""
    user = factories.UserFactory(name=name)
    person = factories.VolunteerProfileFactory(user=user, **profile)
    factories.NetworkMembershipFactory(volunteer=person, network=network or world.charity, status=status)
    for weekday, part in slots:
        factories.WeeklyAvailabilityFactory(volunteer=person, weekday=weekday, part_of_day=part)
    person.experience_tags.set(tags)
    return person


def booked(
    world: World, person: VolunteerProfile, starts_at: datetime.datetime, status: str, hours: float = 2
) -> Booking:
    """``person``'s booking of ``status`` in another session of University A at ``starts_at``."""
    other = a_session(world, starts_at, hours)
    return BookingFactory(session=other, volunteer=person, status=status)


def tag(world: World, name: str) -> ExperienceTag:
    return factories.ExperienceTagFactory(network=world.charity, name=name)


def names(session: TeachingSession, **filters: Any) -> list[str]:
    return [suggestion.volunteer.display_name for suggestion in suggest(session, **filters)]


def wording(network: Organisation, purpose: ConsentPurpose, *relying: Organisation) -> None:
    """A new version of ``network``'s wording of ``purpose``, naming the network and ``relying``."""
    factories.ConsentTextFactory(purpose=purpose, network=network, organisations=[network, *relying])


def grant(person: VolunteerProfile, purpose: ConsentPurpose) -> None:
    """A grant of the current wording of ``purpose`` of the person's (first) network."""
    network = person.memberships.order_by("pk").first().network  # type: ignore[union-attr]  # every test volunteer has one
    text = volunteer_services.current_text(purpose, network)
    assert text is not None
    volunteer_services.grant_consent(profile=person, text=text, actor=person.user)


# Who may be suggested at all


def test_suggest_lists_only_active_volunteers_of_partnered_networks(world: World) -> None:
    session = a_session(world)
    volunteer(world, "Active A")
    for status in [Status.APPLICANT, Status.PAUSED, Status.LEFT, Status.DECLINED]:
        volunteer(world, f"{status.label} A", status=status)
    volunteer(world, "Active B", network=world.other_charity)
    both = volunteer(world, "Active B, active A", network=world.other_charity)
    factories.NetworkMembershipFactory(volunteer=both, network=world.charity, status=Status.ACTIVE)
    paused_here = volunteer(world, "Active B, paused A", network=world.other_charity)
    factories.NetworkMembershipFactory(volunteer=paused_here, network=world.charity, status=Status.PAUSED)
    erased = volunteer(world, "Erased A")
    erased.erased_at = NOW
    erased.save()

    assert names(session) == ["Active A", "Active B, active A"]


def test_suggest_needs_the_partnership_active_on_the_session_day(world: World) -> None:
    session = a_session(world)
    for label, starts_on, ends_on in [
        ("Ended before the day", datetime.date(2025, 1, 1), datetime.date(2026, 3, 9)),
        ("Ends on the day", datetime.date(2025, 1, 1), datetime.date(2026, 3, 10)),
        ("Starts on the day", datetime.date(2026, 3, 10), None),
        ("Starts after the day", datetime.date(2026, 3, 11), None),
    ]:
        charity = factories.CharityFactory(name=f"Charity {label}")
        factories.PartnershipFactory(network=charity, university=world.university, starts_on=starts_on, ends_on=ends_on)
        volunteer(world, label, network=charity)
    # A partnership of Charity B with another university does not count here.
    factories.PartnershipFactory(network=world.other_charity, university=factories.UniversityFactory())
    volunteer(world, "Charity B", network=world.other_charity)

    assert names(session) == ["Ends on the day", "Starts on the day"]


# When they are free


def test_suggest_needs_the_weekday_and_part_of_day_of_the_start(world: World) -> None:
    session = a_session(world)  # Tuesday 10:00
    volunteer(world, "Tuesday morning")
    volunteer(world, "Tuesday afternoon", slots=((TUESDAY, "afternoon"),))
    volunteer(world, "Wednesday morning", slots=((WEDNESDAY, "morning"),))
    volunteer(world, "Every Tuesday", slots=((TUESDAY, "morning"), (TUESDAY, "afternoon"), (TUESDAY, "evening")))
    volunteer(world, "Never", slots=())

    assert names(session) == ["Every Tuesday", "Tuesday morning"]


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        # 11:59 UK time is still the morning.
        (march(10, 11, 59), ["Tuesday morning"]),
        # 12:00 is the afternoon.
        (march(10, 12), ["Tuesday afternoon"]),
        # 17:00 is the evening.
        (march(10, 17), ["Tuesday evening"]),
        # Summer time: 12:30 BST is 11:30 UTC, but the afternoon in the UK.
        (at(datetime.date(2026, 6, 9), 12, 30), ["Tuesday afternoon"]),
        # Summer time: 00:30 BST on Wednesday is 23:30 UTC on Tuesday, but Wednesday morning in the UK.
        (at(datetime.date(2026, 6, 10), 0, 30), ["Wednesday morning"]),
    ],
)
def test_suggest_reads_the_start_in_uk_time(world: World, starts_at: datetime.datetime, expected: list[str]) -> None:
    session = a_session(world, starts_at, hours=1)
    volunteer(world, "Tuesday morning")
    volunteer(world, "Tuesday afternoon", slots=((TUESDAY, "afternoon"),))
    volunteer(world, "Tuesday evening", slots=((TUESDAY, "evening"),))
    volunteer(world, "Wednesday morning", slots=((WEDNESDAY, "morning"),))

    assert names(session) == expected


def test_suggest_leaves_out_volunteers_away_on_the_day(world: World) -> None:
    session = a_session(world)
    for label, starts_on, ends_on in [
        ("Away that week", datetime.date(2026, 3, 7), datetime.date(2026, 3, 14)),
        ("Away that day only", datetime.date(2026, 3, 10), datetime.date(2026, 3, 10)),
        ("Back the day before", datetime.date(2026, 3, 1), datetime.date(2026, 3, 9)),
        ("Away from the day after", datetime.date(2026, 3, 11), datetime.date(2026, 3, 20)),
    ]:
        factories.TimeAwayFactory(volunteer=volunteer(world, label), starts_on=starts_on, ends_on=ends_on)

    assert names(session) == ["Away from the day after", "Back the day before"]


# The monthly cap


def test_suggest_keeps_each_volunteer_under_their_monthly_cap(world: World) -> None:
    session = a_session(world)
    at_cap = volunteer(world, "At cap", monthly_session_cap=1)
    booked(world, at_cap, march(20, 14), BookingStatus.ACCEPTED)
    at_cap_attended = volunteer(world, "At cap (attended)", monthly_session_cap=1)
    booked(world, at_cap_attended, march(2, 14), BookingStatus.ATTENDED)
    under_cap = volunteer(world, "Under cap", monthly_session_cap=2)
    booked(world, under_cap, march(20, 14), BookingStatus.ACCEPTED)
    volunteer(world, "No cap")
    volunteer(world, "Cap of nought", monthly_session_cap=0)
    zero_cap = volunteer(world, "Cap of one, none yet", monthly_session_cap=1)
    for status in [BookingStatus.INVITED, BookingStatus.DECLINED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW]:
        booked(world, zero_cap, march(20, 14), status)
    other_months = volunteer(world, "Busy in other months", monthly_session_cap=1)
    booked(world, other_months, at(datetime.date(2026, 2, 28), 14), BookingStatus.ATTENDED)
    booked(world, other_months, at(datetime.date(2026, 4, 1), 14), BookingStatus.ACCEPTED)

    suggestions = {item.volunteer.display_name: item.sessions_this_month for item in suggest(session)}

    assert suggestions == {"Busy in other months": 0, "Cap of one, none yet": 0, "No cap": 0, "Under cap": 1}


def test_suggest_counts_the_month_in_uk_time(world: World) -> None:
    session = a_session(world, at(datetime.date(2026, 6, 9), 10))  # Tuesday 9 June 2026
    june = volunteer(world, "Booked 00:30 on 1 June", monthly_session_cap=1)
    # 00:30 BST on 1 June is 23:30 UTC on 31 May: in June in the UK.
    booked(world, june, at(datetime.date(2026, 6, 1), 0, 30), BookingStatus.ACCEPTED, hours=1)
    may = volunteer(world, "Booked 23:30 on 31 May", monthly_session_cap=1)
    # 23:30 BST on 31 May is 22:30 UTC: still May.
    booked(world, may, at(datetime.date(2026, 5, 31), 23, 30), BookingStatus.ACCEPTED, hours=0.5)

    assert names(session) == ["Booked 23:30 on 31 May"]


# Other bookings at the same time


def test_suggest_leaves_out_volunteers_accepted_into_an_overlapping_session(world: World) -> None:
    session = a_session(world)  # 10:00–12:00
    cases = [
        ("Accepted 11:00–13:00", march(10, 11), BookingStatus.ACCEPTED),
        ("Accepted 09:00–11:00", march(10, 9), BookingStatus.ACCEPTED),
        ("Accepted 08:00–10:00", march(10, 8), BookingStatus.ACCEPTED),
        ("Accepted 12:00–14:00", march(10, 12), BookingStatus.ACCEPTED),
        ("Invited 10:00–12:00", march(10, 10), BookingStatus.INVITED),
        ("Cancelled 10:00–12:00", march(10, 10), BookingStatus.CANCELLED),
        ("Declined 10:00–12:00", march(10, 10), BookingStatus.DECLINED),
    ]
    for label, starts_at, status in cases:
        booked(world, volunteer(world, label), starts_at, status)
    inside = volunteer(world, "Accepted 10:30–11:00")
    booked(world, inside, march(10, 10, 30), BookingStatus.ACCEPTED, hours=0.5)
    around = volunteer(world, "Accepted 09:00–13:00")
    booked(world, around, march(10, 9), BookingStatus.ACCEPTED, hours=4)

    assert names(session) == [
        "Accepted 08:00–10:00",
        "Accepted 12:00–14:00",
        "Cancelled 10:00–12:00",
        "Declined 10:00–12:00",
        "Invited 10:00–12:00",
    ]


def test_suggest_leaves_out_everyone_already_invited_to_this_session(world: World) -> None:
    session = a_session(world)
    volunteer(world, "Not yet asked")
    for status in BookingStatus:
        BookingFactory(session=session, volunteer=volunteer(world, f"Booking {status.label}"), status=status)

    assert names(session) == ["Not yet asked"]


# Consent


def test_suggest_needs_a_current_grant_of_every_required_consent(
    world: World, consent_purposes: list[ConsentPurpose]
) -> None:
    story, recording = (ConsentPurpose.objects.get(code=code) for code in ["share-story", "recording"])
    wording(world.charity, story, world.university)
    wording(world.charity, recording, world.university)
    session = a_session(world)
    session.required_consents.set([story, recording])
    one = volunteer(world, "Story only")
    grant(one, story)
    withdrawn = volunteer(world, "Recording withdrawn")
    grant(withdrawn, story)
    grant(withdrawn, recording)
    volunteer_services.withdraw_consent(
        profile=withdrawn, purpose=recording, network=world.charity, actor=withdrawn.user
    )
    volunteer(world, "Never asked")
    old_wording = volunteer(world, "Both given, story on the old wording")
    grant(old_wording, story)
    grant(old_wording, recording)
    regranted = volunteer(world, "Both given again on the new wording")
    grant(regranted, recording)
    wording(world.charity, story, world.university)  # version 2: grants of version 1 are no longer current
    grant(regranted, story)

    assert names(session) == ["Both given again on the new wording"]


def test_suggest_needs_a_grant_of_wording_that_names_the_sessions_university(
    world: World, consent_purposes: list[ConsentPurpose]
) -> None:
    """Consent covers only the organisations named: a grant of Charity A's wording that names only
    Charity A does not let University A book the volunteer, until a version naming it is agreed to."""
    story = ConsentPurpose.objects.get(code="share-story")
    wording(world.charity, story)
    session = a_session(world)
    session.required_consents.set([story])
    person = volunteer(world, "Agreed to wording not naming University A")
    grant(person, story)

    assert names(session) == []

    wording(world.charity, story, world.university)
    grant(person, story)

    assert names(session) == ["Agreed to wording not naming University A"]


def test_suggest_needs_no_consent_when_none_is_required(world: World, consent_purposes: list[ConsentPurpose]) -> None:
    session = a_session(world)
    volunteer(world, "No consent given")

    assert names(session) == ["No consent given"]


# How they can take part


def test_suggest_matches_in_person_and_online(world: World) -> None:
    in_person = a_session(world)
    online = a_session(world, march(17, 10), venue="", online_link="https://meet.example.org/abc")
    volunteer(world, "Either", attendance_mode=Mode.EITHER)
    volunteer(world, "In person only", attendance_mode=Mode.IN_PERSON)
    volunteer(world, "Online only", attendance_mode=Mode.ONLINE)

    assert (names(in_person), names(online)) == (["Either", "In person only"], ["Either", "Online only"])


def test_suggest_leaves_out_volunteers_whose_longest_session_is_shorter(world: World) -> None:
    session = a_session(world, hours=2)
    volunteer(world, "At most 90 minutes", longest_session_minutes=90)
    volunteer(world, "At most 119 minutes", longest_session_minutes=119)
    volunteer(world, "At most 120 minutes", longest_session_minutes=120)
    volunteer(world, "Any length")

    assert names(session) == ["Any length", "At most 120 minutes"]


# Ranking and reasons


def test_suggest_ranks_by_preferred_experience_then_least_recently_involved_then_name(world: World) -> None:
    radiotherapy, surgery = tag(world, "radiotherapy"), tag(world, "surgery")
    tag_elsewhere = factories.ExperienceTagFactory(network=world.other_charity, name="radiotherapy")
    session = a_session(world)
    session.preferred_tags.set([radiotherapy, surgery])
    volunteer(world, "Zoë, both tags, never involved", tags=(radiotherapy, surgery))
    recent = volunteer(world, "Ann, both tags, involved last week", tags=(radiotherapy, surgery))
    booked(world, recent, march(3, 14), BookingStatus.ATTENDED)
    long_ago = volunteer(world, "Bea, one tag, involved last year", tags=(surgery,))
    booked(world, long_ago, at(datetime.date(2025, 3, 4), 14), BookingStatus.ATTENDED)
    volunteer(world, "Cat, one tag, never involved", tags=(radiotherapy,))
    volunteer(world, "Ada, one tag, never involved", tags=(surgery,))
    volunteer(world, "Dee, no tags, never involved")
    volunteer(world, "Eve, a tag not preferred", tags=(tag(world, "chemotherapy"),))
    other = volunteer(world, "Fay, the other network's tag", tags=(tag_elsewhere,))
    # A no-show or a cancelled place is not involvement.
    booked(world, other, march(3, 9), BookingStatus.NO_SHOW)

    assert names(session) == [
        "Zoë, both tags, never involved",
        "Ann, both tags, involved last week",
        "Ada, one tag, never involved",
        "Cat, one tag, never involved",
        "Bea, one tag, involved last year",
        "Dee, no tags, never involved",
        "Eve, a tag not preferred",
        "Fay, the other network's tag",
    ]


def test_suggest_uses_the_latest_attended_session_for_last_involved(world: World) -> None:
    session = a_session(world)
    earlier = volunteer(world, "Earlier")
    booked(world, earlier, at(datetime.date(2026, 1, 6), 10), BookingStatus.ATTENDED)
    later = volunteer(world, "Later")
    booked(world, later, at(datetime.date(2025, 12, 1), 10), BookingStatus.ATTENDED)
    booked(world, later, at(datetime.date(2026, 2, 3), 10), BookingStatus.ATTENDED)
    booked(world, later, at(datetime.date(2025, 11, 1), 10), BookingStatus.ATTENDED)

    result = [(item.volunteer.display_name, item.last_involved) for item in suggest(session)]

    assert result == [("Earlier", at(datetime.date(2026, 1, 6), 10)), ("Later", at(datetime.date(2026, 2, 3), 10))]


def test_suggest_explains_each_suggestion(world: World) -> None:
    radiotherapy, surgery = tag(world, "radiotherapy"), tag(world, "surgery")
    session = a_session(world)
    session.preferred_tags.set([radiotherapy, surgery])
    involved = volunteer(world, "Siân O'Brien", preferred_name="Siân", tags=(radiotherapy, tag(world, "chemotherapy")))
    booked(world, involved, march(3, 10), BookingStatus.ATTENDED)
    twice = volunteer(world, "Rhys", tags=(surgery, radiotherapy))
    booked(world, twice, march(2, 14), BookingStatus.ACCEPTED)
    booked(world, twice, march(24, 14), BookingStatus.ACCEPTED)
    volunteer(world, "Zoë")

    result = [(item.volunteer.display_name, item.matching_tags, item.reason) for item in suggest(session)]

    assert result == [
        (
            "Rhys",
            ["radiotherapy", "surgery"],
            "free Tuesday mornings; 2 sessions this month; radiotherapy, surgery; not involved yet",
        ),
        (
            "Siân",
            ["radiotherapy"],
            "free Tuesday mornings; 1 session this month; radiotherapy; last involved Tuesday 3 March 2026",
        ),
        ("Zoë", [], "free Tuesday mornings; 0 sessions this month; not involved yet"),
    ]


def test_suggest_explains_with_the_uk_part_of_day(world: World) -> None:
    session = a_session(world, at(datetime.date(2026, 6, 10), 18), hours=1)  # Wednesday evening, BST
    volunteer(world, "Evening person", slots=((WEDNESDAY, "evening"),))

    [suggestion] = suggest(session)

    assert suggestion.reason == "free Wednesday evenings; 0 sessions this month; not involved yet"


# Filters and limits


def test_suggest_filters_by_experience_and_perspective(world: World) -> None:
    radiotherapy, surgery = tag(world, "radiotherapy"), tag(world, "surgery")
    session = a_session(world)
    volunteer(world, "Radiotherapy, service user", tags=(radiotherapy,))
    volunteer(world, "Both, carer", tags=(radiotherapy, surgery), perspective=VolunteerProfile.Perspective.CARER)
    volunteer(world, "Surgery, carer", tags=(surgery,), perspective=VolunteerProfile.Perspective.CARER)

    assert names(session, tag_ids=[radiotherapy.pk]) == ["Both, carer", "Radiotherapy, service user"]
    assert names(session, tag_ids=[radiotherapy.pk, surgery.pk]) == ["Both, carer"]
    assert names(session, perspective=VolunteerProfile.Perspective.CARER) == ["Both, carer", "Surgery, carer"]
    assert names(session, tag_ids=[surgery.pk], perspective=VolunteerProfile.Perspective.SERVICE_USER) == []


def test_suggest_gives_at_most_the_limit(world: World) -> None:
    session = a_session(world)
    for number in range(4):
        volunteer(world, f"Volunteer {number}")

    assert (len(suggest(session, limit=3)), SUGGESTION_LIMIT) == (3, 50)


def test_candidates_is_the_whole_ranked_queryset(world: World) -> None:
    session = a_session(world)
    volunteer(world, "Bea")
    volunteer(world, "Ann")
    paused = volunteer(world, "Paused", status=Status.PAUSED)

    queryset = candidates(session)

    assert [person.display_name for person in queryset] == ["Ann", "Bea"]
    assert queryset.filter(pk=paused.pk).exists() is False


@pytest.mark.parametrize("count", [1, 4])
def test_suggest_takes_a_fixed_number_of_queries(
    world: World, consent_purposes: list[ConsentPurpose], django_assert_max_num_queries, count: int
) -> None:
    radiotherapy = tag(world, "radiotherapy")
    story = ConsentPurpose.objects.get(code="share-story")
    wording(world.charity, story, world.university)
    session = a_session(world)
    session.preferred_tags.set([radiotherapy])
    session.required_consents.set([story])
    for number in range(count):
        person = volunteer(world, f"Volunteer {number}", tags=(radiotherapy,), monthly_session_cap=3)
        grant(person, story)
        booked(world, person, march(3, 10), BookingStatus.ATTENDED)

    # The preferred tags, the required consents, the sessions at the same time, the ranking and
    # the matching tags' names.
    with django_assert_max_num_queries(6):
        suggestions = suggest(session)

    assert len(suggestions) == count
