"""The volunteer's side of sessions, through django.test.Client: the invitation page, my sessions,
one booking, cancelling, the calendar page and the check-in after a demanding session."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.test.html import Element
from django.urls import reverse
from icalendar import Calendar

from involvement.models import ActivityLog, Notification
from sessions_app.models import Booking, CalendarFeed, CheckIn, TeachingSession
from sessions_app.services import (
    accept_invitation,
    calendar_feed_for,
    cancel_session,
    check_in_token,
    invitation_token,
)
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, text_of, texts
from tests.conftest import World, signed_in
from tests.sessions_app.factories import BookingFactory, invite_free, session_at
from tests.volunteers.test_own_views import error_of
from volunteers.models import VolunteerProfile

Status = Booking.Status
LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)  # Monday 2 March 2026, 09:30 UK time
START = datetime.datetime(2026, 3, 17, 10, 0, tzinfo=LONDON)  # Tuesday 17 March 2026
END = datetime.datetime(2026, 3, 17, 12, 0, tzinfo=LONDON)
TITLE = "Breast imaging: patients’ stories"
VENUE = "Room 2.14, Allied Health Building"
BRIEFING = "Please arrive at 09:45.\nAsk for Dr Okafor at reception."
PURPOSE = "Students learn what a mammogram feels like."
MY_SESSIONS = "/my-sessions/"
CALENDAR = "/my-sessions/calendar/"
FACTS = [
    TITLE,
    "University A",
    "Tuesday 17 March 2026, 10:00–12:00",
    VENUE,
    "Teaching or storytelling",
]
# University A has no rate card in these tests (tests/expenses/test_covered.py has the rates).
COVERED = (
    "University A has not set its rates yet; the coordinator can tell you what is paid. "
    "Claim within 3 months of the session, by Wednesday 17 June 2026. How a fee can affect your benefits"
)
ANSWER_BY = (
    "Please answer by Monday 9 March 2026, 10:00. There is no need to give a reason if you cannot come. "
    "Yes, I'll come No, not this time"
)
FULL = "Sorry, this session is now full. Thank you for offering your time."
EXPIRED = "This invitation has expired. Please contact the coordinator if you would still like to come."


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


@pytest.fixture
def browser(world: World) -> Client:
    return signed_in(world.volunteer)


@pytest.fixture
def session(world: World) -> TeachingSession:
    return session_at(
        world.university,
        world.coordinator,
        title=TITLE,
        starts_at=START,
        ends_at=END,
        venue=VENUE,
        briefing=BRIEFING,
        purpose=PURPOSE,
    )


@pytest.fixture
def booking(world: World, session: TeachingSession, profile: VolunteerProfile) -> Booking:
    [invited] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)
    return invited


def invitation_path(booking: Booking) -> str:
    return reverse("sessions_app:invitation", kwargs={"token": invitation_token(booking)})


def other_session(world: World, **fields: object) -> TeachingSession:
    defaults: dict[str, object] = {"starts_at": START, "ends_at": END, "venue": VENUE}
    return session_at(world.university, world.coordinator, **{**defaults, **fields})


def facts(source: HttpResponse | Element) -> list[str]:
    [facts_list] = find(source, "dl", id="session-facts")
    return texts(facts_list, "dd")


def text_by_id(source: HttpResponse | Element, tag: str, element_id: str) -> str:
    [element] = find(source, tag, id=element_id)
    return text_of(element)


def main(response: HttpResponse) -> Element:
    [found] = find(response, "main")
    return found


def buttons(response: HttpResponse) -> list[str]:
    """The buttons of the page's content (not the header's menu and sign-out buttons)."""
    return texts(main(response), "button")


def section(response: HttpResponse, element_id: str) -> Element:
    [found] = find(response, "section", id=element_id)
    return found


def rows(element: Element) -> list[list[str]]:
    bodies = find(element, "tbody")
    return [texts(row, "td") for body in bodies for row in find(body, "tr")]


def state(booking: Booking) -> tuple[str, datetime.datetime | None, datetime.datetime | None, str]:
    booking.refresh_from_db()
    return (booking.status, booking.responded_at, booking.cancelled_at, booking.cancel_reason)


def actors(action: str) -> list[int | None]:
    return list(ActivityLog.objects.filter(action=action).values_list("actor", flat=True))


def keys() -> list[str]:
    return sorted(Notification.objects.values_list("template_key", flat=True))


# The invitation page


def test_invitation_shows_the_session_briefing_and_what_is_covered(client: Client, booking: Booking) -> None:
    response = client.get(invitation_path(booking))

    assert response.status_code == 200
    assert h1(response) == f"Would you like to join “{TITLE}”?"
    assert texts(response, "p", class_="lead") == [
        "University A would like to invite you to take part in a session with its students."
    ]
    assert facts(response) == FACTS
    assert text_by_id(response, "div", "invitation-state") == ANSWER_BY
    assert buttons(response) == ["Yes, I'll come", "No, not this time"]
    assert [dict(button.attributes)["value"] for button in find(main(response), "button")] == ["accept", "decline"]
    assert text_by_id(response, "div", "briefing") == "Please arrive at 09:45. Ask for Dr Okafor at reception."
    assert text_by_id(response, "div", "purpose") == PURPOSE
    assert texts(response, "div", id="covered") == [
        f"{COVERED} If you have told us about adjustments in your profile, such as step-free access or rest "
        "breaks, we share them with the coordinator once you accept, so they can be ready for you."
    ]
    assert find(response, "div", id="emotionally-demanding") == []
    assert find(response, "div", id="someone-else") == []


def test_invitation_to_the_signed_in_volunteer_shows_their_own_adjustments(
    profile: VolunteerProfile, booking: Booking, browser: Client
) -> None:
    profile.preferred_name = "Siân"
    profile.step_free_access = True
    profile.rest_breaks = True
    profile.save()

    response = browser.get(invitation_path(booking))

    assert texts(response, "p", class_="lead") == [
        "Hello Siân. University A would like to invite you to take part in a session with its students."
    ]
    assert texts(response, "ul", id="adjustments") == ["Step-free access Rest breaks"]
    assert texts(response, "a", href="/me/adjustments/") == ["Change your adjustments"]


def test_invitation_with_someone_else_signed_in_shows_nobodys_private_data(
    world: World, profile: VolunteerProfile, booking: Booking
) -> None:
    profile.preferred_name = "Siân"
    profile.step_free_access = True
    profile.save()
    someone = factories.NetworkMembershipFactory(network=world.charity).volunteer
    someone.preferred_name = "Zoë"
    someone.interpreter = VolunteerProfile.Interpreter.BSL
    someone.save()

    response = signed_in(someone.user).get(invitation_path(booking))

    page = response.content.decode()
    assert response.status_code == 200
    assert texts(response, "div", id="someone-else") == [
        "This invitation was sent to someone else. You can still answer it with this link, and the answer "
        "counts for the person it was sent to."
    ]
    assert find(response, "ul", id="adjustments") == []
    assert ("Siân" in page, "Zoë" in page, "Step-free access" in page, "BSL" in page) == (False, False, False, False)


def test_invitation_to_an_online_session_says_online_without_the_link(world: World, profile: VolunteerProfile) -> None:
    online = other_session(world, title=TITLE, venue="", online_link="https://meet.example.org/abc")
    [invited] = invite_free(session=online, volunteers=[profile], actor=world.coordinator)

    response = Client().get(invitation_path(invited))

    assert facts(response)[3] == "Online"
    assert "meet.example.org" not in response.content.decode()


def test_invitation_to_an_emotionally_demanding_session_offers_reassurance(
    world: World, profile: VolunteerProfile
) -> None:
    demanding = other_session(world, title=TITLE, emotionally_demanding=True)
    [invited] = invite_free(session=demanding, volunteers=[profile], actor=world.coordinator)

    response = Client().get(invitation_path(invited))

    assert texts(response, "div", id="emotionally-demanding") == [
        "This session may be emotionally demanding. You can take a break or stop at any time, and you are "
        "welcome to bring someone with you. A day or two afterwards we will ask how you are. If you would like "
        "a call, your lead will be in touch."
    ]


def test_invitation_get_changes_nothing(client: Client, booking: Booking) -> None:
    before = (keys(), ActivityLog.objects.count())

    client.get(invitation_path(booking))
    signed_in(booking.volunteer.user).get(invitation_path(booking))

    assert state(booking) == (Status.INVITED, None, None, "")
    assert (keys(), ActivityLog.objects.count()) == before


def test_invitation_accept_through_the_link_without_signing_in(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)

    response = client.post(path, {"answer": "accept"})

    assert (response.status_code, response["Location"]) == (302, path)
    assert state(booking) == (Status.ACCEPTED, NOW, None, "")
    assert actors("booking.accepted") == [None]
    assert keys() == [
        "sessions_app/booking_accepted_owner",
        "sessions_app/booking_confirmed",
        "sessions_app/invitation",
    ]
    page = client.get(path)
    assert h1(page) == f"Your invitation to “{TITLE}”"
    assert messages_on(page) == [f"Thank you. You have a place at “{TITLE}”. We have emailed you the details."]
    assert text_by_id(page, "div", "invitation-state") == (
        "You have accepted. We look forward to seeing you. "
        "Sign in to see your booking or to cancel it if you can no longer come."
    )
    assert find(main(page), "button") == []


def test_invitation_accept_signed_in_is_recorded_as_the_volunteer(
    world: World, booking: Booking, browser: Client
) -> None:
    response = browser.post(invitation_path(booking), {"answer": "accept"})

    assert (response.status_code, response["Location"]) == (302, MY_SESSIONS)
    assert state(booking) == (Status.ACCEPTED, NOW, None, "")
    assert actors("booking.accepted") == [world.volunteer.pk]
    page = browser.get(invitation_path(booking))
    assert texts(page, "a", href=f"/my-sessions/{booking.pk}/") == ["See your booking"]


def test_invitation_accept_with_someone_else_signed_in_answers_for_the_invitee(world: World, booking: Booking) -> None:
    path = invitation_path(booking)

    response = signed_in(world.coordinator).post(path, {"answer": "accept"})

    assert (response.status_code, response["Location"]) == (302, path)
    assert state(booking) == (Status.ACCEPTED, NOW, None, "")
    assert actors("booking.accepted") == [None]


@pytest.mark.parametrize("each", [1, 3])
def test_accepting_an_invitation_query_count_does_not_grow(
    world: World, profile: VolunteerProfile, django_assert_num_queries, each: int
) -> None:
    session = other_session(world, title=TITLE, places=each + 1)
    for _number in range(each):
        BookingFactory(session=session, status=Status.ACCEPTED)
    bookings_in_every_state(world, profile, each)
    [booking] = invite_free(session=session, volunteers=[profile], actor=world.coordinator)
    browser = signed_in(world.volunteer)

    # Session, user and roles; the link's booking; the locks on the session, the booking and the
    # volunteer; the places held, a clash, the consents needed and the partnered network; the
    # change and its audit; both emails in one insert and the read of their ids; the message
    # kept in the session. Sixteen in production: here the test's own transaction makes savepoints
    # (four statements) of the answer's transaction and the session's.
    with django_assert_num_queries(20):
        response = browser.post(invitation_path(booking), {"answer": "accept"})

    assert (response.status_code, response["Location"]) == (302, MY_SESSIONS)
    assert state(booking) == (Status.ACCEPTED, NOW, None, "")
    owner = Notification.objects.get(template_key="sessions_app/booking_accepted_owner")
    assert (owner.context["filled"], owner.context["places"]) == (each + 1, each + 1)


def test_invitation_accepting_twice_says_so_and_changes_nothing(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)
    client.post(path, {"answer": "accept"})

    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        response = client.post(path, {"answer": "accept"}, follow=True)

    assert response.redirect_chain == [(path, 302)]
    assert messages_on(response) == [
        f"Thank you. You have a place at “{TITLE}”. We have emailed you the details.",
        f"You have already accepted your place at “{TITLE}”. There is nothing more to do.",
    ]
    assert state(booking) == (Status.ACCEPTED, NOW, None, "")
    assert keys() == [
        "sessions_app/booking_accepted_owner",
        "sessions_app/booking_confirmed",
        "sessions_app/invitation",
    ]
    assert actors("booking.accepted") == [None]


def test_invitation_decline(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)

    response = client.post(path, {"answer": "decline"}, follow=True)

    assert response.redirect_chain == [(path, 302)]
    assert messages_on(response) == [f"Thank you for letting us know. You will not be going to “{TITLE}”."]
    assert text_by_id(response, "div", "invitation-state") == (
        "You said no to this invitation. Thank you for letting us know."
    )
    assert state(booking) == (Status.DECLINED, NOW, None, "")
    assert keys() == ["sessions_app/booking_declined_owner", "sessions_app/invitation"]


def test_invitation_declining_twice_says_so(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)
    client.post(path, {"answer": "decline"})

    response = client.post(path, {"answer": "decline"}, follow=True)

    assert messages_on(response)[-1] == f"You have already said no to “{TITLE}”. Thank you for letting us know."
    assert state(booking) == (Status.DECLINED, NOW, None, "")


def test_invitation_declining_after_accepting_is_refused(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)
    client.post(path, {"answer": "accept"})

    response = client.post(path, {"answer": "decline"})

    assert response.status_code == 400
    assert texts(response, "div", id="answer-error") == ["This invitation has already been answered (accepted)."]
    assert state(booking) == (Status.ACCEPTED, NOW, None, "")


def test_invitation_unknown_answer_is_refused(client: Client, booking: Booking) -> None:
    response = client.post(invitation_path(booking), {"answer": "maybe"})

    assert response.status_code == 400
    assert texts(response, "div", id="answer-error") == ["Please choose “Yes, I'll come” or “No, not this time”."]
    assert state(booking) == (Status.INVITED, None, None, "")


def test_invitation_expired_shows_so_and_refuses_accepting(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)

    with time_machine.travel(NOW + datetime.timedelta(days=7, minutes=31), tick=False):
        page = client.get(path)
        response = client.post(path, {"answer": "accept"})

    assert text_by_id(page, "div", "invitation-state") == (
        "This invitation has expired. If you would still like to come, please contact the coordinator."
    )
    assert find(main(page), "button") == []
    assert response.status_code == 400
    assert texts(response, "div", id="answer-error") == [EXPIRED]
    assert state(booking) == (Status.INVITED, None, None, "")
    assert keys() == ["sessions_app/invitation"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_invitation_tampered_link_is_refused(client: Client, booking: Booking, method: str) -> None:
    path = reverse("sessions_app:invitation", kwargs={"token": invitation_token(booking)[:-2] + "xx"})

    response = getattr(client, method)(path, {"answer": "accept"})

    assert response.status_code == 400
    assert h1(response) == "We could not open this invitation"
    assert texts(response, "div", id="link-error") == [
        "This invitation link is not valid. Please check you copied all of it."
    ]
    assert state(booking) == (Status.INVITED, None, None, "")


def test_invitation_link_older_than_sixty_days_is_refused(client: Client, booking: Booking) -> None:
    path = invitation_path(booking)

    with time_machine.travel(NOW + datetime.timedelta(days=61), tick=False):
        response = client.post(path, {"answer": "accept"})

    assert response.status_code == 400
    assert texts(response, "div", id="link-error") == ["This invitation link has expired."]
    assert state(booking) == (Status.INVITED, None, None, "")


def test_invitation_to_a_full_session_is_refused(world: World, session: TeachingSession, booking: Booking) -> None:
    session.places = 1
    session.save()
    BookingFactory(session=session, status=Status.ACCEPTED)

    response = Client().post(invitation_path(booking), {"answer": "accept"})

    assert response.status_code == 400
    assert texts(response, "div", id="answer-error") == [FULL]
    assert state(booking) == (Status.INVITED, None, None, "")


def test_invitation_overlapping_an_accepted_session_is_refused(
    world: World, profile: VolunteerProfile, booking: Booking
) -> None:
    clash = other_session(world, title="OSCE practice", starts_at=START + datetime.timedelta(hours=1), ends_at=END)
    BookingFactory(session=clash, volunteer=profile, status=Status.ACCEPTED)

    response = Client().post(invitation_path(booking), {"answer": "accept"})

    assert response.status_code == 400
    assert texts(response, "div", id="answer-error") == ["You are already booked into “OSCE practice” at that time."]
    assert state(booking) == (Status.INVITED, None, None, "")


def test_invitation_to_a_cancelled_session_says_so(world: World, session: TeachingSession, booking: Booking) -> None:
    cancel_session(session=session, actor=world.coordinator, reason="The room flooded.")

    response = Client().get(invitation_path(booking))

    assert text_by_id(response, "div", "invitation-state") == "This session has been cancelled."


# My sessions


def bookings_in_every_state(world: World, profile: VolunteerProfile, each: int = 1) -> None:
    """``each`` bookings per section, plus declined and expired ones that are not shown."""
    for number in range(each):
        day = datetime.timedelta(days=number)
        invited = other_session(world, title=f"Invited {number}", starts_at=START + day, ends_at=END + day)
        invite_free(session=invited, volunteers=[profile], actor=world.coordinator)
        upcoming = other_session(
            world,
            title=f"Upcoming {number}",
            starts_at=START + day + datetime.timedelta(days=5),
            ends_at=END + day + datetime.timedelta(days=5),
        )
        BookingFactory(session=upcoming, volunteer=profile, status=Status.ACCEPTED)
        past = other_session(
            world,
            title=f"Past {number}",
            starts_at=START - datetime.timedelta(days=30) + day,
            ends_at=END - datetime.timedelta(days=30) + day,
            status=TeachingSession.Status.COMPLETED,
        )
        BookingFactory(session=past, volunteer=profile, status=Status.ATTENDED)
    BookingFactory(session=other_session(world, title="Declined"), volunteer=profile, status=Status.DECLINED)
    BookingFactory(session=other_session(world, title="Expired"), volunteer=profile, status=Status.EXPIRED)


def test_my_sessions_shows_invitations_upcoming_and_past(world: World, profile: VolunteerProfile, browser) -> None:
    [invited] = invite_free(
        session=other_session(world, title="OSCE practice"), volunteers=[profile], actor=world.coordinator
    )
    later = other_session(
        world,
        title="Admissions interviews",
        starts_at=START + datetime.timedelta(days=3),
        ends_at=END + datetime.timedelta(days=3),
        venue="",
        online_link="https://meet.example.org/x",
    )
    upcoming = BookingFactory(session=later, volunteer=profile, status=Status.ACCEPTED)
    ago = datetime.timedelta(days=40)
    done = {
        status: BookingFactory(
            session=other_session(
                world,
                title=title,
                starts_at=START - ago + datetime.timedelta(days=index),
                ends_at=END - ago + datetime.timedelta(days=index),
            ),
            volunteer=profile,
            status=status,
        )
        for index, (title, status) in enumerate(
            [
                ("Storytelling", Status.ATTENDED),
                ("Panel", Status.NO_SHOW),
                ("Workshop", Status.CANCELLED),
                ("Awaiting", Status.ACCEPTED),
            ]
        )
    }
    BookingFactory(session=other_session(world, title="Declined"), volunteer=profile, status=Status.DECLINED)
    BookingFactory(session=other_session(world, title="Expired"), volunteer=profile, status=Status.EXPIRED)
    BookingFactory(
        session=other_session(world, title="Lapsed"),
        volunteer=profile,
        invitation_expires_at=NOW - datetime.timedelta(minutes=1),
    )
    BookingFactory(session=other_session(world, title="Someone else's"), status=Status.ACCEPTED)

    response = browser.get(MY_SESSIONS)

    assert (response.status_code, h1(response)) == (200, "My sessions")
    invitations = section(response, "invitations")
    assert texts(invitations, "h3") == ["OSCE practice"]
    assert texts(invitations, "p", class_="session-summary") == [
        f"Tuesday 17 March 2026, 10:00–12:00 · {VENUE} · University A"
    ]
    assert texts(invitations, "p", class_="invitation-expiry") == ["Please answer by Monday 9 March 2026, 10:00."]
    [form] = find(invitations, "form")
    assert dict(form.attributes)["action"] == invitation_path(invited)
    assert texts(form, "button") == ["Yes, I'll come to OSCE practice", "No, not this time to OSCE practice"]
    assert rows(section(response, "upcoming")) == [
        ["Admissions interviews", "Friday 20 March 2026, 10:00–12:00", "Online", "University A"]
    ]
    assert texts(section(response, "upcoming"), "a", href=f"/my-sessions/{upcoming.pk}/") == ["Admissions interviews"]
    assert rows(section(response, "past")) == [
        [
            "Awaiting",
            "Sunday 8 February 2026, 10:00–12:00",
            "University A",
            "Took place; attendance not yet recorded",
        ],
        ["Workshop", "Saturday 7 February 2026, 10:00–12:00", "University A", "Cancelled"],
        ["Panel", "Friday 6 February 2026, 10:00–12:00", "University A", "Did not attend"],
        ["Storytelling", "Thursday 5 February 2026, 10:00–12:00", "University A", "You took part"],
    ]
    assert texts(section(response, "past"), "a", href=f"/my-sessions/{done[Status.ATTENDED].pk}/") == ["Storytelling"]


def test_my_sessions_empty_says_so(browser) -> None:
    response = browser.get(MY_SESSIONS)

    assert [texts(section(response, name), "p") for name in ("invitations", "upcoming", "past")] == [
        [
            "You have no invitations to answer just now. When a university invites you, we email you and the "
            "invitation appears here."
        ],
        [
            "You have no sessions booked. When you say yes to an invitation, the session appears here. Keeping your "
            "availability up to date helps coordinators invite you when you can come."
        ],
        ["Nothing here yet. Sessions appear here after they have happened, or if they are cancelled."],
    ]
    assert texts(response, "a", href=CALENDAR) == ["Add your sessions to your calendar"]


def test_my_sessions_buttons_answer_the_invitation_and_come_back(
    world: World, profile: VolunteerProfile, booking: Booking, browser
) -> None:
    [form] = find(section(browser.get(MY_SESSIONS), "invitations"), "form")

    response = browser.post(dict(form.attributes)["action"], {"answer": "accept"}, follow=True)

    assert response.redirect_chain == [(MY_SESSIONS, 302)]
    assert messages_on(response) == [f"Thank you. You have a place at “{TITLE}”. We have emailed you the details."]
    assert find(section(response, "invitations"), "form") == []
    assert [row[0] for row in rows(section(response, "upcoming"))] == [TITLE]


def test_my_sessions_is_forbidden_to_someone_without_a_profile(world: World) -> None:
    response = signed_in(world.coordinator).get(MY_SESSIONS)

    assert response.status_code == 403


@pytest.mark.parametrize("each", [1, 3])
def test_my_sessions_query_count_does_not_grow(
    world: World, profile: VolunteerProfile, django_assert_num_queries, each: int
) -> None:
    bookings_in_every_state(world, profile, each)
    client = signed_in(world.volunteer)

    # Session, user, two-factor check, profile, navigation; invitations and places to come
    # together; the page of the past and its count.
    with django_assert_num_queries(8):
        response = client.get(MY_SESSIONS)

    assert [
        len(find(section(response, "invitations"), "h3")),
        len(rows(section(response, "upcoming"))),
        len(rows(section(response, "past"))),
    ] == [each, each, each]


def test_my_sessions_past_comes_25_to_a_page_newest_first(world: World, profile: VolunteerProfile, browser) -> None:
    for number in range(26):
        moment = START - datetime.timedelta(days=60 - number)
        session = other_session(
            world,
            title=f"Past {number}",
            starts_at=moment,
            ends_at=moment + datetime.timedelta(hours=2),
            status=TeachingSession.Status.COMPLETED,
        )
        BookingFactory(session=session, volunteer=profile, status=Status.ATTENDED)

    first = browser.get(MY_SESSIONS)
    second = browser.get(MY_SESSIONS, {"page": "2"})

    assert [row[0] for row in rows(section(first, "past"))] == [f"Past {number}" for number in range(25, 0, -1)]
    assert [row[0] for row in rows(section(second, "past"))] == ["Past 0"]
    assert texts(section(first, "past"), "p", class_="small") == ["Page 1 of 2"]


def test_home_sends_a_volunteer_to_my_sessions(browser) -> None:
    response = browser.get("/")

    assert (response.status_code, response["Location"]) == (302, MY_SESSIONS)


# One booking


def test_my_booking_shows_the_details_and_what_the_coordinator_will_see(
    profile: VolunteerProfile, booking: Booking, browser
) -> None:
    accept_invitation(booking=booking, actor=profile.user)
    profile.large_print = True
    profile.topics_to_avoid = "My divorce"
    profile.save()

    response = browser.get(f"/my-sessions/{booking.pk}/")

    assert (response.status_code, h1(response)) == (200, TITLE)
    assert texts(response, "p", id="booking-status") == ["You have a place at this session."]
    assert facts(response) == FACTS
    assert texts(response, "ul", id="booking-actions") == ["Add to my calendar I can no longer come"]
    assert texts(response, "a", href="?ics=1") == ["Add to my calendar"]
    assert texts(response, "a", href=f"/my-sessions/{booking.pk}/cancel/") == ["I can no longer come"]
    assert text_by_id(response, "div", "briefing") == "Please arrive at 09:45. Ask for Dr Okafor at reception."
    assert texts(response, "ul", id="adjustments") == ["Large print materials"]
    assert texts(response, "p", id="topics-to-avoid") == ["My divorce"]


def test_my_booking_of_an_online_session_shows_the_link_once_accepted(
    world: World, profile: VolunteerProfile, browser
) -> None:
    online = other_session(world, venue="", online_link="https://meet.example.org/abc")
    [invited] = invite_free(session=online, volunteers=[profile], actor=world.coordinator)
    url = f"/my-sessions/{invited.pk}/"
    before = browser.get(url)
    accept_invitation(booking=invited, actor=profile.user)

    after = browser.get(url)

    assert find(before, "a", href="https://meet.example.org/abc") == []
    assert texts(before, "a", href=invitation_path(invited)) == ["Answer the invitation"]
    assert texts(before, "ul", id="booking-actions") == ["Answer the invitation"]
    assert texts(after, "a", href="https://meet.example.org/abc") == ["Join the session online"]


def test_my_booking_in_the_past_offers_no_cancelling_and_no_calendar(
    world: World, profile: VolunteerProfile, browser
) -> None:
    past = other_session(
        world, starts_at=START - datetime.timedelta(days=30), ends_at=END - datetime.timedelta(days=30)
    )
    attended = BookingFactory(session=past, volunteer=profile, status=Status.ATTENDED)

    response = browser.get(f"/my-sessions/{attended.pk}/")

    assert texts(response, "p", id="booking-status") == ["You took part in this session. Thank you."]
    assert find(response, "ul", id="booking-actions") == []
    assert find(response, "a", href="?ics=1") == []
    assert find(response, "div", id="shared-with-coordinator") == []


def test_my_booking_calendar_file_downloads(profile: VolunteerProfile, booking: Booking, browser) -> None:
    accept_invitation(booking=booking, actor=profile.user)

    response = browser.get(f"/my-sessions/{booking.pk}/", {"ics": "1"})

    assert (response.status_code, response["Content-Type"], response["Content-Disposition"]) == (
        200,
        "text/calendar; charset=utf-8",
        'attachment; filename="session.ics"',
    )
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert (str(event["UID"]), str(event["SUMMARY"]), event["DTSTART"].dt) == (
        f"booking-{booking.pk}@127.0.0.1:8000",
        f"{TITLE} (University A)",
        START.astimezone(datetime.UTC),
    )


def test_my_booking_calendar_file_of_an_unanswered_invitation_is_not_found(booking: Booking, browser) -> None:
    assert browser.get(f"/my-sessions/{booking.pk}/", {"ics": "1"}).status_code == 404


def test_my_booking_of_another_volunteer_is_not_found(world: World, browser) -> None:
    theirs = BookingFactory(session=other_session(world), status=Status.ACCEPTED)

    assert [
        browser.get(f"/my-sessions/{theirs.pk}/").status_code,
        browser.get(f"/my-sessions/{theirs.pk}/", {"ics": "1"}).status_code,
    ] == [404, 404]


# Cancelling a place


@pytest.fixture
def accepted(profile: VolunteerProfile, booking: Booking) -> Booking:
    return accept_invitation(booking=booking, actor=profile.user)


def test_cancel_asks_first(accepted: Booking, browser) -> None:
    response = browser.get(f"/my-sessions/{accepted.pk}/cancel/")

    assert (response.status_code, h1(response)) == (200, f"Cancel your place at “{TITLE}”?")
    assert facts(response) == FACTS
    assert texts(response, "label", for_="id_reason") == ["Would you like to tell us why? (optional)"]
    assert buttons(response) == ["Cancel my place"]
    assert state(accepted)[0] == Status.ACCEPTED


def test_cancel_with_a_reason_cancels_and_tells_the_coordinator(world: World, accepted: Booking, browser) -> None:
    response = browser.post(
        f"/my-sessions/{accepted.pk}/cancel/", {"reason": "I have a hospital appointment."}, follow=True
    )

    assert response.redirect_chain == [(MY_SESSIONS, 302)]
    assert messages_on(response) == [
        f"You have cancelled your place at “{TITLE}”. We have told the coordinator. Thank you for letting us know."
    ]
    assert state(accepted) == (Status.CANCELLED, NOW, NOW, "I have a hospital appointment.")
    assert accepted.cancelled_by == world.volunteer
    notification = Notification.objects.get(template_key="sessions_app/booking_cancelled_by_volunteer")
    assert (notification.recipient, notification.context["reason"]) == (
        world.coordinator,
        "I have a hospital appointment.",
    )
    assert rows(section(response, "past"))[0][3] == "Cancelled"


def test_cancel_without_a_reason(accepted: Booking, browser) -> None:
    response = browser.post(f"/my-sessions/{accepted.pk}/cancel/", {"reason": ""})

    assert (response.status_code, response["Location"]) == (302, MY_SESSIONS)
    assert state(accepted) == (Status.CANCELLED, NOW, NOW, "")


def test_cancel_reason_too_long_is_shown_by_the_field(accepted: Booking, browser) -> None:
    response = browser.post(f"/my-sessions/{accepted.pk}/cancel/", {"reason": "x" * 1001})

    assert response.status_code == 400
    assert error_of(response, "reason") == "Please use 1000 characters or fewer: this has 1001."
    assert state(accepted)[0] == Status.ACCEPTED


def test_cancel_someone_elses_booking_is_not_found(world: World, browser) -> None:
    theirs = BookingFactory(session=other_session(world), status=Status.ACCEPTED)

    assert [
        browser.get(f"/my-sessions/{theirs.pk}/cancel/").status_code,
        browser.post(f"/my-sessions/{theirs.pk}/cancel/", {"reason": ""}).status_code,
    ] == [404, 404]
    assert state(theirs) == (Status.ACCEPTED, None, None, "")


@pytest.mark.parametrize("method", ["get", "post"])
def test_cancel_after_the_session_started_is_refused(
    world: World, profile: VolunteerProfile, browser, method: str
) -> None:
    soon = other_session(world, starts_at=NOW + datetime.timedelta(hours=1), ends_at=NOW + datetime.timedelta(hours=3))
    [invited] = invite_free(session=soon, volunteers=[profile], actor=world.coordinator)
    accepted = accept_invitation(booking=invited, actor=profile.user)

    with time_machine.travel(NOW + datetime.timedelta(hours=1, minutes=5), tick=False):
        response = getattr(browser, method)(f"/my-sessions/{accepted.pk}/cancel/", follow=True)

    assert response.redirect_chain == [(f"/my-sessions/{accepted.pk}/", 302)]
    assert messages_on(response) == ["This session has already started, so your place can no longer be cancelled here."]
    assert state(accepted)[0] == Status.ACCEPTED


@pytest.mark.parametrize("method", ["get", "post"])
def test_cancel_when_there_is_no_place_says_so(booking: Booking, browser, method: str) -> None:
    response = getattr(browser, method)(f"/my-sessions/{booking.pk}/cancel/", follow=True)

    assert response.redirect_chain == [(f"/my-sessions/{booking.pk}/", 302)]
    assert messages_on(response) == ["There is no place to cancel: this booking is invited."]
    assert state(booking) == (Status.INVITED, None, None, "")


# The calendar page


def test_calendar_page_shows_the_private_address(profile: VolunteerProfile, browser) -> None:
    response = browser.get(CALENDAR)

    token = CalendarFeed.objects.get(volunteer=profile).token
    [address] = find(response, "input", id="feed-url")
    assert (response.status_code, h1(response)) == (200, "Your sessions in your calendar")
    assert dict(address.attributes)["value"] == f"{settings.SITE_URL}/calendar/{token}.ics"
    assert texts(response, "label", for_="feed-url") == ["Your private calendar address"]
    assert texts(response, "a", href=f"webcal://127.0.0.1:8000/calendar/{token}.ics") == ["Open in my calendar app"]
    assert texts(response, "p", id="no-health-data") == [
        "The calendar shows each session’s name, university, time and place, and whether it is going ahead. "
        "It never contains anything about your health, your adjustments or your experiences."
    ]
    assert buttons(response) == ["Copy the address", "Make a new address"]


def test_calendar_new_address_stops_the_old_one(world: World, profile: VolunteerProfile, browser) -> None:
    old = calendar_feed_for(profile).token

    response = browser.post(CALENDAR, follow=True)

    new = CalendarFeed.objects.get(volunteer=profile).token
    assert response.redirect_chain == [(CALENDAR, 302)]
    assert messages_on(response) == [
        "Your calendar has a new address. The old address has stopped working: please add the new one to your "
        "calendar app."
    ]
    assert new != old
    assert dict(find(response, "input", id="feed-url")[0].attributes)["value"].endswith(f"/calendar/{new}.ics")
    assert [Client().get(f"/calendar/{old}.ics").status_code, Client().get(f"/calendar/{new}.ics").status_code] == [
        404,
        200,
    ]
    assert actors("calendar.renewed") == [world.volunteer.pk]


def test_calendar_page_is_forbidden_to_someone_without_a_profile(world: World) -> None:
    assert signed_in(world.coordinator).post(CALENDAR).status_code == 403
    assert CalendarFeed.objects.count() == 0


# The check-in after an emotionally demanding session


@pytest.fixture
def check_in(world: World, profile: VolunteerProfile) -> CheckIn:
    demanding = other_session(
        world,
        title=TITLE,
        emotionally_demanding=True,
        starts_at=START - datetime.timedelta(days=16),
        ends_at=END - datetime.timedelta(days=16),
    )
    attended = BookingFactory(session=demanding, volunteer=profile, status=Status.ATTENDED)
    return CheckIn.objects.create(booking=attended)


def check_in_path(check_in: CheckIn, answer: str) -> str:
    return reverse("sessions_app:check_in", kwargs={"token": check_in_token(check_in), "answer": answer})


def chosen(response: HttpResponse) -> list[str]:
    return [dict(radio.attributes)["value"] for radio in find(response, "input", type="radio", checked=None)]


@pytest.mark.parametrize("answer", ["fine", "call"])
def test_check_in_page_preselects_the_answer_and_changes_nothing(check_in: CheckIn, answer: str) -> None:
    response = Client().get(check_in_path(check_in, answer))

    check_in.refresh_from_db()
    assert (response.status_code, h1(response)) == (200, "How are you after the session?")
    assert chosen(response) == [answer]
    assert texts(response, "label", for_="id_answer_0") == ["I'm fine"]
    assert texts(response, "label", for_="id_answer_1") == ["I'd like a call"]
    assert buttons(response) == ["Send my answer"]
    assert (check_in.answer, check_in.answered_at, keys()) == ("", None, [])


def test_check_in_fine_thanks_them(check_in: CheckIn) -> None:
    response = Client().post(check_in_path(check_in, "fine"), {"answer": "fine"})

    check_in.refresh_from_db()
    assert (response.status_code, h1(response)) == (200, "Thank you for letting us know")
    assert texts(response, "a", href=check_in_path(check_in, "call")) == ["ask your lead for a call"]
    assert (check_in.answer, check_in.answered_at, keys()) == ("fine", NOW, [])


def test_check_in_call_tells_the_lead_kindly(world: World, check_in: CheckIn) -> None:
    response = Client().post(check_in_path(check_in, "call"), {"answer": "call"})

    check_in.refresh_from_db()
    assert texts(response, "div", id="check-in-answer") == [
        "We have asked your lead to call you. They will be in touch soon. If you need to talk to someone before "
        "then, Samaritans are there day and night on 116 123. The call is free."
    ]
    assert (check_in.answer, check_in.answered_at) == ("call", NOW)
    assert list(Notification.objects.values_list("template_key", "recipient")) == [
        ("sessions_app/call_requested", world.lead.pk)
    ]


def test_check_in_the_chosen_answer_wins_over_the_link(check_in: CheckIn) -> None:
    Client().post(check_in_path(check_in, "call"), {"answer": "fine"})

    check_in.refresh_from_db()
    assert (check_in.answer, keys()) == ("fine", [])


def test_check_in_without_an_answer_shows_the_error(check_in: CheckIn) -> None:
    response = Client().post(check_in_path(check_in, "fine"), {})

    check_in.refresh_from_db()
    assert response.status_code == 400
    assert error_of(response, "answer") == "Please choose one of the answers."
    assert check_in.answer == ""


@pytest.mark.parametrize("method", ["get", "post"])
def test_check_in_tampered_link_is_refused(check_in: CheckIn, method: str) -> None:
    path = reverse("sessions_app:check_in", kwargs={"token": check_in_token(check_in) + "x", "answer": "call"})

    response = getattr(Client(), method)(path, {"answer": "call"})

    check_in.refresh_from_db()
    assert (response.status_code, h1(response)) == (400, "We could not open this link")
    assert texts(response, "div", id="link-error") == ["This link is not valid. Please check you copied all of it."]
    assert (check_in.answer, keys()) == ("", [])


def test_check_in_old_link_is_refused_kindly(check_in: CheckIn) -> None:
    path = check_in_path(check_in, "call")

    with time_machine.travel(NOW + datetime.timedelta(days=15), tick=False):
        response = Client().post(path, {"answer": "call"})

    assert response.status_code == 400
    assert texts(response, "div", id="link-error") == [
        "This link has expired. If you would like a call, please contact your lead."
    ]


def test_check_in_unknown_answer_is_not_found(check_in: CheckIn) -> None:
    path = reverse("sessions_app:check_in", kwargs={"token": check_in_token(check_in), "answer": "maybe"})

    assert [Client().get(path).status_code, Client().post(path, {"answer": "fine"}).status_code] == [404, 404]
