"""Every email the sessions services queue, delivered through the real services and the outbox:
subject, plain text and HTML, with the exact facts (when, where, links) and the .ics attachment."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.test.html import Element, parse_html
from icalendar import Calendar

from sessions_app.models import Booking, CheckIn, TeachingSession
from sessions_app.services import (
    accept_invitation,
    answer_check_in,
    cancel_booking,
    cancel_session,
    check_in_token,
    invitation_token,
    message_accepted_volunteers,
    save_session,
    send_due_check_ins,
    send_due_reminders,
)
from tests import factories
from tests.accounts.test_views import find, text_of, texts
from tests.conftest import World
from tests.sessions_app.factories import invite_free, session_at
from volunteers.models import VolunteerProfile

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)  # Monday 2 March 2026
START = datetime.datetime(2026, 3, 17, 10, 0, tzinfo=LONDON)  # Tuesday 17 March 2026
END = datetime.datetime(2026, 3, 17, 12, 0, tzinfo=LONDON)
SITE = settings.SITE_URL
NAME = "Siân O'Brien"
VENUE = "Room 2.14, Allied Health Building"
FACTS_TEXT = (
    "Session: Storytelling\n"
    "University: University A\n"
    "When (UK time): Tuesday 17 March 2026, 10:00–12:00\n"
    f"Where: {VENUE}\n"
)
FACTS_HTML = [
    "Session: Storytelling",
    "University: University A",
    "When (UK time): Tuesday 17 March 2026, 10:00–12:00",
    f"Where: {VENUE}",
]
MY_SESSIONS = f"{SITE}/my-sessions/"
# Special-category data planted in the volunteer's profile: no email carries it.
MARKERS = ("ADJ-MARKER", "TOPIC-MARKER", "BIO-MARKER")
SERVICES = Path(settings.BASE_DIR) / "sessions_app" / "services.py"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.preferred_name = NAME
    profile.phone = "07700 900123"
    profile.other_adjustments = "ADJ-MARKER"
    profile.topics_to_avoid = "TOPIC-MARKER"
    profile.biography = "BIO-MARKER"
    profile.save()
    world.coordinator.name = "Priya Shah"
    world.coordinator.save()
    return profile


@pytest.fixture
def session(world: World) -> TeachingSession:
    return session_at(
        world.university,
        world.coordinator,
        title="Storytelling",
        starts_at=START,
        ends_at=END,
        venue=VENUE,
        briefing="Please arrive at 09:45.\nAsk for Dr Okafor.",
        emotionally_demanding=True,
    )


@pytest.fixture
def invited(world: World, session: TeachingSession, profile: VolunteerProfile) -> Booking:
    [booking] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)
    return booking


@pytest.fixture
def booked(invited: Booking, profile: VolunteerProfile) -> Booking:
    return accept_invitation(booking=invited, actor=profile.user)


def deliver(django_capture_on_commit_callbacks: Any, action: Any, **kwargs: Any) -> list[EmailMultiAlternatives]:
    """Run ``action`` and deliver what it queued on commit; the emails it sent."""
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        action(**kwargs)
    return mail.outbox[before:]  # type: ignore[return-value]  # the locmem backend keeps the messages


def html(message: EmailMultiAlternatives) -> Element:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return parse_html(str(content))


def links(message: EmailMultiAlternatives) -> list[tuple[str, str]]:
    return [(text_of(link), dict(link.attributes)["href"]) for link in find(html(message), "a")]


def title(message: EmailMultiAlternatives) -> str:
    return texts(html(message), "title")[0]


def no_markers(messages: list[EmailMultiAlternatives]) -> list[str]:
    everything = "".join(message.subject + message.body + str(message.alternatives[0][0]) for message in messages)
    return [marker for marker in MARKERS if marker in everything]


def test_every_sessions_email_has_its_three_templates() -> None:
    sources = SERVICES.read_text() + SERVICES.with_name("personal_data.py").read_text()
    names = sorted(set(re.findall(r'template_key="sessions_app/(\w+)"', sources)))
    # The coordinator's notices are named by the answer: booking_{event}_owner.
    names += [f"booking_{event}_owner" for event in ("accepted", "declined")]

    assert len(names) == 14
    for name in names:
        for suffix in ("subject.txt", "txt"):
            get_template(f"emails/sessions_app/{name}.{suffix}", using="text")
        assert get_template(f"emails/sessions_app/{name}.html").template.source.startswith(
            '{% extends "emails/base.html" %}'
        )


def test_invitation_email(
    world: World, session: TeachingSession, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = deliver(
        django_capture_on_commit_callbacks,
        invite_free,
        session=session,
        volunteers=[profile],
        actor=world.coordinator,
    )

    answer_url = f"{SITE}/invitation/{invitation_token(Booking.objects.get(session=session))}/"
    assert (message.to, message.subject) == ([world.volunteer.email], "Invitation: Storytelling")
    assert message.body == (
        f"Dear {NAME},\n\n"
        "University A would like to invite you to take part in a session with its students.\n\n"
        f"{FACTS_TEXT}"
        "Kind of session: Teaching or storytelling\n\n"
        "What is covered:\n"
        "- University A has not set its rates yet; the coordinator can tell you what is paid.\n"
        "- Claim within 3 months of the session, by Wednesday 17 June 2026.\n"
        "- How a fee can affect your benefits: on the page where you answer\n\n"
        "Please read the briefing and answer by Monday 9 March 2026, 10:00:\n"
        f"{answer_url}\n\n"
        "There is no need to give a reason if you cannot come. Thank you for thinking about it.\n"
    )
    assert title(message) == "Invitation: Storytelling"
    assert texts(html(message), "li") == [
        *FACTS_HTML,
        "University A has not set its rates yet; the coordinator can tell you what is paid.",
        "Claim within 3 months of the session, by Wednesday 17 June 2026.",
        "How a fee can affect your benefits: on the page where you answer",
    ]
    assert texts(html(message), "p")[:2] == [
        f"Dear {NAME},",
        "University A would like to invite you to take part in a session with its students.",
    ]
    assert links(message) == [("Read the briefing and answer", answer_url)]
    assert message.attachments == []
    assert no_markers([message]) == []


def test_booking_confirmed_email_carries_the_calendar_file(
    world: World, invited: Booking, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    message, to_owner = deliver(django_capture_on_commit_callbacks, accept_invitation, booking=invited, actor=None)

    assert (to_owner.to, to_owner.subject) == ([world.coordinator.email], f"{NAME} is coming to Storytelling")
    assert to_owner.body == (
        f"Hello,\n\n{NAME} has accepted your invitation to this session:\n\n{FACTS_TEXT}\n"
        "1 of 2 places filled.\n\nThe session's page:\n"
        f"{SITE}/sessions/{invited.session_id}/\n"
    )
    assert (message.to, message.subject) == ([world.volunteer.email], "Your place is booked: Storytelling")
    assert message.body == (
        f"Dear {NAME},\n\n"
        "Thank you for accepting. Your place is booked.\n\n"
        f"{FACTS_TEXT}\n"
        "Briefing:\n"
        "Please arrive at 09:45.\nAsk for Dr Okafor.\n\n"
        "The attached file (session.ics) adds the session to your calendar.\n\n"
        "See your sessions, or cancel if you can no longer come:\n"
        f"{MY_SESSIONS}\n"
    )
    assert texts(html(message), "li") == FACTS_HTML
    assert texts(html(message), "blockquote") == ["Please arrive at 09:45. Ask for Dr Okafor."]
    assert links(message) == [("See your sessions, or cancel if you can no longer come", MY_SESSIONS)]
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("session.ics", "text/calendar")
    [event] = Calendar.from_ical(content).walk("VEVENT")
    assert (
        str(event["UID"]),
        event["DTSTART"].dt,
        event["DTEND"].dt,
        str(event["SUMMARY"]),
        str(event["LOCATION"]),
        str(event["STATUS"]),
    ) == (
        f"booking-{invited.pk}@127.0.0.1:8000",
        START.astimezone(datetime.UTC),
        END.astimezone(datetime.UTC),
        "Storytelling (University A)",
        VENUE,
        "CONFIRMED",
    )
    assert no_markers([message]) == []


def test_session_changed_email(
    world: World, session: TeachingSession, booked: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = deliver(
        django_capture_on_commit_callbacks,
        save_session,
        session=session,
        actor=world.coordinator,
        starts_at=START + datetime.timedelta(hours=4),
        ends_at=END + datetime.timedelta(hours=4),
        venue="Lecture theatre 3",
    )

    assert (message.to, message.subject) == ([world.volunteer.email], "Changed: Storytelling")
    assert message.body == (
        f"Dear {NAME},\n\n"
        "The time or place of a session you are booked on has changed. These are the new details:\n\n"
        "Session: Storytelling\n"
        "University: University A\n"
        "When (UK time): Tuesday 17 March 2026, 14:00–16:00\n"
        "Where: Lecture theatre 3\n\n"
        "If you can no longer come, please let us know:\n"
        f"{MY_SESSIONS}\n"
    )
    assert texts(html(message), "li") == [
        "Session: Storytelling",
        "University: University A",
        "When (UK time): Tuesday 17 March 2026, 14:00–16:00",
        "Where: Lecture theatre 3",
    ]
    assert links(message) == [("please let us know", MY_SESSIONS)]


def test_session_cancelled_email_to_everyone_invited_or_booked(
    world: World, session: TeachingSession, booked: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    other = factories.NetworkMembershipFactory(network=world.charity).volunteer
    invite_free(session=session, volunteers=[other], actor=world.coordinator)

    sent = deliver(
        django_capture_on_commit_callbacks,
        cancel_session,
        session=session,
        actor=world.coordinator,
        reason="The room has flooded.",
    )

    assert sorted((message.to[0], message.subject) for message in sent) == sorted(
        [(world.volunteer.email, "Cancelled: Storytelling"), (other.user.email, "Cancelled: Storytelling")]
    )
    [message] = [message for message in sent if message.to == [world.volunteer.email]]
    assert message.body == (
        f"Dear {NAME},\n\n"
        "We are sorry: University A has cancelled this session.\n\n"
        f"{FACTS_TEXT}\n"
        "The reason they gave: The room has flooded.\n\n"
        "You do not need to do anything. Thank you for offering your time.\n"
    )
    assert texts(html(message), "li") == FACTS_HTML
    assert "The reason they gave: The room has flooded." in texts(html(message), "p")


def test_volunteer_cancelling_emails_the_coordinator_with_the_next_suggestion(
    world: World, booked: Booking, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    next_one = factories.NetworkMembershipFactory(network=world.charity).volunteer
    next_one.preferred_name = "Zoë"
    next_one.save()
    factories.WeeklyAvailabilityFactory(volunteer=next_one, weekday=1, part_of_day="morning")

    [message] = deliver(
        django_capture_on_commit_callbacks,
        cancel_booking,
        booking=booked,
        actor=world.volunteer,
        reason="I have a hospital appointment.",
    )

    matching_url = f"{SITE}/sessions/{booked.session_id}/matching/"
    assert (message.to, message.subject) == (
        [world.coordinator.email],
        f"{NAME} has cancelled: Storytelling",
    )
    assert message.body == (
        "Hello,\n\n"
        f"{NAME} has cancelled their place at this session:\n\n"
        f"{FACTS_TEXT}\n"
        "The reason they gave: I have a hospital appointment.\n\n"
        "The next suggestion for the place is Zoë.\n\n"
        "Find and invite someone else:\n"
        f"{matching_url}\n"
    )
    assert texts(html(message), "p")[1] == f"{NAME} has cancelled their place at this session:"
    assert links(message) == [("Find and invite someone else", matching_url)]
    assert no_markers([message]) == []


def test_volunteer_cancelling_without_a_suggestion_or_reason(
    world: World, booked: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = deliver(django_capture_on_commit_callbacks, cancel_booking, booking=booked, actor=world.volunteer)

    assert message.body == (
        "Hello,\n\n"
        f"{NAME} has cancelled their place at this session:\n\n"
        f"{FACTS_TEXT}\n"
        "There is no other suggestion for the place just now.\n\n"
        "Find and invite someone else:\n"
        f"{SITE}/sessions/{booked.session_id}/matching/\n"
    )


def test_coordinator_cancelling_emails_the_volunteer(
    world: World, booked: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = deliver(
        django_capture_on_commit_callbacks,
        cancel_booking,
        booking=booked,
        actor=world.coordinator,
        reason="We need someone with carer experience.",
    )

    assert (message.to, message.subject) == (
        [world.volunteer.email],
        "Your place at Storytelling has been cancelled",
    )
    assert message.body == (
        f"Dear {NAME},\n\n"
        "We are sorry: the coordinator has cancelled your place at this session.\n\n"
        f"{FACTS_TEXT}\n"
        "The reason they gave: We need someone with carer experience.\n\n"
        "You do not need to do anything. Thank you for offering your time.\n"
    )
    assert texts(html(message), "li") == FACTS_HTML


def test_session_message_email(
    world: World, session: TeachingSession, booked: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    [message] = deliver(
        django_capture_on_commit_callbacks,
        message_accepted_volunteers,
        session=session,
        actor=world.coordinator,
        subject="Parking",
        body="Please use car park B.\nThe barrier opens for you.",
    )

    assert (message.to, message.subject) == ([world.volunteer.email], "Parking (Storytelling)")
    assert message.body == (
        f"Dear {NAME},\n\n"
        "Priya Shah sent this message to everyone booked on Storytelling:\n\n"
        "Please use car park B.\nThe barrier opens for you.\n\n"
        f"{FACTS_TEXT}\n"
        "See your sessions:\n"
        f"{MY_SESSIONS}\n"
    )
    assert texts(html(message), "blockquote") == ["Please use car park B. The barrier opens for you."]
    assert texts(html(message), "p")[1] == "Priya Shah sent this message to everyone booked on Storytelling:"
    assert links(message) == [("See your sessions", MY_SESSIONS)]


@pytest.mark.parametrize(
    ("due", "subject", "when"),
    [
        (datetime.datetime(2026, 3, 10, 10, 1, tzinfo=LONDON), "In 7 days: Storytelling", "in 7 days"),
        (datetime.datetime(2026, 3, 16, 10, 1, tzinfo=LONDON), "Tomorrow: Storytelling", "tomorrow"),
    ],
)
def test_reminder_email(
    world: World,
    booked: Booking,
    django_capture_on_commit_callbacks: Any,
    due: datetime.datetime,
    subject: str,
    when: str,
) -> None:
    with time_machine.travel(due, tick=False):
        [message] = deliver(django_capture_on_commit_callbacks, send_due_reminders)

    assert (message.to, message.subject, title(message)) == ([world.volunteer.email], subject, subject)
    assert message.body == (
        f"Dear {NAME},\n\n"
        f"A reminder that you are booked on this session {when}:\n\n"
        f"{FACTS_TEXT}\n"
        "Briefing:\n"
        "Please arrive at 09:45.\nAsk for Dr Okafor.\n\n"
        "If you can no longer come, please let us know as soon as you can:\n"
        f"{MY_SESSIONS}\n"
    )
    assert texts(html(message), "li") == FACTS_HTML
    assert links(message) == [("please let us know", MY_SESSIONS)]
    assert no_markers([message]) == []


def test_check_in_email_and_the_call_it_can_ask_for(
    world: World, booked: Booking, profile: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    after = datetime.datetime(2026, 3, 18, 13, 0, tzinfo=LONDON)
    with time_machine.travel(after, tick=False):
        [message] = deliver(django_capture_on_commit_callbacks, send_due_check_ins)
        check_in = CheckIn.objects.get(booking=booked)
        token = check_in_token(check_in)
        [call] = deliver(django_capture_on_commit_callbacks, answer_check_in, check_in=check_in, answer="call")

    fine_url = f"{SITE}/check-in/{token}/fine/"
    call_url = f"{SITE}/check-in/{token}/call/"
    assert (message.to, message.subject) == ([world.volunteer.email], "How are you after Storytelling?")
    assert message.body == (
        f"Dear {NAME},\n\n"
        "Thank you for taking part in Storytelling at University A (Tuesday 17 March 2026, 10:00–12:00). "
        "Sessions like this can bring back difficult feelings, so we would like to know how you are.\n\n"
        "Choose the answer that fits:\n\n"
        f"I'm fine:\n{fine_url}\n\n"
        f"I'd like a call:\n{call_url}\n\n"
        "If you would like a call, we will ask your lead to phone you.\n"
    )
    assert links(message) == [("I'm fine", fine_url), ("I'd like a call", call_url)]
    assert (call.to, call.subject) == ([world.lead.email], f"{NAME} would like a call")
    assert call.body == (
        "Hello,\n\n"
        f"{NAME} took part in an emotionally demanding session and has asked for a call.\n\n"
        f"{FACTS_TEXT}\n"
        "Please call them soon: 07700 900123\n"
    )
    assert texts(html(call), "li") == FACTS_HTML
    assert texts(html(call), "p")[-2] == "Please call them soon: 07700 900123"
    assert no_markers([message, call]) == []
