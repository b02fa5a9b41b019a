"""sessions_app.services: programmes, modules, sessions, invitations, bookings, messages and attendance.

Reminders and check-ins are in test_reminders.py; races on PostgreSQL in tests/reliability/test_races.py.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail, signing
from django.db import models

from accounts.models import Membership, Partnership, User
from involvement.models import ActivityLog, Notification
from sessions_app import services
from sessions_app.models import Booking, CheckIn, Module, Programme, SessionMessage, TeachingSession
from sessions_app.services import (
    SessionError,
    accept_invitation,
    booking_from_token,
    cancel_booking,
    cancel_session,
    copy_session,
    decline_invitation,
    expire_invitations,
    invitation_token,
    mark_attendance,
    message_accepted_volunteers,
    open_session,
    register_attendance_hook,
    save_module,
    save_programme,
    save_session,
)
from tests import factories
from tests.conftest import World
from tests.sessions_app.factories import BookingFactory, ModuleFactory, ProgrammeFactory, invite_free, session_at
from volunteers.models import ConsentPurpose, ConsentText, NetworkMembership, VolunteerProfile
from volunteers.services import grant_consent, pause_volunteer, publish_consent_text

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# A Monday morning in March, UK winter time (UK time is UTC until 29 March).
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# Invitations run for a week, rounded up to the hour: "answer by 10:00", never "09:30".
ON_THE_HOUR_A_WEEK_ON = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
# The session: Monday 16 March 2026, 10:00–12:00.
START = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
END = START + 2 * HOUR

SITE = settings.SITE_URL
BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status
Status = NetworkMembership.Status

FULL = "Sorry, this session is now full. Thank you for offering your time."
NO_LONGER_TAKING = "This session is no longer taking bookings."
EXPIRED = "This invitation has expired. Please contact the coordinator if you would still like to come."
NOT_PARTNERED = (
    "{name} is not an active volunteer of a network partnered with University A (they may be paused or have left)."
)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    """Time stands still at NOW unless a test moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hook_calls() -> Iterator[list[tuple[int, str, Decimal | None]]]:
    """An attendance hook recording (booking id, status, hours) of each booking it is called with."""
    calls: list[tuple[int, str, Decimal | None]] = []

    def hook(booking: Booking) -> None:
        calls.append((booking.pk, booking.status, booking.hours))

    register_attendance_hook(hook)
    yield calls
    services._ATTENDANCE_HOOKS.remove(hook)


# Helpers ----------------------------------------------------------------------------------------


def profile_of(user: User) -> VolunteerProfile:
    return VolunteerProfile.objects.select_related("user").get(user=user)


def volunteer_in(network: Any, name: str, status: str = Status.ACTIVE) -> VolunteerProfile:
    """A volunteer called ``name`` (email first.last@example.org) with a membership of ``network``."""
    email = f"{name.lower().replace(' ', '.')}@example.org"
    membership = factories.NetworkMembershipFactory(
        network=network, status=status, volunteer__user__name=name, volunteer__user__email=email
    )
    return membership.volunteer


def new_session(world: World, **fields: Any) -> TeachingSession:
    """An open session of University A owned by its coordinator, Monday 16 March 2026 10:00–12:00."""
    owner = fields.pop("owner", world.coordinator)
    return session_at(world.university, owner, **{"starts_at": START, "ends_at": END, **fields})


def booked(session: TeachingSession, profile: VolunteerProfile, status: str, **fields: Any) -> Booking:
    """A booking made directly (not through the services), for arranging a test."""
    if status != BookingStatus.INVITED:
        fields.setdefault("responded_at", NOW - DAY)
    return BookingFactory(session=session, volunteer=profile, status=status, **fields)


def queued() -> list[tuple[str, str, str]]:
    """Notification rows, oldest first: (template key, address, unique key)."""
    return [(row.template_key, row.email, row.unique_key) for row in Notification.objects.order_by("pk")]


def delivered() -> list[list[str]]:
    """Who each delivered email went to, in order of delivery."""
    return [message.to for message in mail.outbox]


def logged(action: str) -> list[tuple[int | None, str, str, int | None, dict[str, Any]]]:
    """ActivityLog rows with ``action``: (actor id, target model, target id, organisation id, data)."""
    return [
        (row.actor_id, row.content_type.model if row.content_type else "", row.object_id, row.organisation_id, row.data)
        for row in ActivityLog.objects.filter(action=action).order_by("pk")
    ]


def actions() -> list[str]:
    return list(ActivityLog.objects.order_by("pk").values_list("action", flat=True))


def snapshot() -> dict[str, Any]:
    """Every row the services may write, to show that a refusal changed nothing."""
    tracked: list[type[models.Model]] = [
        Programme,
        Module,
        Module.leads.through,
        TeachingSession,
        TeachingSession.preferred_tags.through,
        TeachingSession.required_consents.through,
        Booking,
        SessionMessage,
        CheckIn,
        ActivityLog,
        Notification,
        NetworkMembership,
    ]
    return {model.__name__: list(model._default_manager.order_by("pk").values()) for model in tracked}


def refused(message: str, call: Callable[[], object]) -> None:
    """``call`` raises SessionError with exactly ``message`` and leaves every row as it was."""
    before = snapshot()
    with pytest.raises(SessionError) as raised:
        call()
    assert str(raised.value) == message
    assert snapshot() == before


def token_in(notification: Notification) -> str:
    return str(notification.context["answer_url"]).rstrip("/").rsplit("/", 1)[-1]


# Programmes -------------------------------------------------------------------------------------


def test_save_programme_creates_and_records(world: World) -> None:
    programme = save_programme(
        university=world.university,
        actor=world.coordinator,
        name="BSc (Hons) Diagnostic Radiography",
        profession="Diagnostic radiography",
        regulator=Programme.Regulator.HCPC,
        academic_year="2026/27",
    )

    programme.refresh_from_db()
    assert (programme.university, programme.name, programme.profession, programme.regulator) == (
        world.university,
        "BSc (Hons) Diagnostic Radiography",
        "Diagnostic radiography",
        "hcpc",
    )
    assert programme.academic_year == "2026/27"
    assert logged("programme.created") == [
        (world.coordinator.pk, "programme", str(programme.pk), world.university.pk, {})
    ]


def test_save_programme_changes_an_existing_one(world: World) -> None:
    programme = ProgrammeFactory(university=world.university, name="BSc Nursing", academic_year="2026/27")

    save_programme(university=world.university, actor=world.coordinator, programme=programme, regulator="nmc")

    programme.refresh_from_db()
    assert (programme.name, programme.regulator, Programme.objects.count()) == ("BSc Nursing", "nmc", 1)
    assert logged("programme.changed") == [
        (world.coordinator.pk, "programme", str(programme.pk), world.university.pk, {})
    ]


def test_save_programme_duplicate_is_refused(world: World) -> None:
    ProgrammeFactory(university=world.university, name="BSc Nursing", academic_year="2026/27")

    refused(
        "University A already has BSc Nursing for 2026/27.",
        lambda: save_programme(
            university=world.university,
            actor=world.coordinator,
            name="BSc Nursing",
            profession="Adult nursing",
            regulator="nmc",
            academic_year="2026/27",
        ),
    )


def test_save_programme_renaming_onto_another_is_refused(world: World) -> None:
    ProgrammeFactory(university=world.university, name="BSc Nursing", academic_year="2026/27")
    other = ProgrammeFactory(university=world.university, name="MSc Nursing", academic_year="2026/27")

    refused(
        "University A already has BSc Nursing for 2026/27.",
        lambda: save_programme(
            university=world.university, actor=world.coordinator, programme=other, name="BSc Nursing"
        ),
    )
    other.refresh_from_db()
    assert other.name == "MSc Nursing"


def test_save_programme_same_name_another_year_or_university_is_fine(world: World) -> None:
    ProgrammeFactory(university=world.university, name="BSc Nursing", academic_year="2026/27")
    fields = {"name": "BSc Nursing", "profession": "Adult nursing", "regulator": "nmc"}

    save_programme(university=world.university, actor=world.coordinator, academic_year="2027/28", **fields)
    save_programme(university=world.other_university, actor=world.other_coordinator, academic_year="2026/27", **fields)

    assert sorted(Programme.objects.values_list("university__name", "academic_year")) == [
        ("University A", "2026/27"),
        ("University A", "2027/28"),
        ("University B", "2026/27"),
    ]


def test_save_programme_refused_for_a_charity(world: World) -> None:
    refused(
        "Programmes belong to universities.",
        lambda: save_programme(
            university=world.charity,
            actor=world.lead,
            name="BSc Nursing",
            profession="Adult nursing",
            regulator="nmc",
            academic_year="2026/27",
        ),
    )


# Modules ----------------------------------------------------------------------------------------


def test_save_module_creates_with_leads(world: World) -> None:
    programme = ProgrammeFactory(university=world.university)

    module = save_module(
        programme=programme,
        actor=world.coordinator,
        leads=[world.coordinator, world.admin],
        code="RAD101",
        title="Patient care in radiography",
        year_of_study=1,
    )

    module.refresh_from_db()
    assert (module.programme, module.code, module.title, module.year_of_study) == (
        programme,
        "RAD101",
        "Patient care in radiography",
        1,
    )
    assert sorted(module.leads.values_list("email", flat=True)) == [
        "admin@a.example.org",
        "coordinator@a.example.org",
    ]
    assert logged("module.created") == [(world.coordinator.pk, "module", str(module.pk), world.university.pk, {})]


def test_save_module_change_keeps_leads_unless_given(world: World) -> None:
    programme = ProgrammeFactory(university=world.university)
    module = save_module(
        programme=programme, actor=world.coordinator, leads=[world.admin], code="RAD101", title="Patient care"
    )

    save_module(programme=programme, actor=world.coordinator, module=module, title="Patient-centred care")
    module.refresh_from_db()
    assert (module.title, list(module.leads.all())) == ("Patient-centred care", [world.admin])

    save_module(programme=programme, actor=world.coordinator, module=module, leads=[])
    assert list(module.leads.all()) == []
    assert actions() == ["module.created", "module.changed", "module.changed"]


def test_save_module_duplicate_code_is_refused(world: World) -> None:
    programme = ProgrammeFactory(university=world.university, name="BSc Radiography", academic_year="2026/27")
    ModuleFactory(programme=programme, code="RAD101")

    refused(
        "BSc Radiography (2026/27) already has a module RAD101.",
        lambda: save_module(programme=programme, actor=world.coordinator, code="RAD101", title="Another"),
    )


def test_save_module_same_code_in_another_programme_is_fine(world: World) -> None:
    ModuleFactory(programme=ProgrammeFactory(university=world.university), code="RAD101")
    other = ProgrammeFactory(university=world.university)

    module = save_module(programme=other, actor=world.coordinator, code="RAD101", title="Patient care")

    assert (module.programme, Module.objects.filter(code="RAD101").count()) == (other, 2)


@pytest.mark.parametrize("who", ["lead", "other_coordinator", "volunteer", "outsider"])
def test_save_module_leads_must_be_university_staff(world: World, who: str) -> None:
    programme = ProgrammeFactory(university=world.university)

    refused(
        "Module leads must be staff of the university.",
        lambda: save_module(
            programme=programme,
            actor=world.coordinator,
            leads=[world.coordinator, getattr(world, who)],
            code="RAD101",
            title="Patient care",
        ),
    )


def test_save_module_bad_leads_leave_an_existing_module_alone(world: World) -> None:
    programme = ProgrammeFactory(university=world.university)
    module = save_module(
        programme=programme, actor=world.coordinator, leads=[world.admin], code="RAD101", title="Patient care"
    )

    refused(
        "Module leads must be staff of the university.",
        lambda: save_module(
            programme=programme, actor=world.coordinator, module=module, leads=[world.lead], title="Changed"
        ),
    )
    module.refresh_from_db()
    assert (module.title, list(module.leads.all())) == ("Patient care", [world.admin])


# Sessions: saving -------------------------------------------------------------------------------


def session_fields(world: World, **changes: Any) -> dict[str, Any]:
    module = ModuleFactory(programme=ProgrammeFactory(university=world.university))
    return {
        "module": module,
        "title": "Living with breast cancer",
        "kind": TeachingSession.Kind.TEACHING,
        "starts_at": START,
        "ends_at": END,
        "venue": "Room 1.01",
        "online_link": "",
        "places": 3,
        "briefing": "Please arrive ten minutes early.",
        "purpose": "Students hear what good care feels like.",
        "emotionally_demanding": True,
        "owner": world.coordinator,
        **changes,
    }


def test_save_session_creates_a_draft(world: World, consent_purposes: list[ConsentPurpose]) -> None:
    tag = factories.ExperienceTagFactory(network=world.charity, name="Breast cancer")
    fields = session_fields(world)

    session = save_session(
        actor=world.coordinator, preferred_tags=[tag], required_consents=consent_purposes[1:2], **fields
    )

    session.refresh_from_db()
    assert {field: getattr(session, field) for field in fields} == fields
    assert session.status == SessionStatus.DRAFT
    assert (list(session.preferred_tags.all()), list(session.required_consents.values_list("code", flat=True))) == (
        [tag],
        ["share-story"],
    )
    assert logged("session.created") == [
        (world.coordinator.pk, "teachingsession", str(session.pk), world.university.pk, {})
    ]
    assert queued() == []


def test_save_session_online_only_is_fine(world: World) -> None:
    session = save_session(
        actor=world.coordinator, **session_fields(world, venue="", online_link="https://meet.example.org/abc")
    )

    assert (session.venue, session.online_link, session.is_online) == ("", "https://meet.example.org/abc", True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": START - HOUR}, "The session must end after it starts."),
        ({"ends_at": START}, "The session must end after it starts."),
        ({"places": 0}, "A session needs at least one place."),
        ({"places": -2}, "A session needs at least one place."),
        ({"venue": "", "online_link": ""}, "Please give a venue, or an online link for an online session."),
        ({"colour": "blue", "status": "open"}, "Unknown session fields: colour, status."),
    ],
)
def test_save_session_bad_new_session_is_refused(world: World, changes: dict[str, Any], message: str) -> None:
    fields = session_fields(world, **changes)

    refused(message, lambda: save_session(actor=world.coordinator, **fields))
    assert TeachingSession.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": START - HOUR}, "The session must end after it starts."),
        ({"starts_at": END}, "The session must end after it starts."),
        ({"places": 0}, "A session needs at least one place."),
        ({"venue": ""}, "Please give a venue, or an online link for an online session."),
        ({"title": "New title", "cancelled_reason": "x"}, "Unknown session fields: cancelled_reason."),
    ],
)
def test_save_session_bad_change_is_refused(world: World, changes: dict[str, Any], message: str) -> None:
    session = new_session(world, title="Living with breast cancer")

    refused(message, lambda: save_session(actor=world.coordinator, session=session, **changes))
    session.refresh_from_db()
    assert (session.title, session.starts_at, session.ends_at, session.places) == (
        "Living with breast cancer",
        START,
        END,
        2,
    )


def test_save_session_places_below_accepted_are_refused(world: World) -> None:
    session = new_session(world, places=3)
    booked(session, volunteer_in(world.charity, "Ann Ames"), BookingStatus.ACCEPTED)
    booked(session, volunteer_in(world.charity, "Bob Baker"), BookingStatus.ACCEPTED)
    booked(session, volunteer_in(world.charity, "Cat Cole"), BookingStatus.INVITED)

    refused(
        "2 volunteers have already accepted, so the session needs at least 2 places.",
        lambda: save_session(actor=world.coordinator, session=session, places=1),
    )

    save_session(actor=world.coordinator, session=session, places=2)
    session.refresh_from_db()
    assert session.places == 2


@pytest.mark.parametrize("status", [SessionStatus.COMPLETED, SessionStatus.CANCELLED])
def test_save_session_over_is_refused(world: World, status: str) -> None:
    session = new_session(world, status=status)

    refused(
        f"This session is {status} and can no longer be changed.",
        lambda: save_session(actor=world.coordinator, session=session, title="Changed"),
    )


def test_save_session_tags_of_a_network_not_partnered_are_refused(world: World) -> None:
    ours = factories.ExperienceTagFactory(network=world.charity, name="Breast cancer")
    theirs = factories.ExperienceTagFactory(network=world.other_charity, name="Stroke")
    fields = session_fields(world)

    refused(
        "Preferred experience must come from a partner network's list.",
        lambda: save_session(actor=world.coordinator, preferred_tags=[ours, theirs], **fields),
    )
    assert TeachingSession.objects.count() == 0


def test_save_session_bad_tags_leave_an_existing_session_alone(world: World) -> None:
    ours = factories.ExperienceTagFactory(network=world.charity, name="Breast cancer")
    theirs = factories.ExperienceTagFactory(network=world.other_charity, name="Stroke")
    session = new_session(world, title="Before")
    session.preferred_tags.set([ours])

    refused(
        "Preferred experience must come from a partner network's list.",
        lambda: save_session(actor=world.coordinator, session=session, preferred_tags=[theirs], title="After"),
    )
    assert (TeachingSession.objects.get().title, list(session.preferred_tags.all())) == ("Before", [ours])


def test_save_session_changes_tags_and_consents_only_when_given(
    world: World, consent_purposes: list[ConsentPurpose]
) -> None:
    first = factories.ExperienceTagFactory(network=world.charity, name="Breast cancer")
    second = factories.ExperienceTagFactory(network=world.charity, name="Radiotherapy")
    session = new_session(world)
    session.preferred_tags.set([first])
    session.required_consents.set(consent_purposes[:1])

    save_session(actor=world.coordinator, session=session, title="Changed")
    assert (list(session.preferred_tags.all()), session.required_consents.count()) == ([first], 1)

    save_session(actor=world.coordinator, session=session, preferred_tags=[second], required_consents=[])
    assert (list(session.preferred_tags.all()), session.required_consents.count()) == ([second], 0)
    assert actions() == ["session.changed", "session.changed"]


@pytest.fixture
def people_booked(world: World) -> Callable[[TeachingSession], dict[str, Booking]]:
    """Two accepted volunteers, one invited and one who declined, on a session."""

    def book(session: TeachingSession) -> dict[str, Booking]:
        return {
            "ann": booked(session, volunteer_in(world.charity, "Ann Ames"), BookingStatus.ACCEPTED),
            "bob": booked(session, volunteer_in(world.charity, "Bob Baker"), BookingStatus.ACCEPTED),
            "cat": booked(session, volunteer_in(world.charity, "Cat Cole"), BookingStatus.INVITED),
            "dan": booked(session, volunteer_in(world.charity, "Dan Dale"), BookingStatus.DECLINED),
        }

    return book


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": START + HOUR, "ends_at": END + HOUR},
        {"ends_at": END + HOUR},
        {"venue": "Room 2.02"},
    ],
)
def test_save_session_time_or_venue_change_emails_accepted_volunteers(
    world: World,
    changes: dict[str, Any],
    people_booked: Callable[[TeachingSession], dict[str, Booking]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = new_session(world, places=3)
    bookings = people_booked(session)

    with django_capture_on_commit_callbacks(execute=True):
        save_session(actor=world.coordinator, session=session, **changes)

    [log] = ActivityLog.objects.filter(action="session.changed")
    assert queued() == [
        (
            "sessions_app/session_changed",
            "ann.ames@example.org",
            f"session-changed:{session.pk}:{log.pk}:{bookings['ann'].pk}",
        ),
        (
            "sessions_app/session_changed",
            "bob.baker@example.org",
            f"session-changed:{session.pk}:{log.pk}:{bookings['bob'].pk}",
        ),
    ]
    assert delivered() == [["ann.ames@example.org"], ["bob.baker@example.org"]]


def test_save_session_change_email_says_the_new_time_and_place(
    world: World, people_booked: Callable[[TeachingSession], dict[str, Booking]]
) -> None:
    session = new_session(world, places=3, title="Living with breast cancer")
    people_booked(session)

    save_session(
        actor=world.coordinator, session=session, starts_at=START + HOUR, ends_at=END + HOUR, venue="Room 2.02"
    )

    assert Notification.objects.order_by("pk").first().context == {  # type: ignore[union-attr]
        "session": "Living with breast cancer",
        "when": "Monday 16 March 2026, 11:00–13:00",
        "where": "Room 2.02",
        "university": "University A",
        "name": "Ann Ames",
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "A new title"},
        {"briefing": "Bring your own lunch.", "purpose": "New purpose", "places": 5},
        {"starts_at": START, "ends_at": END, "venue": "Room 1.01, Health Sciences Building"},
    ],
)
def test_save_session_other_changes_email_nobody(
    world: World,
    changes: dict[str, Any],
    people_booked: Callable[[TeachingSession], dict[str, Booking]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = new_session(world, places=3)
    people_booked(session)

    with django_capture_on_commit_callbacks(execute=True):
        save_session(actor=world.coordinator, session=session, **changes)

    assert (queued(), delivered(), actions()) == ([], [], ["session.changed"])


def test_save_session_two_changes_in_a_row_each_email(
    world: World, people_booked: Callable[[TeachingSession], dict[str, Booking]]
) -> None:
    """Even within the same second, each change of place is a new email."""
    session = new_session(world, places=3)
    people_booked(session)

    save_session(actor=world.coordinator, session=session, venue="Room 2.02")
    save_session(actor=world.coordinator, session=session, venue="Room 3.03")

    assert [row.context["where"] for row in Notification.objects.order_by("pk")] == [
        "Room 2.02",
        "Room 2.02",
        "Room 3.03",
        "Room 3.03",
    ]


# Sessions: copying, opening, cancelling ---------------------------------------------------------


def test_copy_session_makes_a_draft_at_the_new_time(world: World, consent_purposes: list[ConsentPurpose]) -> None:
    tag = factories.ExperienceTagFactory(network=world.charity, name="Breast cancer")
    original = new_session(
        world,
        title="Living with breast cancer",
        kind=TeachingSession.Kind.SIMULATED_PATIENT,
        online_link="https://meet.example.org/abc",
        places=4,
        emotionally_demanding=True,
        status=SessionStatus.COMPLETED,
        owner=world.admin,
    )
    original.preferred_tags.set([tag])
    original.required_consents.set(consent_purposes[1:3])
    booked(original, profile_of(world.volunteer), BookingStatus.ATTENDED)
    next_year = START + 364 * DAY

    copy = copy_session(session=original, actor=world.coordinator, starts_at=next_year, ends_at=next_year + 3 * HOUR)

    copy.refresh_from_db()
    same = ["module", "title", "kind", "venue", "online_link", "places", "briefing", "purpose", "emotionally_demanding"]
    assert {field: getattr(copy, field) for field in same} == {field: getattr(original, field) for field in same}
    assert (copy.pk != original.pk, copy.starts_at, copy.ends_at, copy.status, copy.owner) == (
        True,
        next_year,
        next_year + 3 * HOUR,
        SessionStatus.DRAFT,
        world.coordinator,
    )
    assert (list(copy.preferred_tags.all()), sorted(copy.required_consents.values_list("code", flat=True))) == (
        [tag],
        ["recording", "share-story"],
    )
    assert (copy.bookings.count(), original.bookings.count()) == (0, 1)
    assert actions() == ["session.created", "session.copied"]
    assert logged("session.copied") == [
        (world.coordinator.pk, "teachingsession", str(copy.pk), world.university.pk, {"from": original.pk})
    ]


def test_copy_session_bad_times_are_refused(world: World) -> None:
    original = new_session(world)

    refused(
        "The session must end after it starts.",
        lambda: copy_session(session=original, actor=world.coordinator, starts_at=START + 7 * DAY, ends_at=START),
    )


def test_open_session_opens_a_draft(world: World) -> None:
    session = new_session(world, status=SessionStatus.DRAFT)

    open_session(session=session, actor=world.coordinator)

    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN
    assert logged("session.opened") == [
        (world.coordinator.pk, "teachingsession", str(session.pk), world.university.pk, {})
    ]


@pytest.mark.parametrize("status", [SessionStatus.OPEN, SessionStatus.COMPLETED, SessionStatus.CANCELLED])
def test_open_session_only_drafts(world: World, status: str) -> None:
    session = new_session(world, status=status)

    refused("Only a draft session can be opened.", lambda: open_session(session=session, actor=world.coordinator))


@pytest.mark.parametrize("starts_at", [NOW, NOW - DAY])
def test_open_session_past_is_refused(world: World, starts_at: datetime.datetime) -> None:
    session = new_session(world, status=SessionStatus.DRAFT, starts_at=starts_at, ends_at=starts_at + HOUR)

    refused("This session has already started.", lambda: open_session(session=session, actor=world.coordinator))


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_cancel_session_needs_a_reason(world: World, reason: str) -> None:
    session = new_session(world)
    booked(session, profile_of(world.volunteer), BookingStatus.ACCEPTED)

    refused(
        "Please say why the session is cancelled: volunteers will read it.",
        lambda: cancel_session(session=session, actor=world.coordinator, reason=reason),
    )


def test_cancel_session_cancels_and_tells_invited_and_accepted(
    world: World,
    people_booked: Callable[[TeachingSession], dict[str, Booking]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = new_session(world, places=3)
    bookings = people_booked(session)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_session(session=session, actor=world.coordinator, reason="  The lecturer is unwell.  ")

    session.refresh_from_db()
    assert (session.status, session.cancelled_reason) == (SessionStatus.CANCELLED, "The lecturer is unwell.")
    rows = Booking.objects.order_by("pk").values_list("status", "cancelled_at", "cancelled_by", "cancel_reason")
    cancelled = (BookingStatus.CANCELLED, NOW, world.coordinator.pk, "The lecturer is unwell.")
    assert list(rows) == [cancelled, cancelled, cancelled, (BookingStatus.DECLINED, None, None, "")]
    assert queued() == [
        (
            "sessions_app/session_cancelled",
            "ann.ames@example.org",
            f"session-cancelled:{session.pk}:booking:{bookings['ann'].pk}",
        ),
        (
            "sessions_app/session_cancelled",
            "bob.baker@example.org",
            f"session-cancelled:{session.pk}:booking:{bookings['bob'].pk}",
        ),
        (
            "sessions_app/session_cancelled",
            "cat.cole@example.org",
            f"session-cancelled:{session.pk}:booking:{bookings['cat'].pk}",
        ),
    ]
    assert Notification.objects.order_by("pk").first().context["reason"] == "The lecturer is unwell."  # type: ignore[union-attr]
    assert delivered() == [["ann.ames@example.org"], ["bob.baker@example.org"], ["cat.cole@example.org"]]
    assert logged("session.cancelled") == [
        (world.coordinator.pk, "teachingsession", str(session.pk), world.university.pk, {})
    ]


def test_cancel_session_a_draft_without_bookings(world: World) -> None:
    session = new_session(world, status=SessionStatus.DRAFT)

    cancel_session(session=session, actor=world.coordinator, reason="Not needed this year.")

    session.refresh_from_db()
    assert (session.status, queued()) == (SessionStatus.CANCELLED, [])


@pytest.mark.parametrize("status", [SessionStatus.COMPLETED, SessionStatus.CANCELLED])
def test_cancel_session_over_is_refused(world: World, status: str) -> None:
    session = new_session(world, status=status)

    refused(
        f"This session is already {status}.",
        lambda: cancel_session(session=session, actor=world.coordinator, reason="Oops."),
    )


# Invitations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (
            SessionStatus.DRAFT,
            "This session is still a draft. Open it from the session page, and suggestions will appear here.",
        ),
        (SessionStatus.COMPLETED, "This session has taken place, so nobody can be invited to it."),
        (SessionStatus.CANCELLED, "This session was cancelled, so nobody can be invited to it."),
    ],
)
def test_invite_volunteers_session_not_open_is_refused(world: World, status: str, reason: str) -> None:
    session = new_session(world, status=status)

    refused(
        reason,
        lambda: invite_free(session=session, volunteers=[profile_of(world.volunteer)], actor=world.coordinator),
    )


def test_invite_volunteers_started_session_is_refused(world: World) -> None:
    session = new_session(world, starts_at=NOW, ends_at=NOW + HOUR)

    refused(
        "This session has already started, so nobody can be invited to it now.",
        lambda: invite_free(session=session, volunteers=[profile_of(world.volunteer)], actor=world.coordinator),
    )


def test_invite_volunteers_nobody_chosen_is_refused(world: World) -> None:
    session = new_session(world)

    refused(
        "Please choose at least one volunteer to invite.",
        lambda: invite_free(session=session, volunteers=[], actor=world.coordinator),
    )


@pytest.mark.parametrize(
    ("earlier", "reason"),
    [
        (BookingStatus.INVITED, "Ann Ames has already been invited to this session and can still answer."),
        (BookingStatus.ACCEPTED, "Ann Ames already has a place on this session (accepted)."),
        (
            BookingStatus.CANCELLED,
            "Ann Ames cancelled their place on this session. To invite them again after talking with them, "
            "use “Invite again” on the session page.",
        ),
    ],
)
def test_invite_volunteers_already_booked_is_refused(world: World, earlier: str, reason: str) -> None:
    session = new_session(world)
    ann = volunteer_in(world.charity, "Ann Ames")
    booked(session, ann, earlier)

    refused(
        reason,
        lambda: invite_free(session=session, volunteers=[profile_of(world.volunteer), ann], actor=world.coordinator),
    )


@pytest.mark.parametrize("status", [Status.PAUSED, Status.LEFT, Status.APPLICANT, Status.DECLINED])
def test_invite_volunteers_volunteer_not_active_is_refused(world: World, status: str) -> None:
    session = new_session(world)
    paused = volunteer_in(world.charity, "Pat Pugh", status=status)

    refused(
        NOT_PARTNERED.format(name="Pat Pugh"),
        lambda: invite_free(session=session, volunteers=[profile_of(world.volunteer), paused], actor=world.coordinator),
    )


def test_invite_volunteers_from_a_network_not_partnered_is_refused(world: World) -> None:
    session = new_session(world)
    stranger = volunteer_in(world.other_charity, "Sam Stone")

    refused(
        NOT_PARTNERED.format(name="Sam Stone"),
        lambda: invite_free(
            session=session, volunteers=[profile_of(world.volunteer), stranger], actor=world.coordinator
        ),
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(datetime.date(2024, 1, 1), datetime.date(2026, 3, 1)), (datetime.date(2026, 3, 3), None)],
)
def test_invite_volunteers_partnership_not_active_today_is_refused(
    world: World, starts_on: datetime.date, ends_on: datetime.date | None
) -> None:
    Partnership.objects.filter(network=world.charity, university=world.university).update(
        starts_on=starts_on, ends_on=ends_on
    )
    session = new_session(world)
    profile = profile_of(world.volunteer)

    refused(
        NOT_PARTNERED.format(name=profile.display_name),
        lambda: invite_free(session=session, volunteers=[profile], actor=world.coordinator),
    )


def test_invite_volunteers_partnership_ending_today_still_counts(world: World) -> None:
    Partnership.objects.filter(network=world.charity, university=world.university).update(
        ends_on=datetime.date(2026, 3, 2)
    )
    session = new_session(world)

    [booking] = invite_free(session=session, volunteers=[profile_of(world.volunteer)], actor=world.coordinator)

    assert booking.status == BookingStatus.INVITED


def test_invite_volunteers_active_elsewhere_too_is_fine(world: World) -> None:
    """Paused in one partnered network but active in another: still findable."""
    profile = profile_of(world.volunteer)
    second = factories.CharityFactory(name="Charity C")
    factories.PartnershipFactory(network=second, university=world.university)
    factories.NetworkMembershipFactory(volunteer=profile, network=second, status=Status.PAUSED)
    session = new_session(world)

    [booking] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)

    assert booking.volunteer == profile


def test_invite_volunteers_invites_and_emails_each(world: World, django_capture_on_commit_callbacks: Any) -> None:
    session = new_session(world, title="Living with breast cancer")
    ann = volunteer_in(world.charity, "Ann Ames")
    bob = volunteer_in(world.charity, "Bob Baker")

    with django_capture_on_commit_callbacks(execute=True):
        bookings = invite_free(session=session, volunteers=[ann, bob], actor=world.coordinator)

    rows = Booking.objects.order_by("pk")
    assert list(rows) == bookings
    assert [
        (b.session, b.volunteer, b.status, b.invited_by, b.invitation_expires_at, b.responded_at) for b in rows
    ] == [
        (session, ann, BookingStatus.INVITED, world.coordinator, ON_THE_HOUR_A_WEEK_ON, None),
        (session, bob, BookingStatus.INVITED, world.coordinator, ON_THE_HOUR_A_WEEK_ON, None),
    ]
    assert logged("booking.invited") == [
        (
            world.coordinator.pk,
            "booking",
            str(b.pk),
            world.university.pk,
            {"session": session.pk, "volunteer": v.pk, "round": 1},
        )
        for b, v in [(bookings[0], ann), (bookings[1], bob)]
    ]
    assert queued() == [
        ("sessions_app/invitation", "ann.ames@example.org", f"invitation:booking:{bookings[0].pk}"),
        ("sessions_app/invitation", "bob.baker@example.org", f"invitation:booking:{bookings[1].pk}"),
    ]
    first = Notification.objects.order_by("pk").first()
    assert first is not None
    assert first.context == {
        "session": "Living with breast cancer",
        "when": "Monday 16 March 2026, 10:00–12:00",
        "where": "Room 1.01, Health Sciences Building",
        "university": "University A",
        "name": "Ann Ames",
        "kind": "Teaching or storytelling",
        "expires": "Monday 9 March 2026, 10:00",
        "answer_url": f"{SITE}/invitation/{token_in(first)}/",
        "covered": [
            ["University A has not set its rates yet; the coordinator can tell you what is paid.", ""],
            ["Claim within 3 months of the session, by Tuesday 16 June 2026.", ""],
            ["How a fee can affect your benefits", f"{SITE}/money/fees-and-benefits/"],
        ],
    }
    assert delivered() == [["ann.ames@example.org"], ["bob.baker@example.org"]]
    assert [first.context["answer_url"] in message.body for message in mail.outbox] == [True, False]


def test_invite_volunteers_emailed_link_token_round_trips(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    session = new_session(world)
    with django_capture_on_commit_callbacks(execute=True):
        [booking] = invite_free(session=session, volunteers=[profile_of(world.volunteer)], actor=world.coordinator)

    [message] = mail.outbox
    [token] = re.findall(rf"{re.escape(SITE)}/invitation/([^/\s]+)/", message.body)
    found = booking_from_token(token)

    assert (found, found.session, found.volunteer.user) == (booking, session, world.volunteer)
    assert token == token_in(Notification.objects.get())


def test_invite_volunteers_expiry_is_at_the_latest_the_start(world: World) -> None:
    soon = NOW + 3 * DAY
    session = new_session(world, starts_at=soon, ends_at=soon + HOUR)

    [booking] = invite_free(session=session, volunteers=[profile_of(world.volunteer)], actor=world.coordinator)

    assert booking.invitation_expires_at == soon
    assert Notification.objects.get().context["expires"] == "Thursday 5 March 2026, 09:30"


def test_booking_from_token_tampered_is_refused(world: World) -> None:
    booking = booked(new_session(world), profile_of(world.volunteer), BookingStatus.INVITED)
    token = invitation_token(booking)

    for bad in [token[:-1] + ("A" if token[-1] != "A" else "B"), token[:10], "nonsense", ""]:
        with pytest.raises(SessionError) as raised:
            booking_from_token(bad)
        assert str(raised.value) == "This invitation link is not valid. Please check you copied all of it."


def test_booking_from_token_of_another_purpose_is_refused(world: World) -> None:
    booking = booked(new_session(world), profile_of(world.volunteer), BookingStatus.INVITED)
    forged = signing.dumps({"booking": booking.pk}, salt="sessions_app.check-in", compress=True)

    with pytest.raises(SessionError) as raised:
        booking_from_token(forged)
    assert str(raised.value) == "This invitation link is not valid. Please check you copied all of it."


def test_booking_from_token_older_than_60_days_is_refused(world: World, frozen: time_machine.Traveller) -> None:
    booking = booked(new_session(world), profile_of(world.volunteer), BookingStatus.INVITED)
    token = invitation_token(booking)

    frozen.move_to(NOW + 60 * DAY - datetime.timedelta(seconds=1))
    assert booking_from_token(token) == booking
    frozen.move_to(NOW + 60 * DAY + datetime.timedelta(seconds=2))
    with pytest.raises(SessionError) as raised:
        booking_from_token(token)
    assert str(raised.value) == "This invitation link has expired."


def test_booking_from_token_of_a_removed_booking(world: World) -> None:
    booking = booked(new_session(world), profile_of(world.volunteer), BookingStatus.INVITED)
    token = invitation_token(booking)
    booking.delete()

    with pytest.raises(SessionError) as raised:
        booking_from_token(token)
    assert str(raised.value) == "This invitation no longer exists."


# Accepting --------------------------------------------------------------------------------------


@pytest.fixture
def invitation(world: World) -> Booking:
    """The world's volunteer invited (through the service) to an open session with two places."""
    session = new_session(world, title="Living with breast cancer")
    [booking] = invite_free(session=session, volunteers=[profile_of(world.volunteer)], actor=world.coordinator)
    Notification.objects.all().delete()
    ActivityLog.objects.all().delete()
    return booking


def test_accept_invitation_accepts_and_confirms(
    world: World, invitation: Booking, django_capture_on_commit_callbacks: Any, frozen: time_machine.Traveller
) -> None:
    frozen.move_to(NOW + HOUR)

    with django_capture_on_commit_callbacks(execute=True):
        result = accept_invitation(booking=invitation, actor=world.volunteer)

    invitation.refresh_from_db()
    assert (result, invitation.status, invitation.responded_at) == (invitation, BookingStatus.ACCEPTED, NOW + HOUR)
    assert logged("booking.accepted") == [
        (world.volunteer.pk, "booking", str(invitation.pk), world.university.pk, {"from": "invited", "to": "accepted"})
    ]
    assert queued() == [
        ("sessions_app/booking_confirmed", world.volunteer.email, f"booking-confirmed:{invitation.pk}"),
        ("sessions_app/booking_accepted_owner", world.coordinator.email, f"booking-accepted:{invitation.pk}:owner"),
    ]
    assert Notification.objects.get(template_key="sessions_app/booking_confirmed").context == {
        "session": "Living with breast cancer",
        "when": "Monday 16 March 2026, 10:00–12:00",
        "where": "Room 1.01, Health Sciences Building",
        "university": "University A",
        "name": world.volunteer.name,
        "booking": invitation.pk,
        "briefing": "Please arrive ten minutes early.",
        "my_sessions_url": f"{SITE}/my-sessions/",
    }
    message, _to_coordinator = mail.outbox
    assert (message.to, [(name, mimetype) for name, _, mimetype in message.attachments]) == (
        [world.volunteer.email],
        [("session.ics", "text/calendar")],
    )


def test_accept_invitation_through_the_link_without_signing_in(world: World, invitation: Booking) -> None:
    accept_invitation(booking=booking_from_token(invitation_token(invitation)), actor=None)

    invitation.refresh_from_db()
    assert invitation.status == BookingStatus.ACCEPTED
    assert logged("booking.accepted") == [
        (None, "booking", str(invitation.pk), world.university.pk, {"from": "invited", "to": "accepted"})
    ]


def test_accept_invitation_twice_is_harmless(world: World, invitation: Booking, frozen: time_machine.Traveller) -> None:
    accept_invitation(booking=invitation, actor=world.volunteer)
    frozen.move_to(NOW + DAY)

    again = accept_invitation(booking=invitation, actor=world.volunteer)

    again.refresh_from_db()
    assert (again.status, again.responded_at) == (BookingStatus.ACCEPTED, NOW)
    assert (actions(), [row[0] for row in queued()]) == (
        ["booking.accepted"],
        ["sessions_app/booking_confirmed", "sessions_app/booking_accepted_owner"],
    )


@pytest.mark.parametrize("after", [datetime.timedelta(0), datetime.timedelta(days=2)])
def test_accept_invitation_expired_is_refused(
    world: World, invitation: Booking, frozen: time_machine.Traveller, after: datetime.timedelta
) -> None:
    frozen.move_to(invitation.invitation_expires_at + after)

    refused(EXPIRED, lambda: accept_invitation(booking=invitation, actor=world.volunteer))


def test_accept_invitation_expired_by_the_job_says_so(
    world: World, invitation: Booking, frozen: time_machine.Traveller
) -> None:
    frozen.move_to(invitation.invitation_expires_at)
    expire_invitations()

    refused(EXPIRED, lambda: accept_invitation(booking=invitation, actor=world.volunteer))


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (BookingStatus.DECLINED, "declined"),
        (BookingStatus.CANCELLED, "cancelled"),
        (BookingStatus.ATTENDED, "attended"),
        (BookingStatus.NO_SHOW, "did not attend"),
    ],
)
def test_accept_invitation_already_answered_is_refused(
    world: World, invitation: Booking, status: str, shown: str
) -> None:
    Booking.objects.filter(pk=invitation.pk).update(status=status)

    refused(
        f"This invitation has already been answered ({shown}).",
        lambda: accept_invitation(booking=invitation, actor=world.volunteer),
    )


@pytest.mark.parametrize("status", [SessionStatus.DRAFT, SessionStatus.COMPLETED, SessionStatus.CANCELLED])
def test_accept_invitation_session_not_open_is_refused(world: World, invitation: Booking, status: str) -> None:
    TeachingSession.objects.filter(pk=invitation.session_id).update(status=status)

    refused(NO_LONGER_TAKING, lambda: accept_invitation(booking=invitation, actor=world.volunteer))


def test_accept_invitation_session_started_is_refused(world: World) -> None:
    session = new_session(world, starts_at=NOW - HOUR, ends_at=NOW + HOUR)
    booking = booked(session, profile_of(world.volunteer), BookingStatus.INVITED, invitation_expires_at=NOW + DAY)

    refused(NO_LONGER_TAKING, lambda: accept_invitation(booking=booking, actor=world.volunteer))


@pytest.mark.parametrize(
    "holding", [[BookingStatus.ACCEPTED, BookingStatus.ACCEPTED], [BookingStatus.ACCEPTED, BookingStatus.ATTENDED]]
)
def test_accept_invitation_full_session_is_refused(world: World, invitation: Booking, holding: list[str]) -> None:
    for name, status in zip(["Ann Ames", "Bob Baker"], holding, strict=True):
        booked(invitation.session, volunteer_in(world.charity, name), status)

    refused(FULL, lambda: accept_invitation(booking=invitation, actor=world.volunteer))


@pytest.mark.parametrize(
    "others", [BookingStatus.INVITED, BookingStatus.DECLINED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW]
)
def test_accept_invitation_places_not_taken_by_others(world: World, invitation: Booking, others: str) -> None:
    booked(invitation.session, volunteer_in(world.charity, "Ann Ames"), BookingStatus.ACCEPTED)
    booked(invitation.session, volunteer_in(world.charity, "Bob Baker"), others)

    assert accept_invitation(booking=invitation, actor=world.volunteer).status == BookingStatus.ACCEPTED


def other_session_at(world: World, starts_at: datetime.datetime, ends_at: datetime.datetime) -> TeachingSession:
    return new_session(world, title="Another session", starts_at=starts_at, ends_at=ends_at)


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        (START + HOUR, END + HOUR),  # starts during
        (START - HOUR, START + datetime.timedelta(minutes=1)),  # ends during
        (START - HOUR, END + HOUR),  # around it
        (START + datetime.timedelta(minutes=30), START + HOUR),  # inside it
        (START, END),  # the same time
    ],
)
def test_accept_invitation_overlapping_accepted_booking_is_refused(
    world: World, invitation: Booking, starts_at: datetime.datetime, ends_at: datetime.datetime
) -> None:
    booked(other_session_at(world, starts_at, ends_at), profile_of(world.volunteer), BookingStatus.ACCEPTED)

    refused(
        "You are already booked into “Another session” at that time.",
        lambda: accept_invitation(booking=invitation, actor=world.volunteer),
    )


@pytest.mark.parametrize(("starts_at", "ends_at"), [(END, END + HOUR), (START - HOUR, START)])
def test_accept_invitation_touching_booking_is_fine(
    world: World, invitation: Booking, starts_at: datetime.datetime, ends_at: datetime.datetime
) -> None:
    booked(other_session_at(world, starts_at, ends_at), profile_of(world.volunteer), BookingStatus.ACCEPTED)

    assert accept_invitation(booking=invitation, actor=world.volunteer).status == BookingStatus.ACCEPTED


@pytest.mark.parametrize("status", [BookingStatus.INVITED, BookingStatus.DECLINED, BookingStatus.CANCELLED])
def test_accept_invitation_overlapping_booking_not_accepted_is_fine(
    world: World, invitation: Booking, status: str
) -> None:
    booked(other_session_at(world, START, END), profile_of(world.volunteer), status)

    assert accept_invitation(booking=invitation, actor=world.volunteer).status == BookingStatus.ACCEPTED


@pytest.fixture
def needs_story_consent(world: World, invitation: Booking, consent_purposes: list[ConsentPurpose]) -> ConsentText:
    """The session needs "Share my story with students"; its wording is published (version 1)."""
    text = factories.ConsentTextFactory(network=world.charity, organisations=[world.university, world.charity])
    invitation.session.required_consents.set([text.purpose])
    return text


CONSENT_NEEDED = "This session needs your consent to: Share my story with students. Please review your consents first."


def test_accept_invitation_missing_consent_is_refused_until_granted(
    world: World, invitation: Booking, needs_story_consent: ConsentText
) -> None:
    refused(CONSENT_NEEDED, lambda: accept_invitation(booking=invitation, actor=world.volunteer))

    grant_consent(profile=profile_of(world.volunteer), text=needs_story_consent, actor=world.volunteer)

    assert accept_invitation(booking=invitation, actor=world.volunteer).status == BookingStatus.ACCEPTED


def test_accept_invitation_consent_to_old_wording_is_refused_until_current_granted(
    world: World, invitation: Booking, needs_story_consent: ConsentText
) -> None:
    profile = profile_of(world.volunteer)
    grant_consent(profile=profile, text=needs_story_consent, actor=world.volunteer)
    current = publish_consent_text(
        purpose=needs_story_consent.purpose,
        network=world.charity,
        text="New wording.",
        organisations=[world.university],
        actor=factories.staff(Membership.Role.ADMIN, world.charity, email="admin@charity-a.example.org"),
    )

    refused(CONSENT_NEEDED, lambda: accept_invitation(booking=invitation, actor=world.volunteer))

    grant_consent(profile=profile, text=current, actor=world.volunteer)
    assert accept_invitation(booking=invitation, actor=world.volunteer).status == BookingStatus.ACCEPTED


def test_accept_invitation_withdrawn_consent_is_refused(
    world: World, invitation: Booking, needs_story_consent: ConsentText
) -> None:
    from volunteers.services import withdraw_consent

    profile = profile_of(world.volunteer)
    grant_consent(profile=profile, text=needs_story_consent, actor=world.volunteer)
    withdraw_consent(profile=profile, purpose=needs_story_consent.purpose, network=world.charity, actor=world.volunteer)

    refused(CONSENT_NEEDED, lambda: accept_invitation(booking=invitation, actor=world.volunteer))


def test_accept_invitation_needs_a_grant_of_wording_naming_the_sessions_university(
    world: World, invitation: Booking, needs_story_consent: ConsentText
) -> None:
    """Consent covers only the organisations named: wording naming only the charity is not
    consent for University A's session."""
    charity_only = factories.ConsentTextFactory(network=world.charity, organisations=[world.charity])
    grant_consent(profile=profile_of(world.volunteer), text=charity_only, actor=world.volunteer)

    refused(CONSENT_NEEDED, lambda: accept_invitation(booking=invitation, actor=world.volunteer))


def test_accept_invitation_volunteer_paused_since_is_refused(world: World, invitation: Booking) -> None:
    profile = profile_of(world.volunteer)
    pause_volunteer(profile=profile, actor=world.volunteer)

    refused(
        NOT_PARTNERED.format(name=profile.display_name),
        lambda: accept_invitation(booking=invitation, actor=world.volunteer),
    )


def test_accept_invitation_partnership_ended_since_is_refused(world: World, invitation: Booking) -> None:
    Partnership.objects.filter(network=world.charity).update(ends_on=datetime.date(2026, 3, 1))

    refused(
        NOT_PARTNERED.format(name=profile_of(world.volunteer).display_name),
        lambda: accept_invitation(booking=invitation, actor=world.volunteer),
    )


# Declining and expiry ---------------------------------------------------------------------------


def test_decline_invitation_declines(world: World, invitation: Booking, frozen: time_machine.Traveller) -> None:
    frozen.move_to(NOW + HOUR)

    decline_invitation(booking=invitation, actor=world.volunteer)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.responded_at) == (BookingStatus.DECLINED, NOW + HOUR)
    assert logged("booking.declined") == [
        (world.volunteer.pk, "booking", str(invitation.pk), world.university.pk, {"from": "invited", "to": "declined"})
    ]
    assert queued() == [
        ("sessions_app/booking_declined_owner", world.coordinator.email, f"booking-declined:{invitation.pk}:owner")
    ]


def test_decline_invitation_twice_is_harmless(world: World, invitation: Booking) -> None:
    decline_invitation(booking=invitation, actor=None)
    before = snapshot()

    decline_invitation(booking=invitation, actor=world.volunteer)

    assert snapshot() == before


def test_decline_invitation_accepted_is_refused(world: World, invitation: Booking) -> None:
    accept_invitation(booking=invitation, actor=world.volunteer)

    refused(
        "This invitation has already been answered (accepted).",
        lambda: decline_invitation(booking=invitation, actor=world.volunteer),
    )


def test_decline_invitation_frees_nothing_and_cannot_then_accept(world: World, invitation: Booking) -> None:
    decline_invitation(booking=invitation, actor=world.volunteer)

    refused(
        "This invitation has already been answered (declined).",
        lambda: accept_invitation(booking=invitation, actor=world.volunteer),
    )


def test_invitation_deadlines_are_on_the_hour_and_never_after_the_session_starts(
    world: World, frozen: time_machine.Traveller
) -> None:
    soon_start = NOW + 2 * DAY + datetime.timedelta(minutes=15)
    soon = new_session(world, starts_at=soon_start, ends_at=soon_start + 2 * datetime.timedelta(hours=1))
    later = new_session(world)
    ann, bob = (volunteer_in(world.charity, name) for name in ["Ann Ames", "Bob Baker"])
    frozen.move_to(NOW.replace(hour=23, minute=0, second=0, microsecond=1))

    [at_soon] = invite_free(session=soon, volunteers=[ann], actor=world.coordinator)
    [at_later] = invite_free(session=later, volunteers=[bob], actor=world.coordinator)

    assert at_soon.invitation_expires_at == soon.starts_at
    assert at_later.invitation_expires_at == datetime.datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


def test_expire_invitations_at_the_expiry_time(world: World, frozen: time_machine.Traveller) -> None:
    session = new_session(world)
    ann, bob, cat = (volunteer_in(world.charity, name) for name in ["Ann Ames", "Bob Baker", "Cat Cole"])
    invited = invite_free(session=session, volunteers=[ann, bob, cat], actor=world.coordinator)
    accept_invitation(booking=invited[1], actor=bob.user)
    decline_invitation(booking=invited[2], actor=cat.user)
    expires = ON_THE_HOUR_A_WEEK_ON

    frozen.move_to(expires - datetime.timedelta(minutes=1))
    assert expire_invitations() == 0
    frozen.move_to(expires)
    assert expire_invitations() == 1
    assert expire_invitations() == 0

    assert list(Booking.objects.order_by("pk").values_list("status", flat=True)) == [
        BookingStatus.EXPIRED,
        BookingStatus.ACCEPTED,
        BookingStatus.DECLINED,
    ]
    assert logged("booking.expired") == [
        (None, "booking", str(invited[0].pk), world.university.pk, {"from": "invited", "to": "expired"})
    ]


def test_expire_invitations_with_an_explicit_time(world: World) -> None:
    session = new_session(world)
    booked(session, volunteer_in(world.charity, "Ann Ames"), BookingStatus.INVITED, invitation_expires_at=NOW + DAY)
    booked(
        session, volunteer_in(world.charity, "Bob Baker"), BookingStatus.INVITED, invitation_expires_at=NOW + 2 * DAY
    )

    assert expire_invitations(now=NOW + DAY) == 1
    assert expire_invitations(now=NOW + 3 * DAY) == 1
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.EXPIRED}


def test_expire_invitations_frees_nothing_held(world: World) -> None:
    """Expiry touches only unanswered invitations; accepted places stay."""
    session = new_session(world)
    booked(session, volunteer_in(world.charity, "Ann Ames"), BookingStatus.ACCEPTED, invitation_expires_at=NOW - DAY)

    assert expire_invitations() == 0
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


# Cancelling a booking ---------------------------------------------------------------------------


@pytest.fixture
def accepted(world: World, invitation: Booking) -> Booking:
    accept_invitation(booking=invitation, actor=world.volunteer)
    Notification.objects.all().delete()
    ActivityLog.objects.all().delete()
    invitation.refresh_from_db()
    return invitation


def free_on_monday_mornings(world: World, name: str) -> VolunteerProfile:
    profile = volunteer_in(world.charity, name)
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=0, part_of_day="morning")
    return profile


def test_cancel_booking_by_volunteer_tells_owner_with_next_suggestion(
    world: World, accepted: Booking, django_capture_on_commit_callbacks: Any, frozen: time_machine.Traveller
) -> None:
    free_on_monday_mornings(world, "Nia Okafor")
    frozen.move_to(NOW + DAY)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=accepted, actor=world.volunteer, reason="  I have a hospital appointment. ")

    accepted.refresh_from_db()
    assert (accepted.status, accepted.cancelled_at, accepted.cancelled_by, accepted.cancel_reason) == (
        BookingStatus.CANCELLED,
        NOW + DAY,
        world.volunteer,
        "I have a hospital appointment.",
    )
    assert logged("booking.cancelled") == [
        (
            world.volunteer.pk,
            "booking",
            str(accepted.pk),
            world.university.pk,
            {"by": "volunteer", "from": "accepted", "to": "cancelled"},
        )
    ]
    assert queued() == [
        (
            "sessions_app/booking_cancelled_by_volunteer",
            "coordinator@a.example.org",
            f"booking-cancelled:{accepted.pk}:owner",
        )
    ]
    assert Notification.objects.get().context == {
        "session": "Living with breast cancer",
        "when": "Monday 16 March 2026, 10:00–12:00",
        "where": "Room 1.01, Health Sciences Building",
        "university": "University A",
        "volunteer": world.volunteer.name,
        "reason": "I have a hospital appointment.",
        "next_suggestion": "Nia Okafor",
        "matching_url": f"{SITE}/sessions/{accepted.session_id}/matching/",
    }
    [message] = mail.outbox
    assert (message.to, "Nia Okafor" in message.body) == (["coordinator@a.example.org"], True)


def test_cancel_booking_by_volunteer_without_anyone_to_suggest(world: World, accepted: Booking) -> None:
    cancel_booking(booking=accepted, actor=world.volunteer)

    context = Notification.objects.get().context
    assert (context["next_suggestion"], context["reason"]) == ("", "")
    assert Booking.objects.get().cancel_reason == ""


def test_cancel_booking_by_coordinator_tells_the_volunteer(
    world: World, accepted: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking=accepted, actor=world.coordinator, reason="We need a carer's perspective.")

    accepted.refresh_from_db()
    assert (accepted.status, accepted.cancelled_by, accepted.cancel_reason) == (
        BookingStatus.CANCELLED,
        world.coordinator,
        "We need a carer's perspective.",
    )
    assert logged("booking.cancelled") == [
        (
            world.coordinator.pk,
            "booking",
            str(accepted.pk),
            world.university.pk,
            {"by": "coordinator", "from": "accepted", "to": "cancelled"},
        )
    ]
    assert queued() == [
        (
            "sessions_app/booking_cancelled_by_coordinator",
            world.volunteer.email,
            f"booking-cancelled:{accepted.pk}:volunteer",
        )
    ]
    assert Notification.objects.get().context["reason"] == "We need a carer's perspective."
    assert delivered() == [[world.volunteer.email]]


def test_cancel_booking_an_invitation_by_coordinator(world: World, invitation: Booking) -> None:
    cancel_booking(booking=invitation, actor=world.coordinator)

    assert (Booking.objects.get().status, [row[0] for row in queued()]) == (
        BookingStatus.CANCELLED,
        ["sessions_app/booking_cancelled_by_coordinator"],
    )


def test_cancel_booking_frees_the_place(world: World) -> None:
    session = new_session(world, places=1)
    ann = volunteer_in(world.charity, "Ann Ames")
    bob = volunteer_in(world.charity, "Bob Baker")
    first, second = invite_free(session=session, volunteers=[ann, bob], actor=world.coordinator)
    accept_invitation(booking=first, actor=ann.user)
    refused(FULL, lambda: accept_invitation(booking=second, actor=bob.user))

    cancel_booking(booking=first, actor=ann.user)

    assert accept_invitation(booking=second, actor=bob.user).status == BookingStatus.ACCEPTED


def test_cancel_booking_after_the_start_is_refused(
    world: World, accepted: Booking, frozen: time_machine.Traveller
) -> None:
    frozen.move_to(START)

    refused(
        "This session has already started, so your place can no longer be cancelled here.",
        lambda: cancel_booking(booking=accepted, actor=world.volunteer),
    )


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (BookingStatus.DECLINED, "declined"),
        (BookingStatus.EXPIRED, "invitation expired"),
        (BookingStatus.CANCELLED, "cancelled"),
        (BookingStatus.ATTENDED, "attended"),
    ],
)
def test_cancel_booking_not_invited_or_accepted_is_refused(
    world: World, invitation: Booking, status: str, shown: str
) -> None:
    Booking.objects.filter(pk=invitation.pk).update(status=status)

    refused(
        f"There is no place to cancel: this booking is {shown}.",
        lambda: cancel_booking(booking=invitation, actor=world.coordinator),
    )


# Messages ---------------------------------------------------------------------------------------


def test_message_accepted_volunteers_emails_only_the_accepted(
    world: World,
    people_booked: Callable[[TeachingSession], dict[str, Booking]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = new_session(world, places=3)
    bookings = people_booked(session)

    with django_capture_on_commit_callbacks(execute=True):
        message = message_accepted_volunteers(
            session=session, actor=world.coordinator, subject=" Room change ", body=" We are now in Room 2.02. "
        )

    message.refresh_from_db()
    assert (message.session, message.author, message.subject, message.body, message.recipients) == (
        session,
        world.coordinator,
        "Room change",
        "We are now in Room 2.02.",
        2,
    )
    assert queued() == [
        (
            "sessions_app/session_message",
            "ann.ames@example.org",
            f"session-message:{message.pk}:booking:{bookings['ann'].pk}",
        ),
        (
            "sessions_app/session_message",
            "bob.baker@example.org",
            f"session-message:{message.pk}:booking:{bookings['bob'].pk}",
        ),
    ]
    context = Notification.objects.order_by("pk").first().context  # type: ignore[union-attr]
    assert (context["subject"], context["body"], context["sender"]) == (
        "Room change",
        "We are now in Room 2.02.",
        world.coordinator.name,
    )
    assert delivered() == [["ann.ames@example.org"], ["bob.baker@example.org"]]
    assert logged("session.messaged") == [
        (world.coordinator.pk, "sessionmessage", str(message.pk), world.university.pk, {})
    ]


@pytest.mark.parametrize(("subject", "body"), [("", "Hello"), ("Hello", "  "), (" ", "")])
def test_message_accepted_volunteers_needs_subject_and_body(
    world: World, accepted: Booking, subject: str, body: str
) -> None:
    refused(
        "Please write a subject and a message.",
        lambda: message_accepted_volunteers(
            session=accepted.session, actor=world.coordinator, subject=subject, body=body
        ),
    )


def test_message_accepted_volunteers_with_nobody_accepted_is_refused(world: World, invitation: Booking) -> None:
    refused(
        "Nobody has accepted a place yet, so there is nobody to message.",
        lambda: message_accepted_volunteers(
            session=invitation.session, actor=world.coordinator, subject="Hello", body="Hello"
        ),
    )


# Attendance -------------------------------------------------------------------------------------


@pytest.fixture
def finished(world: World, frozen: time_machine.Traveller) -> dict[str, Booking]:
    """A 90-minute session that has ended, with two accepted, one cancelled and one declined."""
    session = new_session(world, places=3, starts_at=START, ends_at=START + datetime.timedelta(minutes=90))
    people = {
        "ann": booked(session, volunteer_in(world.charity, "Ann Ames"), BookingStatus.ACCEPTED),
        "bob": booked(session, volunteer_in(world.charity, "Bob Baker"), BookingStatus.ACCEPTED),
        "cat": booked(session, volunteer_in(world.charity, "Cat Cole"), BookingStatus.CANCELLED),
        "dan": booked(session, volunteer_in(world.charity, "Dan Dale"), BookingStatus.DECLINED),
    }
    frozen.move_to(START + 2 * HOUR)
    return people


def test_mark_attendance_records_hours_and_completes(
    world: World, finished: dict[str, Booking], hook_calls: list[tuple[int, str, Decimal | None]]
) -> None:
    ann, bob = finished["ann"], finished["bob"]
    session = ann.session

    marked = mark_attendance(session=session, actor=world.coordinator, outcomes={ann.pk: "attended", bob.pk: "no_show"})

    assert marked == [ann, bob]
    rows = Booking.objects.order_by("pk").values_list("status", "hours", "attendance_marked_at")
    assert list(rows) == [
        (BookingStatus.ATTENDED, Decimal("1.50"), START + 2 * HOUR),
        (BookingStatus.NO_SHOW, None, START + 2 * HOUR),
        (BookingStatus.CANCELLED, None, None),
        (BookingStatus.DECLINED, None, None),
    ]
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert hook_calls == [(ann.pk, "attended", Decimal("1.50")), (bob.pk, "no_show", None)]
    assert logged("booking.attended") == [
        (world.coordinator.pk, "booking", str(ann.pk), world.university.pk, {"from": "accepted", "to": "attended"})
    ]
    assert logged("booking.no_show") == [
        (world.coordinator.pk, "booking", str(bob.pk), world.university.pk, {"from": "accepted", "to": "no_show"})
    ]
    # Only the feedback app's requests (its attendance hook): none from the sessions app.
    assert [key for key, _address, _unique in queued()] == [
        "feedback/volunteer_request",
        "feedback/coordinator_request",
    ]


def test_mark_attendance_hours_are_the_session_length(world: World, frozen: time_machine.Traveller) -> None:
    session = new_session(world, ends_at=START + datetime.timedelta(hours=3, minutes=20))
    booking = booked(session, profile_of(world.volunteer), BookingStatus.ACCEPTED)
    frozen.move_to(END + 2 * HOUR)

    mark_attendance(session=session, actor=world.coordinator, outcomes={booking.pk: BookingStatus.ATTENDED})

    assert Booking.objects.get().hours == Decimal("3.33")


def test_mark_attendance_hook_registered_twice_runs_once(
    world: World, finished: dict[str, Booking], hook_calls: list[tuple[int, str, Decimal | None]]
) -> None:
    register_attendance_hook(services._ATTENDANCE_HOOKS[-1])
    ann, bob = finished["ann"], finished["bob"]

    mark_attendance(session=ann.session, actor=world.coordinator, outcomes={ann.pk: "attended", bob.pk: "attended"})

    assert [call[0] for call in hook_calls] == [ann.pk, bob.pk]


@pytest.mark.parametrize("at", [START - DAY, START, START + HOUR, START + datetime.timedelta(minutes=89)])
def test_mark_attendance_before_the_end_is_refused(
    world: World, finished: dict[str, Booking], frozen: time_machine.Traveller, at: datetime.datetime
) -> None:
    frozen.move_to(at)
    ann, bob = finished["ann"], finished["bob"]

    refused(
        "Attendance can be marked once the session has ended.",
        lambda: mark_attendance(
            session=ann.session, actor=world.coordinator, outcomes={ann.pk: "attended", bob.pk: "attended"}
        ),
    )


def test_mark_attendance_at_the_end_is_fine(
    world: World, finished: dict[str, Booking], frozen: time_machine.Traveller
) -> None:
    frozen.move_to(START + datetime.timedelta(minutes=90))
    ann, bob = finished["ann"], finished["bob"]

    assert (
        len(
            mark_attendance(
                session=ann.session, actor=world.coordinator, outcomes={ann.pk: "attended", bob.pk: "attended"}
            )
        )
        == 2
    )


def test_mark_attendance_must_cover_every_accepted_booking(world: World, finished: dict[str, Booking]) -> None:
    ann, bob, cat = finished["ann"], finished["bob"], finished["cat"]
    message = "Please mark every volunteer as attended or did not attend."

    for outcomes in [
        {ann.pk: "attended"},
        {ann.pk: "attended", bob.pk: "attended", cat.pk: "attended"},
        {ann.pk: "attended", cat.pk: "attended"},
        {},
    ]:
        refused(
            message,
            lambda outcomes=outcomes: mark_attendance(session=ann.session, actor=world.coordinator, outcomes=outcomes),
        )


@pytest.mark.parametrize("bad", ["maybe", "accepted", "cancelled", ""])
def test_mark_attendance_only_attended_or_no_show(world: World, finished: dict[str, Booking], bad: str) -> None:
    ann, bob = finished["ann"], finished["bob"]

    refused(
        "Please choose attended or did not attend for each volunteer.",
        lambda: mark_attendance(
            session=ann.session, actor=world.coordinator, outcomes={ann.pk: "attended", bob.pk: bad}
        ),
    )


def test_mark_attendance_twice_is_refused(world: World, finished: dict[str, Booking]) -> None:
    ann, bob = finished["ann"], finished["bob"]
    mark_attendance(session=ann.session, actor=world.coordinator, outcomes={ann.pk: "attended", bob.pk: "no_show"})

    refused(
        "There is nobody to mark: no accepted bookings are waiting.",
        lambda: mark_attendance(session=ann.session, actor=world.coordinator, outcomes={ann.pk: "no_show"}),
    )


def test_mark_attendance_cancelled_session_is_refused(world: World, finished: dict[str, Booking]) -> None:
    session = finished["ann"].session
    TeachingSession.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)

    refused(
        "This session was cancelled.",
        lambda: mark_attendance(session=session, actor=world.coordinator, outcomes={}),
    )


def test_mark_attendance_with_nobody_accepted_is_refused(world: World, frozen: time_machine.Traveller) -> None:
    session = new_session(world)
    booked(session, profile_of(world.volunteer), BookingStatus.DECLINED)
    frozen.move_to(END)

    refused(
        "There is nobody to mark: no accepted bookings are waiting.",
        lambda: mark_attendance(session=session, actor=world.coordinator, outcomes={}),
    )
