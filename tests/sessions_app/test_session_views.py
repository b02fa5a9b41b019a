"""The coordinator's session pages, through django.test.Client: the list, the month, the session
page, and creating, changing, copying, opening and cancelling sessions.

Every test runs on Tuesday 10 November 2026 at 09:00 UK time (GMT).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.http import HttpResponse
from django.utils import timezone

from accounts.models import Membership, User
from involvement.activity import record_activity
from involvement.models import ActivityLog, Notification
from sessions_app.clock import london_datetime
from sessions_app.models import Booking, Module, SessionMessage, TeachingSession
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, table_rows, text_of, texts
from tests.conftest import World, signed_in
from tests.sessions_app.factories import (
    BookingFactory,
    ModuleFactory,
    ProgrammeFactory,
    TeachingSessionFactory,
    in_days,
    session_at,
)
from volunteers.models import ConsentPurpose, VolunteerProfile

Role = Membership.Role
Status = TeachingSession.Status
BookingStatus = Booking.Status
NOW = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC)
LIST_URL = "/sessions/"
MONTH_URL = "/sessions/calendar/"
NEW_URL = "/sessions/new/"
PLANTED_TOPIC = "does-not-discuss-the-scan-results-9c1e"
PLANTED_ADJUSTMENT = "needs-a-quiet-room-9c1e"
TWICE_ON_25_OCTOBER = (
    "01:30 happens twice on Sunday 25 October 2026: the clocks go back an hour that night. Please choose another time."
)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@pytest.fixture(autouse=True)
def _fixed_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def at(day: datetime.date | str, time: str) -> datetime.datetime:
    """UK wall-clock time on a day, as an aware moment."""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return london_datetime(day, datetime.time.fromisoformat(time))


def our_module(world: World, code: str = "RAD4001", title: str = "Foundations of practice") -> Module:
    programme = ProgrammeFactory(university=world.university, name="BSc (Hons) Diagnostic Radiography")
    return ModuleFactory(programme=programme, code=code, title=title)


def session_on(world: World, module: Module, starts_at: datetime.datetime, **fields: Any) -> TeachingSession:
    ends_at = fields.pop("ends_at", starts_at + datetime.timedelta(hours=2))
    values = {"title": "Living with breast cancer", "owner": world.coordinator, **fields}
    return TeachingSessionFactory(module=module, starts_at=starts_at, ends_at=ends_at, **values)


def volunteer(world: World, name: str, **profile: Any) -> VolunteerProfile:
    """An active volunteer of Charity A called ``name``."""
    user = factories.UserFactory(name=name)
    membership = factories.NetworkMembershipFactory(
        volunteer=factories.VolunteerProfileFactory(user=user, **profile), network=world.charity
    )
    return membership.volunteer


def book(session: TeachingSession, profile: VolunteerProfile, status: str = BookingStatus.ACCEPTED) -> Booking:
    return BookingFactory(session=session, volunteer=profile, status=status)


def session_data(module: Module, owner: User, **changes: Any) -> dict[str, Any]:
    return {
        "module": module.pk,
        "title": "Living with breast cancer",
        "kind": "teaching",
        "date": "2026-12-01",
        "start_time": "10:00",
        "end_time": "12:00",
        "venue": "Room 2.14, Health Sciences Building",
        "online_link": "",
        "places": "3",
        "preferred_tags": [],
        "required_consents": [],
        "briefing": "Please arrive ten minutes early.",
        "purpose": "Students hear what good care feels like.",
        "owner": owner.pk,
        **changes,
    }


# Reading pages


def error_of(response: HttpResponse, field: str) -> str:
    [error] = texts(response, "div", id=f"id_{field}_error")
    return error


def form_errors(response: HttpResponse) -> list[str]:
    """The errors shown above a form, not tied to one field."""
    return [text for block in find(response, "div", class_="alert-block") for text in texts(block, "li")]


def input_value(response: HttpResponse, field: str) -> str | None:
    [element] = find(response, "input", id=f"id_{field}")
    return dict(element.attributes).get("value")


def titles(response: HttpResponse) -> list[str]:
    return [row[0] for row in table_rows(response)] if find(response, "tbody") else []


def actions(response: HttpResponse) -> list[tuple[str, str]]:
    found = find(response, "ul", id="actions")
    return [(text_of(link), dict(link.attributes)["href"]) for link in find(found[0], "a")] if found else []


def definitions(response: HttpResponse) -> dict[str, str]:
    [dl] = find(response, "dl")
    return dict(zip(texts(dl, "dt"), texts(dl, "dd"), strict=True))


def fields_of(session: TeachingSession) -> dict[str, Any]:
    session.refresh_from_db()
    return {
        "title": session.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "places": session.places,
        "status": session.status,
    }


# The list


def test_session_list_shows_upcoming_sessions_soonest_first(world: World) -> None:
    module = our_module(world)
    later = session_on(world, module, in_days(3, 14), title="Simulated clinic", kind="simulated_patient", places=3)
    book(later, volunteer(world, "Ann Able"))
    book(later, volunteer(world, "Ben Bell"), BookingStatus.INVITED)
    book(later, volunteer(world, "Cy Cole"), BookingStatus.INVITED)
    book(later, volunteer(world, "Di Dee"), BookingStatus.DECLINED)
    sooner = session_on(world, module, in_days(1, 10), title="Breaking bad news", status=Status.DRAFT, places=1)
    session_on(world, module, in_days(-1, 10), title="Yesterday")
    session_at(world.other_university, world.other_coordinator, title="Elsewhere")

    response = signed_in(world.coordinator).get(LIST_URL)

    assert response.status_code == 200
    assert h1(response) == "Sessions"
    assert table_rows(response) == [
        [
            "Breaking bad news",
            "RAD4001 Foundations of practice",
            "Wednesday 11 November 2026, 10:00–12:00",
            "Teaching or storytelling",
            "Draft",
            "0 of 1",
            "0",
        ],
        [
            "Simulated clinic",
            "RAD4001 Foundations of practice",
            "Friday 13 November 2026, 14:00–16:00",
            "Simulated patient",
            "Open",
            "1 of 3",
            "2",
        ],
    ]
    hrefs = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert hrefs == [f"/sessions/{sooner.pk}/", f"/sessions/{later.pk}/"]
    assert actions(response) == [
        ("New session", NEW_URL),
        ("Month calendar", MONTH_URL),
        ("Programmes and modules", "/programmes/"),
    ]


def test_session_list_marks_the_view_shown(world: World) -> None:
    response = signed_in(world.coordinator).get(LIST_URL, {"show": "past"})

    [tabs] = find(response, "nav", aria_label="Which sessions")
    [current] = find(tabs, "a", aria_current="page")
    assert (text_of(current), dict(current.attributes)["href"]) == ("Past", "?show=past")
    assert texts(response, "h2", id="heading") == ["Past"]


def test_session_list_past_shows_latest_first_with_places_taken_by_attendance(world: World) -> None:
    module = our_module(world)
    session_on(world, module, in_days(-30, 10), title="Last month", status=Status.COMPLETED)
    last_week = session_on(world, module, in_days(-7, 13), title="Last week", status=Status.COMPLETED, places=2)
    book(last_week, volunteer(world, "Ann Able"), BookingStatus.ATTENDED)
    book(last_week, volunteer(world, "Ben Bell"), BookingStatus.NO_SHOW)
    session_on(world, module, in_days(2, 10), title="Coming up")

    response = signed_in(world.coordinator).get(LIST_URL, {"show": "past"})

    assert [[row[0], row[2], row[4], row[5]] for row in table_rows(response)] == [
        ["Last week", "Tuesday 3 November 2026, 13:00–15:00", "Completed", "1 of 2"],
        ["Last month", "Sunday 11 October 2026, 10:00–12:00", "Completed", "0 of 2"],
    ]


def test_session_list_needs_attention_lists_exactly_the_sessions_that_need_something(world: World) -> None:
    module = our_module(world)
    ann, ben, cy = volunteer(world, "Ann Able"), volunteer(world, "Ben Bell"), volunteer(world, "Cy Cole")
    full = session_on(world, module, in_days(2), title="Full", places=2)
    book(full, ann)
    book(full, ben)
    unfilled = session_on(world, module, in_days(3), title="Unfilled", places=2)
    book(unfilled, ann)
    waiting = session_on(world, module, in_days(4), title="Waiting for answers", places=1)
    book(waiting, ann)
    book(waiting, ben, BookingStatus.INVITED)
    unmarked = session_on(world, module, in_days(-2), title="Attendance not marked", places=3)
    book(unmarked, cy)
    marked = session_on(world, module, in_days(-3), title="Marked", status=Status.COMPLETED, places=3)
    book(marked, cy, BookingStatus.ATTENDED)
    session_on(world, module, in_days(-4), title="Ended with nobody booked", places=1)
    session_on(world, module, in_days(5), title="A draft", status=Status.DRAFT)
    session_on(world, module, in_days(6), title="Cancelled", status=Status.CANCELLED)
    session_at(world.other_university, world.other_coordinator, title="Elsewhere, unfilled")

    response = signed_in(world.coordinator).get(LIST_URL, {"show": "attention"})

    assert [[row[0], row[5], row[6], row[7]] for row in table_rows(response)] == [
        ["Attendance not marked", "1 of 3", "0", "Attendance to mark"],
        ["Unfilled", "1 of 2", "0", "Places to fill"],
        ["Waiting for answers", "1 of 1", "1", "Invitations waiting for an answer"],
    ]
    assert texts(response, "h2", id="heading") == ["Needs attention"]


def test_session_list_needs_attention_says_when_nothing_needs_doing(world: World) -> None:
    response = signed_in(world.coordinator).get(LIST_URL, {"show": "attention"})

    assert titles(response) == []
    assert "Nothing needs your attention. Well done." in texts(response, "p")


@pytest.mark.parametrize("show", ["elsewhere", "", "UPCOMING"])
def test_session_list_shows_upcoming_for_an_unknown_view(world: World, show: str) -> None:
    module = our_module(world)
    session_on(world, module, in_days(1), title="Tomorrow")
    session_on(world, module, in_days(-1), title="Yesterday")

    response = signed_in(world.coordinator).get(LIST_URL, {"show": show})

    assert (response.status_code, titles(response)) == (200, ["Tomorrow"])


def test_session_list_is_for_coordinators(world: World) -> None:
    assert signed_in(world.volunteer).get(LIST_URL).status_code == 403


@pytest.mark.parametrize("show", ["upcoming", "past", "attention"])
@pytest.mark.parametrize("count", [1, 3])
def test_session_list_query_count_does_not_grow(world: World, django_assert_num_queries, show: str, count: int) -> None:
    module = our_module(world)
    for number in range(count):
        days = -2 - number if show == "past" else 2 + number
        session = session_on(world, module, in_days(days), title=f"Session {number}", places=3)
        book(session, volunteer(world, f"Accepted {number}"))
        book(session, volunteer(world, f"Invited {number}"), BookingStatus.INVITED)
    client = signed_in(world.coordinator)

    with django_assert_num_queries(7):
        response = client.get(LIST_URL, {"show": show})

    assert len(titles(response)) == count


# The month


def month_cells(response: HttpResponse) -> list[list[str]]:
    [table] = find(response, "table", id="month")
    [body] = find(table, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


def test_month_shows_the_months_sessions_on_their_days(world: World) -> None:
    module = our_module(world)
    first = session_on(world, module, at("2026-11-03", "14:00"), title="Simulated clinic")
    morning = session_on(world, module, at("2026-11-10", "10:00"), title="Storytelling")
    panel = session_on(world, module, at("2026-11-10", "16:30"), title="Panel", status=Status.DRAFT)
    last = session_on(world, module, at("2026-11-30", "09:15"), title="Last day")
    session_on(world, module, at("2026-12-01", "10:00"), title="December")
    session_on(world, module, at("2026-10-31", "10:00"), title="October")
    session_at(world.other_university, world.other_coordinator, starts_at=at("2026-11-12", "10:00"))

    response = signed_in(world.coordinator).get(MONTH_URL)

    assert response.status_code == 200
    assert h1(response) == "Sessions in November 2026"
    assert texts(find(response, "table", id="month")[0], "th") == WEEKDAYS
    cells = month_cells(response)
    assert len(cells) == 6
    assert cells[0] == [*(f"{day} October, another month" for day in range(26, 32)), "1 November"]
    assert cells[1][1] == "3 November 14:00 Simulated clinic"
    hrefs = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert hrefs == [session.get_absolute_url() for session in (first, morning, panel, last)]
    assert cells[2][1] == "10 November (today) 10:00 Storytelling 16:30 Panel (draft)"
    assert cells[5] == [
        "30 November 09:15 Last day",
        *(f"{day} December, another month" for day in range(1, 7)),
    ]
    [today] = find(response, "td", aria_current="date")
    links = [(text_of(link), dict(link.attributes)["href"]) for link in find(today, "a")]
    assert links[0] == ("10:00 Storytelling", f"/sessions/{morning.pk}/")
    assert texts(response, "p", id="count") == ["4 sessions this month. Times are UK time."]
    assert [dict(link.attributes)["href"] for link in find(find(response, "ul", id="months")[0], "a")] == [
        "?month=2026-10",
        MONTH_URL,
        "?month=2026-12",
        LIST_URL,
    ]


def test_month_shows_the_month_asked_for_without_marking_today(world: World) -> None:
    response = signed_in(world.coordinator).get(MONTH_URL, {"month": "2027-01"})

    assert h1(response) == "Sessions in January 2027"
    assert find(response, "td", aria_current="date") == []
    hrefs = [dict(link.attributes)["href"] for link in find(find(response, "ul", id="months")[0], "a")]
    assert (hrefs[0], hrefs[2]) == ("?month=2026-12", "?month=2027-02")
    assert messages_on(response) == []


def test_month_places_sessions_on_their_uk_day_in_summer_time(world: World) -> None:
    module = our_module(world)
    session_on(world, module, at("2026-07-01", "00:30"), title="Just after midnight")
    session_on(world, module, at("2026-06-30", "23:30"), title="Late in June", ends_at=at("2026-07-01", "00:15"))

    response = signed_in(world.coordinator).get(MONTH_URL, {"month": "2026-07"})

    cells = month_cells(response)
    assert cells[0][2] == "1 July 00:30 Just after midnight"
    assert "Late in June" not in " ".join(cell for row in cells for cell in row)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "November", "2026-1", "0000-01", "12026-01", "2026-11-01"])
def test_month_shows_this_month_with_a_message_for_a_month_it_cannot_read(world: World, month: str) -> None:
    response = signed_in(world.coordinator).get(MONTH_URL, {"month": month})

    assert response.status_code == 200
    assert h1(response) == "Sessions in November 2026"
    assert messages_on(response) == ["We could not read that month, so here is this month."]


@pytest.mark.parametrize("count", [1, 3])
def test_month_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    module = our_module(world)
    for number in range(count):
        session = session_on(world, module, at(f"2026-11-{12 + number}", "10:00"), title=f"Session {number}")
        book(session, volunteer(world, f"Volunteer {number}"))
    client = signed_in(world.coordinator)

    with django_assert_num_queries(6):
        response = client.get(MONTH_URL)

    assert texts(response, "p", id="count") == [
        f"{count} session{'s' if count > 1 else ''} this month. Times are UK time."
    ]


# Creating a session


def test_session_new_offers_only_the_coordinators_modules_partners_experience_and_coordinators(
    world: World, consent_purposes: list[ConsentPurpose]
) -> None:
    module = our_module(world)
    ModuleFactory(programme=ProgrammeFactory(university=world.other_university), code="ELSE001")
    factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")
    factories.ExperienceTagFactory(network=world.other_charity, name="not a partner's")
    colleague = factories.staff(Role.COORDINATOR, world.university, name="Aled Ap Coordinator")

    response = signed_in(world.coordinator).get(NEW_URL)

    assert h1(response) == "New session"
    assert texts(find(response, "select", id="id_module")[0], "option") == [
        "---------",
        f"RAD4001 Foundations of practice (BSc (Hons) Diagnostic Radiography, {module.programme.academic_year})",
    ]
    owner_options = find(find(response, "select", id="id_owner")[0], "option")
    assert [text_of(option) for option in owner_options] == sorted([colleague.name, world.coordinator.name])
    [selected] = find(find(response, "select", id="id_owner")[0], "option", selected=None)
    assert dict(selected.attributes)["value"] == str(world.coordinator.pk)
    labels = texts(response, "label", class_="form-check-label")
    assert labels == [
        "radiotherapy (Charity A)",
        *(purpose.name for purpose in consent_purposes),
        "This session may be emotionally demanding",
    ]
    # Typed as 27/03/2026 and 14:30, whatever the browser's language (involvement.widgets).
    assert dict(find(response, "input", id="id_start_time")[0].attributes)["type"] == "text"
    assert dict(find(response, "input", id="id_date")[0].attributes)["type"] == "text"


def test_session_new_leaves_out_experience_when_no_partner_has_a_list(world: World) -> None:
    response = signed_in(world.coordinator).get(NEW_URL)

    assert find(response, "input", name="preferred_tags") == []


def test_session_new_saves_a_draft_with_everything_and_goes_to_it(
    world: World, consent_purposes: list[ConsentPurpose]
) -> None:
    module = our_module(world)
    tag = factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")
    colleague = factories.staff(Role.COORDINATOR, world.university)
    story = ConsentPurpose.objects.get(code="share-story")
    data = session_data(
        module,
        colleague,
        kind="simulated_patient",
        date="2027-06-15",
        start_time="14:00",
        end_time="16:30",
        online_link="https://meet.example.org/abc",
        places="4",
        preferred_tags=[tag.pk],
        required_consents=[story.pk],
        emotionally_demanding="on",
    )

    response = signed_in(world.coordinator).post(NEW_URL, data, follow=True)

    session = TeachingSession.objects.get()
    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert messages_on(response) == [
        "The session is saved as a draft. Open it when you are ready to invite volunteers."
    ]
    assert (
        session.module,
        session.title,
        session.kind,
        session.starts_at,
        session.ends_at,
        session.venue,
        session.online_link,
        session.places,
        session.briefing,
        session.purpose,
        session.emotionally_demanding,
        session.owner,
        session.status,
    ) == (
        module,
        "Living with breast cancer",
        "simulated_patient",
        datetime.datetime(2027, 6, 15, 13, 0, tzinfo=datetime.UTC),
        datetime.datetime(2027, 6, 15, 15, 30, tzinfo=datetime.UTC),
        "Room 2.14, Health Sciences Building",
        "https://meet.example.org/abc",
        4,
        "Please arrive ten minutes early.",
        "Students hear what good care feels like.",
        True,
        colleague,
        Status.DRAFT,
    )
    assert (list(session.preferred_tags.all()), list(session.required_consents.all())) == ([tag], [story])
    assert list(ActivityLog.objects.values_list("action", flat=True)) == ["session.created"]


def test_session_new_takes_an_online_session_without_a_venue(world: World) -> None:
    data = session_data(our_module(world), world.coordinator, venue="", online_link="https://meet.example.org/x")

    response = signed_in(world.coordinator).post(NEW_URL, data)

    assert response.status_code == 302
    assert TeachingSession.objects.get().is_online is True


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "09:30"}, "end_time", "The session must end after it starts. Please check the end time."),
        ({"end_time": "10:00"}, "end_time", "The session must end after it starts. Please check the end time."),
        ({"places": "0"}, "places", "Please enter a number of places from 1 to 500."),
        ({"places": "-2"}, "places", "Please enter a number of places from 1 to 500."),
        ({"places": "501"}, "places", "Please enter a number of places from 1 to 500."),
        ({"places": "three"}, "places", "Please enter a number of places from 1 to 500."),
        (
            {"date": "2026-03-29", "start_time": "01:30", "end_time": "03:00"},
            "start_time",
            "01:30 does not exist on Sunday 29 March 2026: the clocks go forward an hour that night. "
            "Please choose another time.",
        ),
        (
            {"date": "2026-10-25", "start_time": "01:30", "end_time": "03:00"},
            "start_time",
            TWICE_ON_25_OCTOBER,
        ),
        (
            {"date": "2026-10-25", "start_time": "00:30", "end_time": "01:30"},
            "end_time",
            TWICE_ON_25_OCTOBER,
        ),
        ({"start_time": "2pm"}, "start_time", "Please enter a time on the 24-hour clock, for example 14:30."),
        ({"start_time": "25:00"}, "start_time", "Please enter a time on the 24-hour clock, for example 14:30."),
        ({"date": "31/02/2027"}, "date", "Please enter a date, for example 17/11/2026."),
        ({"venue": "", "online_link": ""}, "venue", "Please give a venue, or an online link for an online session."),
        ({"online_link": "not a link at all"}, "online_link", "Please enter the full meeting link, starting https://"),
        ({"title": ""}, "title", "Please fill this in."),
    ],
)
def test_session_new_refuses_bad_input_next_to_the_field(
    world: World, changes: dict[str, str], field: str, message: str
) -> None:
    data = session_data(our_module(world), world.coordinator, **changes)

    response = signed_in(world.coordinator).post(NEW_URL, data)

    assert response.status_code == 400
    assert error_of(response, field) == message
    assert TeachingSession.objects.count() == 0


def test_session_new_refuses_another_universitys_module(world: World) -> None:
    elsewhere = ModuleFactory(programme=ProgrammeFactory(university=world.other_university))
    our_module(world)

    response = signed_in(world.coordinator).post(NEW_URL, session_data(elsewhere, world.coordinator))

    assert response.status_code == 400
    assert error_of(response, "module") == "Please choose one of your university’s modules."
    assert TeachingSession.objects.count() == 0


def test_session_new_refuses_experience_from_a_network_that_is_not_a_partner(world: World) -> None:
    factories.ExperienceTagFactory(network=world.charity, name="ours")
    theirs = factories.ExperienceTagFactory(network=world.other_charity, name="theirs")

    response = signed_in(world.coordinator).post(
        NEW_URL, session_data(our_module(world), world.coordinator, preferred_tags=[theirs.pk])
    )

    assert response.status_code == 400
    assert error_of(response, "preferred_tags") == "Please choose experience from your partner networks’ lists."
    assert TeachingSession.objects.count() == 0


def test_session_new_refuses_experience_of_another_of_the_coordinators_universities_partners(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.other_university, role=Role.COORDINATOR)
    theirs = factories.ExperienceTagFactory(network=world.other_charity, name="theirs")

    response = signed_in(world.coordinator).post(
        NEW_URL, session_data(our_module(world), world.coordinator, preferred_tags=[theirs.pk])
    )

    assert response.status_code == 400
    assert error_of(response, "preferred_tags") == (
        "Please choose experience from the lists of this module’s university’s partners."
    )
    assert TeachingSession.objects.count() == 0


def test_session_new_refuses_an_owner_from_another_university(world: World) -> None:
    response = signed_in(world.coordinator).post(NEW_URL, session_data(our_module(world), world.other_coordinator))

    assert response.status_code == 400
    assert error_of(response, "owner") == "Please choose a coordinator of your university."
    assert TeachingSession.objects.count() == 0


def test_session_new_refuses_an_owner_who_coordinates_only_the_other_university(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.other_university, role=Role.COORDINATOR)

    response = signed_in(world.coordinator).post(NEW_URL, session_data(our_module(world), world.other_coordinator))

    assert response.status_code == 400
    assert error_of(response, "owner") == "The owner must be a coordinator of this module’s university."
    assert TeachingSession.objects.count() == 0


def test_session_new_is_for_coordinators(world: World) -> None:
    response = signed_in(world.lead).post(NEW_URL, session_data(our_module(world), world.coordinator))

    assert response.status_code == 403
    assert TeachingSession.objects.count() == 0


# Changing a session


def test_session_edit_shows_the_session_in_uk_time(world: World) -> None:
    session = session_on(world, our_module(world), at("2027-06-15", "14:00"), ends_at=at("2027-06-15", "16:30"))

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/edit/")

    assert h1(response) == "Change “Living with breast cancer”"
    assert (input_value(response, "date"), input_value(response, "start_time"), input_value(response, "end_time")) == (
        "15/06/2027",
        "14:00",
        "16:30",
    )
    assert input_value(response, "places") == "2"


def test_session_edit_saves_the_changes_and_tells_accepted_volunteers(world: World) -> None:
    module = our_module(world)
    session = session_on(world, module, at("2026-12-01", "10:00"), places=2)
    booking = book(session, volunteer(world, "Ann Able"))
    data = session_data(module, world.coordinator, title="A new title", start_time="11:00", end_time="13:00")

    response = signed_in(world.coordinator).post(f"/sessions/{session.pk}/edit/", data, follow=True)

    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert messages_on(response) == ["Your changes are saved."]
    assert fields_of(session) == {
        "title": "A new title",
        "starts_at": at("2026-12-01", "11:00"),
        "ends_at": at("2026-12-01", "13:00"),
        "places": 3,
        "status": Status.OPEN,
    }
    assert list(Notification.objects.values_list("template_key", "recipient")) == [
        ("sessions_app/session_changed", booking.volunteer.user_id)
    ]


def test_session_edit_refuses_fewer_places_than_volunteers_accepted(world: World) -> None:
    module = our_module(world)
    session = session_on(world, module, at("2026-12-01", "10:00"), places=3)
    book(session, volunteer(world, "Ann Able"))
    book(session, volunteer(world, "Ben Bell"))
    before = fields_of(session)

    response = signed_in(world.coordinator).post(
        f"/sessions/{session.pk}/edit/", session_data(module, world.coordinator, title="Changed", places="1")
    )

    assert response.status_code == 400
    assert error_of(response, "places") == "2 volunteers have already accepted, so the session needs at least 2 places."
    assert fields_of(session) == before
    assert ActivityLog.objects.count() == 0


def test_session_edit_refuses_a_time_that_does_not_exist_and_changes_nothing(world: World) -> None:
    module = our_module(world)
    session = session_on(world, module, at("2026-12-01", "10:00"))
    before = fields_of(session)

    response = signed_in(world.coordinator).post(
        f"/sessions/{session.pk}/edit/",
        session_data(module, world.coordinator, date="2027-03-28", start_time="01:15", end_time="04:00"),
    )

    assert response.status_code == 400
    assert error_of(response, "start_time") == (
        "01:15 does not exist on Sunday 28 March 2027: the clocks go forward an hour that night. "
        "Please choose another time."
    )
    assert fields_of(session) == before


def test_session_edit_refuses_a_cancelled_session(world: World) -> None:
    module = our_module(world)
    session = session_on(world, module, at("2026-12-01", "10:00"), status=Status.CANCELLED)
    before = fields_of(session)

    response = signed_in(world.coordinator).post(
        f"/sessions/{session.pk}/edit/", session_data(module, world.coordinator, title="Changed")
    )

    assert response.status_code == 400
    assert form_errors(response) == ["This session is cancelled and can no longer be changed."]
    assert fields_of(session) == before


def test_session_edit_refuses_moving_it_to_another_universitys_module(world: World) -> None:
    module = our_module(world)
    session = session_on(world, module, at("2026-12-01", "10:00"))
    elsewhere = ModuleFactory(programme=ProgrammeFactory(university=world.other_university))

    response = signed_in(world.coordinator).post(
        f"/sessions/{session.pk}/edit/", session_data(elsewhere, world.coordinator)
    )

    session.refresh_from_db()
    assert response.status_code == 400
    assert error_of(response, "module") == "Please choose one of your university’s modules."
    assert session.module == module


@pytest.mark.parametrize("action", ["", "edit/", "copy/", "open/", "cancel/"])
def test_session_pages_of_another_university_are_not_found(world: World, action: str) -> None:
    session = session_at(world.other_university, world.other_coordinator, status=Status.DRAFT)
    client = signed_in(world.coordinator)
    data = {**session_data(session.module, world.coordinator), "reason": "No room."}

    got = client.get(f"/sessions/{session.pk}/{action}")
    posted = client.post(f"/sessions/{session.pk}/{action}", data)

    assert got.status_code == 404
    assert posted.status_code == (405 if action == "" else 404)
    session.refresh_from_db()
    assert (session.status, TeachingSession.objects.count()) == (Status.DRAFT, 1)


# The session page


@pytest.fixture
def busy(world: World) -> dict[str, Any]:
    """An open session in a week with a volunteer in every state, and a message sent."""
    module = our_module(world)
    session = session_on(
        world,
        module,
        at("2026-11-17", "10:00"),
        ends_at=at("2026-11-17", "12:30"),
        places=3,
        venue="Room 2.14",
        emotionally_demanding=True,
    )
    session.preferred_tags.set([factories.ExperienceTagFactory(network=world.charity, name="radiotherapy")])
    ann = volunteer(
        world,
        "Ann Able",
        preferred_name="Annie",
        step_free_access=True,
        dietary_needs="vegetarian",
        other_adjustments=PLANTED_ADJUSTMENT,
        topics_to_avoid="The day of the diagnosis.",
    )
    ben = volunteer(world, "Ben Bell", rest_breaks=True)
    invited = volunteer(world, "Cy Cole", topics_to_avoid=PLANTED_TOPIC, large_print=True)
    declined = volunteer(world, "Di Dee", topics_to_avoid=PLANTED_TOPIC + "-declined", parking=True)
    bookings = {
        "ann": book(session, ann),
        "ben": book(session, ben),
        "invited": book(session, invited, BookingStatus.INVITED),
        "declined": book(session, declined, BookingStatus.DECLINED),
        "expired": book(session, volunteer(world, "Eve Eden"), BookingStatus.EXPIRED),
        "cancelled": book(session, volunteer(world, "Fay Ford"), BookingStatus.CANCELLED),
    }
    bookings["invited"].invitation_expires_at = at("2026-11-14", "18:00")
    bookings["invited"].save()
    SessionMessage.objects.create(
        session=session, author=world.coordinator, subject="Parking", body="Use car park B.", recipients=2
    )
    return {"session": session, "bookings": bookings, "ann": ann, "ben": ben}


def test_session_page_shows_everything_about_the_session(world: World, busy: dict[str, Any]) -> None:
    session = busy["session"]

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert response.status_code == 200
    assert h1(response) == "Living with breast cancer"
    assert texts(response, "p", id="summary") == ["Open. Tuesday 17 November 2026, 10:00–12:30. 2 of 3 places filled."]
    assert definitions(response) == {
        "Status": "Open",
        "Module": f"RAD4001 Foundations of practice (BSc (Hons) Diagnostic Radiography, "
        f"{session.module.programme.academic_year})",
        "When": "Tuesday 17 November 2026, 10:00–12:30",
        "Kind": "Teaching or storytelling",
        "Venue": "Room 2.14",
        "Online link": "—",
        "Places filled": "2 of 3",
        "Preferred experience": "radiotherapy (Charity A)",
        "Consent needed": "—",
        "Briefing for volunteers": "Please arrive ten minutes early.",
        "Purpose": "Students hear what good care feels like.",
        "Emotionally demanding": "Yes: volunteers are asked how they are the day after",
        "Owner": world.coordinator.name,
    }
    assert texts(response, "h3", class_="h5") == [
        "Invited, waiting for an answer (1)",
        "Accepted (2)",
        "Declined (1)",
        "Invitation expired (1)",
        "Cancelled (1)",
    ]
    assert texts(response, "ul", id="declined") == ["Di Dee · Invite again Di Dee"]
    assert texts(response, "ul", id="expired") == ["Eve Eden · Invite again Eve Eden"]
    assert texts(response, "ul", id="cancelled") == ["Fay Ford · Invite again Fay Ford"]
    [message] = find(response, "article")
    assert text_of(message) == (
        f"Parking Sent Tuesday 10 November 2026, 09:00 by {world.coordinator.name} to 2 volunteers. Use car park B."
    )


def test_session_page_shows_adjustments_of_accepted_volunteers_only(world: World, busy: dict[str, Any]) -> None:
    session, bookings = busy["session"], busy["bookings"]

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    [accepted] = find(response, "table", id="accepted")
    assert [texts(row, "td") for row in find(find(accepted, "tbody")[0], "tr")] == [
        [
            "Annie",
            f"Step-free access Dietary needs: vegetarian {PLANTED_ADJUSTMENT}",
            "The day of the diagnosis.",
            "Cancel Annie’s place",
        ],
        ["Ben Bell", "Rest breaks", "None", "Cancel Ben Bell’s place"],
    ]
    [invited] = find(response, "table", id="invited")
    assert [texts(row, "td") for row in find(find(invited, "tbody")[0], "tr")] == [
        ["Cy Cole", "Saturday 14 November 2026, 18:00", "Cancel Cy Cole’s invitation"]
    ]
    page = response.content.decode()
    assert (PLANTED_TOPIC in page, "Large print" in page, "parking space" in page) == (False, False, False)
    cancel_links = [
        dict(link.attributes)["href"] for link in find(response, "a") if text_of(link).startswith("Cancel ")
    ]
    assert cancel_links == [
        f"/bookings/{bookings['invited'].pk}/cancel/",
        f"/bookings/{bookings['ann'].pk}/cancel/",
        f"/bookings/{bookings['ben'].pk}/cancel/",
    ]


def test_session_page_records_each_accepted_volunteer_whose_adjustments_were_shown(
    world: World, busy: dict[str, Any]
) -> None:
    signed_in(world.coordinator).get(f"/sessions/{busy['session'].pk}/")

    # Recorded for the network whose volunteers were shown, from the coordinator's university.
    [entry] = ActivityLog.objects.filter(action="volunteer.special_category_listed")
    assert (entry.actor, entry.organisation, entry.data) == (
        world.coordinator,
        world.charity,
        {"page": "session", "volunteers": sorted([busy["ann"].pk, busy["ben"].pk]), "from": world.university.pk},
    )


def test_session_page_shows_no_adjustments_and_records_nothing_without_accepted_volunteers(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"))
    book(session, volunteer(world, "Cy Cole", topics_to_avoid=PLANTED_TOPIC), BookingStatus.INVITED)

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert PLANTED_TOPIC not in response.content.decode()
    assert find(response, "table", id="accepted") == []
    assert ActivityLog.objects.filter(action__startswith="volunteer.special_category").count() == 0


def test_session_page_says_when_nobody_is_invited(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"))

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert "Nobody has been invited yet." in texts(response, "p")
    assert "No invitations or messages have been sent about this session." in texts(response, "p")


def url_of(session: TeachingSession, action: str) -> str:
    return f"/sessions/{session.pk}/{action}/"


def test_session_page_actions_of_a_draft(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), status=Status.DRAFT)

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert actions(response) == [
        ("Open", url_of(session, "open")),
        ("Edit", url_of(session, "edit")),
        ("Copy", url_of(session, "copy")),
        ("Cancel", url_of(session, "cancel")),
    ]


def test_session_page_actions_of_an_open_session_with_volunteers(world: World, busy: dict[str, Any]) -> None:
    session = busy["session"]

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert actions(response) == [
        ("Find volunteers", url_of(session, "matching")),
        ("Message accepted volunteers", url_of(session, "message")),
        ("Edit", url_of(session, "edit")),
        ("Copy", url_of(session, "copy")),
        ("Cancel", url_of(session, "cancel")),
    ]


def test_session_page_actions_of_an_open_session_nobody_accepted_yet(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"))

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert [label for label, _url in actions(response)] == ["Find volunteers", "Edit", "Copy", "Cancel"]


def test_session_page_offers_to_mark_attendance_once_it_has_ended(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-09", "10:00"))
    booking = book(session, volunteer(world, "Ann Able"))

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert actions(response) == [("Mark attendance", url_of(session, "attendance")), ("Copy", url_of(session, "copy"))]
    assert f"/bookings/{booking.pk}/cancel/" not in response.content.decode()


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED])
def test_session_page_offers_only_a_copy_when_it_is_over(world: World, status: str) -> None:
    session = session_on(
        world, our_module(world), at("2026-11-17", "10:00"), status=status, cancelled_reason="The room flooded."
    )

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    assert actions(response) == [("Copy", url_of(session, "copy"))]
    assert ("Why it was cancelled" in definitions(response)) == (status == Status.CANCELLED)


@pytest.mark.parametrize("count", [1, 3])
def test_session_page_query_count_does_not_grow_with_bookings(
    world: World, django_assert_num_queries, count: int
) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), places=3)
    session.preferred_tags.set([factories.ExperienceTagFactory(network=world.charity)])
    book(session, volunteer(world, "Accepted", step_free_access=True))
    for number in range(count):
        invited = book(session, volunteer(world, f"Invited {number}"), BookingStatus.INVITED)
        record_activity(actor=world.coordinator, action="booking.invited", target=invited)
        book(session, volunteer(world, f"Declined {number}"), BookingStatus.DECLINED)
        SessionMessage.objects.create(session=session, author=world.coordinator, subject=f"S{number}", body="Hello.")
    client = signed_in(world.coordinator)

    with django_assert_num_queries(14):  # one finds the networks of those shown
        response = client.get(f"/sessions/{session.pk}/")

    assert len(find(response, "article")) == 2 * count


@pytest.mark.parametrize("count", [1, 3])
def test_session_page_query_count_does_not_grow_with_accepted_volunteers(
    world: World, django_assert_num_queries, count: int
) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), places=3)
    for number in range(count):
        book(session, volunteer(world, f"Accepted {number}", step_free_access=True))
    client = signed_in(world.coordinator)

    with django_assert_num_queries(14):  # one finds the networks of those shown
        client.get(f"/sessions/{session.pk}/")

    [entry] = ActivityLog.objects.filter(action="volunteer.special_category_listed")
    assert len(entry.data["volunteers"]) == count


# Copying


def test_session_copy_suggests_the_same_time_a_year_later(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-06-16", "14:00"), ends_at=at("2026-06-16", "16:00"))

    response = signed_in(world.coordinator).get(url_of(session, "copy"))

    assert h1(response) == "Copy “Living with breast cancer”"
    assert (input_value(response, "date"), input_value(response, "start_time"), input_value(response, "end_time")) == (
        "16/06/2027",
        "14:00",
        "16:00",
    )


def test_session_copy_of_29_february_suggests_28_february(world: World) -> None:
    session = session_on(world, our_module(world), at("2028-02-29", "10:00"))

    response = signed_in(world.coordinator).get(url_of(session, "copy"))

    assert input_value(response, "date") == "28/02/2029"


def test_session_copy_makes_a_draft_like_the_original_and_goes_to_it(
    world: World, consent_purposes: list[ConsentPurpose]
) -> None:
    colleague = factories.staff(Role.COORDINATOR, world.university)
    session = session_on(world, our_module(world), at("2026-06-16", "14:00"), owner=colleague, places=4)
    session.status = Status.COMPLETED
    session.save()
    tag = factories.ExperienceTagFactory(network=world.charity)
    session.preferred_tags.set([tag])
    session.required_consents.set([consent_purposes[1]])

    response = signed_in(world.coordinator).post(
        url_of(session, "copy"), {"date": "2027-06-15", "start_time": "09:30", "end_time": "11:00"}, follow=True
    )

    copy = TeachingSession.objects.exclude(pk=session.pk).get()
    assert response.redirect_chain == [(f"/sessions/{copy.pk}/", 302)]
    assert messages_on(response) == ["The copy is saved as a draft. Check the details, then open it."]
    assert (copy.title, copy.module, copy.places, copy.owner, copy.status, copy.starts_at, copy.ends_at) == (
        session.title,
        session.module,
        4,
        world.coordinator,
        Status.DRAFT,
        at("2027-06-15", "09:30"),
        at("2027-06-15", "11:00"),
    )
    assert (list(copy.preferred_tags.all()), list(copy.required_consents.all())) == ([tag], [consent_purposes[1]])


def test_session_copy_refuses_an_hour_that_happens_twice_and_copies_nothing(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-06-16", "14:00"))

    response = signed_in(world.coordinator).post(
        url_of(session, "copy"), {"date": "2027-10-31", "start_time": "01:00", "end_time": "03:00"}
    )

    assert response.status_code == 400
    assert error_of(response, "start_time") == (
        "01:00 happens twice on Sunday 31 October 2027: the clocks go back an hour that night. "
        "Please choose another time."
    )
    assert TeachingSession.objects.count() == 1


def test_session_copy_refuses_an_end_before_the_start(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-06-16", "14:00"))

    response = signed_in(world.coordinator).post(
        url_of(session, "copy"), {"date": "2027-06-15", "start_time": "14:00", "end_time": "13:00"}
    )

    assert response.status_code == 400
    assert error_of(response, "end_time") == "The session must end after it starts. Please check the end time."
    assert TeachingSession.objects.count() == 1


# Opening


def test_session_open_asks_then_opens_the_draft(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), status=Status.DRAFT)
    client = signed_in(world.coordinator)

    page = client.get(url_of(session, "open"))
    response = client.post(url_of(session, "open"), follow=True)

    assert h1(page) == "Open “Living with breast cancer”?"
    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert messages_on(response) == ["The session is open. You can now invite volunteers."]
    assert fields_of(session)["status"] == Status.OPEN


def test_session_open_refuses_a_session_that_is_not_a_draft(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), status=Status.CANCELLED)

    response = signed_in(world.coordinator).post(url_of(session, "open"))

    assert response.status_code == 400
    assert form_errors(response) == ["Only a draft session can be opened."]
    assert fields_of(session)["status"] == Status.CANCELLED


def test_session_open_refuses_a_draft_that_has_started(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-09", "10:00"), status=Status.DRAFT)

    response = signed_in(world.coordinator).post(url_of(session, "open"))

    assert response.status_code == 400
    assert form_errors(response) == ["This session has already started."]
    assert fields_of(session)["status"] == Status.DRAFT


# Cancelling


def test_session_cancel_needs_a_reason(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"))
    booking = book(session, volunteer(world, "Ann Able"))

    response = signed_in(world.coordinator).post(url_of(session, "cancel"), {"reason": ""})

    assert response.status_code == 400
    assert error_of(response, "reason") == "Please say why the session is cancelled: volunteers will read it."
    booking.refresh_from_db()
    assert (fields_of(session)["status"], booking.status, Notification.objects.count()) == (
        Status.OPEN,
        BookingStatus.ACCEPTED,
        0,
    )


def test_session_cancel_cancels_the_session_and_tells_everyone_invited_or_booked(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"))
    accepted = book(session, volunteer(world, "Ann Able"))
    invited = book(session, volunteer(world, "Ben Bell"), BookingStatus.INVITED)
    declined = book(session, volunteer(world, "Cy Cole"), BookingStatus.DECLINED)
    client = signed_in(world.coordinator)

    page = client.get(url_of(session, "cancel"))
    response = client.post(url_of(session, "cancel"), {"reason": "The room flooded."}, follow=True)

    assert h1(page) == "Cancel “Living with breast cancer”?"
    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert messages_on(response) == ["The session is cancelled. We have emailed everyone invited or booked."]
    session.refresh_from_db()
    assert (session.status, session.cancelled_reason) == (Status.CANCELLED, "The room flooded.")
    statuses = [Booking.objects.get(pk=booking.pk).status for booking in (accepted, invited, declined)]
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CANCELLED, BookingStatus.DECLINED]
    assert sorted(Notification.objects.values_list("recipient", flat=True)) == sorted(
        [accepted.volunteer.user_id, invited.volunteer.user_id]
    )


def test_session_cancel_refuses_a_session_already_cancelled(world: World) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), status=Status.CANCELLED)

    response = signed_in(world.coordinator).post(url_of(session, "cancel"), {"reason": "Again."})

    assert response.status_code == 400
    assert form_errors(response) == ["This session is already cancelled."]
    assert fields_of(session)["status"] == Status.CANCELLED


def test_session_times_are_stored_as_aware_moments(world: World) -> None:
    signed_in(world.coordinator).post(NEW_URL, session_data(our_module(world), world.coordinator))

    session = TeachingSession.objects.get()
    assert timezone.is_aware(session.starts_at) is True
    assert session.starts_at == datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize("count", [1, 3])
def test_session_page_query_count_does_not_grow_with_consents_checked(
    world: World, django_assert_num_queries, consent_purposes, count: int
) -> None:
    session = session_on(world, our_module(world), at("2026-11-17", "10:00"), places=3)
    session.required_consents.set(consent_purposes[:2])
    for number in range(count):
        book(session, volunteer(world, f"Accepted {number}"))
    client = signed_in(world.coordinator)

    with django_assert_num_queries(15):  # one finds the networks of those shown
        response = client.get(f"/sessions/{session.pk}/")

    assert len(find(response, "p", class_="missing-consent")) == count
