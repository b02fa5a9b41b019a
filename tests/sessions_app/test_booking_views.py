"""A coordinator's booking pages: suggestions and inviting, messaging, cancelling a booking and
attendance, through django.test.Client.

The clock stands at Thursday 5 March 2026, 09:00 UK time. Sessions ahead are on Tuesday 10 March
2026, 10:00–12:00; sessions over were on Tuesday 3 March 2026, 10:00–12:00.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.http import HttpResponse
from django.urls import resolve

from accounts.models import Organisation
from involvement.models import ActivityLog, Notification
from sessions_app.clock import LONDON, london_datetime
from sessions_app.forms.bookings import NOT_INVITABLE
from sessions_app.models import Booking, SessionMessage, TeachingSession
from sessions_app.services import booking_from_token
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, table_rows, text_of, texts
from tests.conftest import World, signed_in
from tests.sessions_app.factories import BookingFactory, session_at
from volunteers.models import ExperienceTag, NetworkMembership, VolunteerProfile

Status = NetworkMembership.Status
BookingStatus = Booking.Status
SessionStatus = TeachingSession.Status
TUESDAY = 1
NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def march(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return london_datetime(datetime.date(2026, 3, day), datetime.time(hour, minute))


def ahead(world: World, **fields: Any) -> TeachingSession:
    """An open session of University A on Tuesday 10 March 2026, 10:00–12:00."""
    fields.setdefault("title", "Breaking bad news")
    return session_at(world.university, world.coordinator, starts_at=march(10, 10), ends_at=march(10, 12), **fields)


def over(world: World, **fields: Any) -> TeachingSession:
    """An open session of University A that took place on Tuesday 3 March 2026, 10:00–12:00."""
    fields.setdefault("title", "Living with lymphoedema")
    return session_at(world.university, world.coordinator, starts_at=march(3, 10), ends_at=march(3, 12), **fields)


def elsewhere(world: World) -> TeachingSession:
    """A session of University B at the same time."""
    return session_at(world.other_university, world.other_coordinator, starts_at=march(10, 10), ends_at=march(10, 12))


def person(
    world: World,
    name: str,
    *,
    network: Organisation | None = None,
    status: str = Status.ACTIVE,
    tags: tuple[ExperienceTag, ...] = (),
    email: str = "",
    **profile: Any,
) -> VolunteerProfile:
    """A volunteer of Charity A (or ``network``), usually free on Tuesday mornings, whose email
    address is their name at example.org ("ann.able@example.org")."""
    address = email or f"{re.sub(r'[^a-z0-9]+', '.', name.lower()).strip('.')}@example.org"
    user = factories.UserFactory(name=name, email=address)
    volunteer = factories.VolunteerProfileFactory(user=user, **profile)
    factories.NetworkMembershipFactory(volunteer=volunteer, network=network or world.charity, status=status)
    factories.WeeklyAvailabilityFactory(volunteer=volunteer, weekday=TUESDAY, part_of_day="morning")
    volunteer.experience_tags.set(tags)
    return volunteer


def tag(world: World, name: str, network: Organisation | None = None) -> ExperienceTag:
    return factories.ExperienceTagFactory(network=network or world.charity, name=name)


def accepted(session: TeachingSession, volunteer: VolunteerProfile) -> Booking:
    return BookingFactory(session=session, volunteer=volunteer, status=BookingStatus.ACCEPTED)


def url(session: TeachingSession, page: str) -> str:
    return f"/sessions/{session.pk}/{page}/"


def session_url(session: TeachingSession) -> str:
    return f"/sessions/{session.pk}/"


# Reading pages


def listed(response: HttpResponse) -> list[str]:
    """The names in the suggestions, in order."""
    return [row[1] for row in table_rows(response)] if find(response, "tbody") else []


def flashed(response: HttpResponse) -> list[str]:
    """The messages waiting for the next page after a redirect."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_errors(response: HttpResponse) -> list[str]:
    """The errors crispy shows above a form, not tied to one field."""
    return [text for block in find(response, "div", class_="alert-block") for text in texts(block, "li")]


def error_of(response: HttpResponse, element_id: str) -> str:
    [error] = texts(response, "div", id=element_id)
    return error


def listings() -> list[ActivityLog]:
    return list(ActivityLog.objects.filter(action="volunteer.special_category_listed").order_by("pk"))


# Suggestions: what the page shows


def test_matching_lists_each_suggestion_with_a_box_to_tick_and_the_reason(world: World) -> None:
    radiotherapy = tag(world, "radiotherapy")
    session = ahead(world)
    session.preferred_tags.set([radiotherapy])
    siân = person(world, "Siân O'Brien", preferred_name="Siân", tags=(radiotherapy, tag(world, "surgery")))
    zoë = person(world, "Zoë Zander", perspective=VolunteerProfile.Perspective.CARER)

    response = signed_in(world.coordinator).get(url(session, "matching"))

    assert response.status_code == 200
    assert h1(response) == "Suggested volunteers for Breaking bad news"
    assert table_rows(response) == [
        [
            "Invite Siân",
            "Siân",
            "Patient or service user",
            "radiotherapy",
            "free Tuesday mornings; 0 sessions this month; radiotherapy; not involved yet",
        ],
        [
            "Invite Zoë Zander",
            "Zoë Zander",
            "Carer",
            "—",
            "free Tuesday mornings; 0 sessions this month; not involved yet",
        ],
    ]
    [invite_form] = find(response, "form", action=url(session, "invite"))
    assert dict(invite_form.attributes)["method"] == "post"
    boxes = find(invite_form, "input", type="checkbox", name="volunteers")
    assert [(dict(box.attributes)["name"], dict(box.attributes)["value"]) for box in boxes] == [
        ("volunteers", str(siân.pk)),
        ("volunteers", str(zoë.pk)),
    ]
    assert [dict(box.attributes)["id"] for box in find(invite_form, "input", name="agreed_with_volunteer")] == [
        "id_agreed_with_volunteer"
    ]
    links = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert links == [f"/volunteers/{siân.pk}/", f"/volunteers/{zoë.pk}/"]
    assert texts(response, "p", id="count") == ["2 suggestions."]


def test_matching_records_one_special_category_listing_per_page(world: World) -> None:
    session = ahead(world)
    ann, bea = person(world, "Ann Able"), person(world, "Bea Best")

    signed_in(world.coordinator).get(url(session, "matching"))

    # Recorded for the network whose volunteers were shown, from the coordinator's university.
    [entry] = listings()
    assert (entry.actor, entry.organisation, entry.data) == (
        world.coordinator,
        world.charity,
        {"page": "matching", "volunteers": sorted([ann.pk, bea.pk]), "from": world.university.pk},
    )


def test_matching_with_nobody_to_suggest_says_so_and_records_nothing(world: World) -> None:
    session = ahead(world)
    person(world, "Paused Person", status=Status.PAUSED)

    response = signed_in(world.coordinator).get(url(session, "matching"))

    assert response.status_code == 200
    assert find(response, "table") == []
    assert texts(response, "p", id="count") == [
        "Nobody can be suggested at the moment. Volunteers who are free then, under their monthly limit and have "
        "given the consent needed will appear here."
    ]
    assert listings() == []


@pytest.mark.parametrize(
    ("fields", "explanation"),
    [
        (
            {"status": SessionStatus.DRAFT},
            "This session is still a draft. Open it from the session page, and suggestions will appear here.",
        ),
        ({"status": SessionStatus.CANCELLED}, "This session was cancelled, so nobody can be invited to it."),
        ({"status": SessionStatus.COMPLETED}, "This session has taken place, so nobody can be invited to it."),
        (
            {"starts_at": march(5, 8), "ends_at": march(5, 10)},
            "This session has already started, so nobody can be invited to it now.",
        ),
    ],
)
def test_matching_explains_why_no_suggestions_are_shown(world: World, fields: dict[str, Any], explanation: str) -> None:
    session = ahead(world)
    TeachingSession.objects.filter(pk=session.pk).update(**fields)
    person(world, "Ann Able")

    response = signed_in(world.coordinator).get(url(session, "matching"))

    assert response.status_code == 200
    assert texts(response, "p", id="closed") == [explanation]
    assert (find(response, "table"), find(response, "form", action=url(session, "invite")), listings()) == ([], [], [])


# Filtering the suggestions


def test_matching_filters_by_experience_and_perspective(world: World) -> None:
    radiotherapy, surgery = tag(world, "radiotherapy"), tag(world, "surgery")
    session = ahead(world)
    person(world, "Ann Able", tags=(radiotherapy,))
    person(world, "Bea Best", tags=(radiotherapy, surgery), perspective=VolunteerProfile.Perspective.CARER)
    person(world, "Cat Cole", tags=(surgery,), perspective=VolunteerProfile.Perspective.CARER)
    client = signed_in(world.coordinator)

    by_tag = client.get(url(session, "matching"), {"tags": [radiotherapy.pk]})
    by_both = client.get(url(session, "matching"), {"tags": [surgery.pk], "perspective": "carer"})
    by_perspective = client.get(url(session, "matching"), {"perspective": "service_user"})

    assert (listed(by_tag), listed(by_both), listed(by_perspective)) == (
        ["Ann Able", "Bea Best"],
        ["Bea Best", "Cat Cole"],
        ["Ann Able"],
    )
    assert [entry.data["volunteers"] for entry in listings()] == [
        sorted(profile.pk for profile in VolunteerProfile.objects.filter(user__name__in=["Ann Able", "Bea Best"])),
        sorted(profile.pk for profile in VolunteerProfile.objects.filter(user__name__in=["Bea Best", "Cat Cole"])),
        [VolunteerProfile.objects.get(user__name="Ann Able").pk],
    ]


def test_matching_offers_the_experience_lists_of_partner_networks_only(world: World) -> None:
    tag(world, "surgery")
    tag(world, "radiotherapy")
    tag(world, "elsewhere", network=world.other_charity)
    session = ahead(world)

    response = signed_in(world.coordinator).get(url(session, "matching"))

    labels = [text_of(label) for label in find(response, "label", class_="form-check-label")]
    assert labels == ["radiotherapy", "surgery"]


def test_matching_names_the_network_of_each_tag_when_several_partners_have_lists(world: World) -> None:
    charity_c = factories.CharityFactory(name="Charity C")
    factories.PartnershipFactory(network=charity_c, university=world.university)
    tag(world, "radiotherapy")
    tag(world, "radiotherapy", network=charity_c)
    session = ahead(world)

    response = signed_in(world.coordinator).get(url(session, "matching"))

    labels = [text_of(label) for label in find(response, "label", class_="form-check-label")]
    assert labels == ["radiotherapy (Charity A)", "radiotherapy (Charity C)"]


@pytest.mark.parametrize(
    "query",
    [{"tags": ["999999"]}, {"tags": ["abc"]}, {"perspective": "nonsense"}, {"tags": ["OTHER"]}],
    ids=["unknown tag", "not a number", "unknown perspective", "another network's tag"],
)
def test_matching_with_bad_filters_says_so_and_shows_every_suggestion(
    world: World, query: dict[str, list[str] | str]
) -> None:
    session = ahead(world)
    radiotherapy = tag(world, "radiotherapy")
    other = tag(world, "radiotherapy", network=world.other_charity)
    if query.get("tags") == ["OTHER"]:
        query = {"tags": [str(other.pk)]}
    person(world, "Ann Able", tags=(radiotherapy,))
    person(world, "Bea Best")

    response = signed_in(world.coordinator).get(url(session, "matching"), query)

    assert response.status_code == 400
    assert messages_on(response) == ["Some filters could not be used, so every suggestion is shown."]
    assert listed(response) == ["Ann Able", "Bea Best"]


# Suggestions: who may see them


def test_matching_of_another_university_s_session_is_not_found(world: World) -> None:
    session = elsewhere(world)

    response = signed_in(world.coordinator).get(url(session, "matching"))

    assert (response.status_code, listings()) == (404, [])


def test_matching_is_refused_to_a_lead(world: World) -> None:
    session = ahead(world)

    response = signed_in(world.lead).get(url(session, "matching"))

    assert response.status_code == 403


@pytest.mark.parametrize("count", [1, 3])
def test_matching_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    radiotherapy = tag(world, "radiotherapy")
    session = ahead(world)
    session.preferred_tags.set([radiotherapy])
    for number in range(count):
        volunteer = person(world, f"Volunteer {number}", tags=(radiotherapy,))
        BookingFactory(session=over(world), volunteer=volunteer, status=BookingStatus.ATTENDED)
    client = signed_in(world.coordinator)

    # One of them finds the networks of those suggested, to record the showing for each.
    with django_assert_num_queries(18):
        response = client.get(url(session, "matching"), {"tags": [radiotherapy.pk]})

    assert len(listed(response)) == count


# Inviting


def invitation_link(body: str) -> str:
    [link] = re.findall(r"https?://\S+/invitation/\S+/", body)
    return link


def test_invite_invites_the_ticked_volunteers_and_emails_each_a_signed_link(
    world: World, django_capture_on_commit_callbacks
) -> None:
    session = ahead(world)
    ann, bea = person(world, "Ann Able"), person(world, "Bea Best")
    person(world, "Cat Cole")

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": [ann.pk, bea.pk]})

    assert (response.status_code, response["Location"]) == (302, session_url(session))
    assert flashed(response) == ["Invited 2 volunteers. We have emailed them."]
    bookings = list(Booking.objects.order_by("volunteer__user__name"))
    assert [(b.volunteer, b.session, b.status, b.invited_by) for b in bookings] == [
        (ann, session, BookingStatus.INVITED, world.coordinator),
        (bea, session, BookingStatus.INVITED, world.coordinator),
    ]
    assert sorted(email.to[0] for email in mail.outbox) == ["ann.able@example.org", "bea.best@example.org"]
    for email in mail.outbox:
        booking = next(b for b in bookings if b.volunteer.user.email == email.to[0])
        path = urlparse(invitation_link(email.body)).path
        match = resolve(path)
        assert (match.view_name, booking_from_token(match.kwargs["token"])) == ("sessions_app:invitation", booking)


def test_invite_link_opens_the_invitation_page(world: World, django_capture_on_commit_callbacks) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": [ann.pk]})
    [email] = mail.outbox

    response = signed_in(ann.user).get(urlparse(invitation_link(email.body)).path)

    assert response.status_code == 200
    assert "Breaking bad news" in h1(response)


def test_invite_says_one_volunteer_for_one(world: World) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")

    response = signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": [ann.pk]})

    assert flashed(response) == ["Invited 1 volunteer. We have emailed them."]


def refused(world: World, session: TeachingSession, ids: list[Any]) -> HttpResponse:
    response = signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": ids})
    assert (response.status_code, Booking.objects.count(), Notification.objects.count()) == (400, 0, 0)
    return response


def test_invite_refuses_a_paused_volunteer_and_invites_nobody(world: World) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")
    paused = person(world, "Pat Paused", status=Status.PAUSED)

    response = refused(world, session, [ann.pk, paused.pk])

    assert error_of(response, "id_volunteers_error") == NOT_INVITABLE
    assert listed(response) == ["Ann Able"]
    [fieldset] = find(response, "fieldset", aria_describedby="id_volunteers_error")
    assert [dict(box.attributes).get("checked", "no") for box in find(fieldset, "input", type="checkbox")] == [None]


def test_invite_refuses_a_volunteer_of_a_network_that_is_not_a_partner(world: World) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")
    outsider = person(world, "Olly Other", network=world.other_charity)

    response = refused(world, session, [ann.pk, outsider.pk])

    assert error_of(response, "id_volunteers_error") == NOT_INVITABLE


@pytest.mark.parametrize("bad_id", ["999999", "abc", ""], ids=["unknown", "not a number", "empty"])
def test_invite_refuses_an_unknown_id(world: World, bad_id: str) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")

    response = refused(world, session, [ann.pk, bad_id])

    assert error_of(response, "id_volunteers_error") == NOT_INVITABLE


def test_invite_refuses_someone_already_invited(world: World) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")
    BookingFactory(session=session, volunteer=ann, status=BookingStatus.DECLINED)

    response = signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": [ann.pk]})

    assert (response.status_code, error_of(response, "id_volunteers_error")) == (400, NOT_INVITABLE)
    assert list(Booking.objects.values_list("status", flat=True)) == [BookingStatus.DECLINED]


def test_invite_with_nobody_ticked_asks_for_someone(world: World) -> None:
    session = ahead(world)
    person(world, "Ann Able")

    response = refused(world, session, [])

    assert error_of(response, "id_volunteers_error") == "Please tick at least one volunteer to invite."


def test_invite_into_a_draft_session_shows_the_service_s_reason(world: World) -> None:
    session = ahead(world, status=SessionStatus.DRAFT)
    ann = person(world, "Ann Able")

    response = refused(world, session, [ann.pk])

    assert error_of(response, "id_volunteers_error") == (
        "This session is still a draft. Open it from the session page, and suggestions will appear here."
    )


def test_invite_only_takes_a_post(world: World) -> None:
    session = ahead(world)

    response = signed_in(world.coordinator).get(url(session, "invite"))

    assert response.status_code == 405


def test_invite_into_another_university_s_session_is_not_found(world: World) -> None:
    session = elsewhere(world)
    volunteer = person(world, "Bill B", network=world.other_charity)

    response = signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": [volunteer.pk]})

    assert (response.status_code, Booking.objects.count()) == (404, 0)


# Messaging those accepted


def test_message_page_shows_the_form_and_the_messages_sent_before(world: World) -> None:
    session = ahead(world)
    accepted(session, person(world, "Ann Able"))
    with time_machine.travel(march(1, 9), tick=False):
        SessionMessage.objects.create(
            session=session, author=world.coordinator, subject="Parking", body="Use car park B.", recipients=1
        )
    SessionMessage.objects.create(
        session=session, author=world.coordinator, subject="Room change", body="Now in 2.04.", recipients=3
    )
    SessionMessage.objects.create(
        session=ahead(world), author=world.coordinator, subject="Elsewhere", body="x", recipients=1
    )

    response = signed_in(world.coordinator).get(url(session, "message"))

    assert response.status_code == 200
    assert h1(response) == "Message the volunteers of Breaking bad news"
    assert texts(response, "p", id="recipients") == [
        "Your message goes by email to the 1 volunteer who has accepted a place."
    ]
    assert [find(response, "input", id="id_subject") != [], find(response, "textarea", id="id_message") != []] == [
        True,
        True,
    ]
    assert table_rows(response) == [
        [
            "Thursday 5 March 2026, 09:00",
            world.coordinator.get_full_name(),
            "3 volunteers",
            "Room change",
            "Now in 2.04.",
        ],
        ["Sunday 1 March 2026, 09:00", world.coordinator.get_full_name(), "1 volunteer", "Parking", "Use car park B."],
    ]


def test_message_emails_everyone_accepted(world: World, django_capture_on_commit_callbacks) -> None:
    session = ahead(world)
    accepted(session, person(world, "Ann Able"))
    accepted(session, person(world, "Bea Best"))
    BookingFactory(session=session, volunteer=person(world, "Cat Cole"), status=BookingStatus.INVITED)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.coordinator).post(
            url(session, "message"), {"subject": "Room change", "message": "We are now in room 2.04."}
        )

    assert (response.status_code, response["Location"]) == (302, session_url(session))
    assert flashed(response) == ["Your message was sent to 2 volunteers."]
    [sent] = SessionMessage.objects.all()
    assert (sent.session, sent.author, sent.subject, sent.body, sent.recipients) == (
        session,
        world.coordinator,
        "Room change",
        "We are now in room 2.04.",
        2,
    )
    assert sorted(email.to[0] for email in mail.outbox) == ["ann.able@example.org", "bea.best@example.org"]
    assert all("We are now in room 2.04." in email.body for email in mail.outbox)


def test_message_with_nobody_accepted_says_so_and_sends_nothing(world: World) -> None:
    session = ahead(world)
    BookingFactory(session=session, volunteer=person(world, "Cat Cole"), status=BookingStatus.INVITED)

    response = signed_in(world.coordinator).post(url(session, "message"), {"subject": "Hello", "message": "Hi"})

    assert response.status_code == 400
    assert form_errors(response) == ["Nobody has accepted a place yet, so there is nobody to message."]
    assert (SessionMessage.objects.count(), Notification.objects.count()) == (0, 0)


def test_message_needs_a_subject_and_a_message(world: World) -> None:
    session = ahead(world)
    accepted(session, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(url(session, "message"), {"subject": " ", "message": ""})

    assert response.status_code == 400
    assert (error_of(response, "id_subject_error"), error_of(response, "id_message_error")) == (
        "Please fill this in.",
        "Please fill this in.",
    )
    assert SessionMessage.objects.count() == 0


def test_message_to_another_university_s_session_is_not_found(world: World) -> None:
    session = elsewhere(world)
    accepted(session, person(world, "Bill B", network=world.other_charity))

    response = signed_in(world.coordinator).post(url(session, "message"), {"subject": "Hello", "message": "Hi"})

    assert (response.status_code, SessionMessage.objects.count()) == (404, 0)


@pytest.mark.parametrize("count", [1, 3])
def test_message_page_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    session = ahead(world)
    for number in range(count):
        SessionMessage.objects.create(session=session, author=world.coordinator, subject=f"Note {number}", body="x")
    client = signed_in(world.coordinator)

    with django_assert_num_queries(8):
        response = client.get(url(session, "message"))

    assert len(table_rows(response)) == count


# Cancelling a booking


def cancel_url(booking: Booking) -> str:
    return f"/bookings/{booking.pk}/cancel/"


def test_booking_cancel_asks_first(world: World) -> None:
    booking = accepted(ahead(world), person(world, "Siân O'Brien", preferred_name="Siân", email="sian@example.org"))

    response = signed_in(world.coordinator).get(cancel_url(booking))

    assert response.status_code == 200
    assert h1(response) == "Cancel Siân’s booking?"
    assert find(response, "textarea", id="id_reason") != []
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


def test_booking_cancel_cancels_and_emails_the_volunteer(world: World, django_capture_on_commit_callbacks) -> None:
    session = ahead(world)
    booking = accepted(session, person(world, "Siân O'Brien", preferred_name="Siân", email="sian@example.org"))

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.coordinator).post(cancel_url(booking), {"reason": "The session is now online only."})

    booking.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, session_url(session))
    assert flashed(response) == ["Siân’s booking is cancelled. We have emailed Siân to let them know."]
    assert (booking.status, booking.cancelled_by, booking.cancel_reason) == (
        BookingStatus.CANCELLED,
        world.coordinator,
        "The session is now online only.",
    )
    [email] = mail.outbox
    assert email.to == ["sian@example.org"]
    assert "The session is now online only." in email.body


def test_booking_cancel_without_a_reason(world: World) -> None:
    booking = BookingFactory(session=ahead(world), volunteer=person(world, "Ann Able"), status=BookingStatus.INVITED)

    response = signed_in(world.coordinator).post(cancel_url(booking), {"reason": ""})

    booking.refresh_from_db()
    assert (response.status_code, booking.status, booking.cancel_reason) == (302, BookingStatus.CANCELLED, "")


def test_booking_cancel_of_a_cancelled_booking_says_so_and_changes_nothing(world: World) -> None:
    booking = BookingFactory(
        session=ahead(world),
        volunteer=person(world, "Ann Able"),
        status=BookingStatus.CANCELLED,
        cancel_reason="Unwell",
    )

    response = signed_in(world.coordinator).post(cancel_url(booking), {"reason": "Again"})

    booking.refresh_from_db()
    assert response.status_code == 400
    assert form_errors(response) == ["There is no place to cancel: this booking is cancelled."]
    assert (booking.status, booking.cancel_reason, Notification.objects.count()) == (
        BookingStatus.CANCELLED,
        "Unwell",
        0,
    )


def test_booking_cancel_of_another_university_s_booking_is_not_found(world: World) -> None:
    booking = accepted(elsewhere(world), person(world, "Bill B", network=world.other_charity))
    client = signed_in(world.coordinator)

    assert (client.get(cancel_url(booking)).status_code, client.post(cancel_url(booking)).status_code) == (404, 404)
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


# Attendance


def radios(response: HttpResponse) -> list[tuple[str, list[str]]]:
    """Each group's legend with the labels of its radios."""
    groups = []
    for fieldset in find(response, "fieldset"):
        [legend] = texts(fieldset, "legend")
        groups.append((legend, texts(fieldset, "label")))
    return groups


def test_attendance_asks_about_each_accepted_volunteer(world: World) -> None:
    session = over(world)
    accepted(session, person(world, "Bea Best"))
    accepted(session, person(world, "Ann Able"))
    BookingFactory(session=session, volunteer=person(world, "Cat Cole"), status=BookingStatus.DECLINED)

    response = signed_in(world.coordinator).get(url(session, "attendance"))

    assert response.status_code == 200
    assert h1(response) == "Attendance at Living with lymphoedema"
    assert radios(response) == [
        ("Ann Able", ["Attended", "Did not attend"]),
        ("Bea Best", ["Attended", "Did not attend"]),
    ]


def test_attendance_saves_every_answer_in_one_go(world: World) -> None:
    session = over(world)
    ann = accepted(session, person(world, "Ann Able"))
    bea = accepted(session, person(world, "Bea Best"))

    response = signed_in(world.coordinator).post(
        url(session, "attendance"), {f"booking_{ann.pk}": "attended", f"booking_{bea.pk}": "no_show"}
    )

    assert (response.status_code, response["Location"]) == (302, session_url(session))
    assert flashed(response) == ["Attendance is saved: 1 attended, 1 did not attend."]
    assert list(Booking.objects.order_by("pk").values_list("status", "hours")) == [
        (BookingStatus.ATTENDED, Decimal("2.00")),
        (BookingStatus.NO_SHOW, None),
    ]
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED


def test_attendance_with_a_missing_answer_shows_it_by_that_volunteer_and_saves_nothing(world: World) -> None:
    session = over(world)
    ann = accepted(session, person(world, "Ann Able"))
    bea = accepted(session, person(world, "Bea Best"))

    response = signed_in(world.coordinator).post(url(session, "attendance"), {f"booking_{ann.pk}": "attended"})

    assert response.status_code == 400
    assert error_of(response, f"id_booking_{bea.pk}_error") == "Please choose whether Bea Best attended."
    [fieldset] = find(response, "fieldset", aria_describedby=f"id_booking_{bea.pk}_error")
    assert texts(fieldset, "legend") == ["Bea Best"]
    assert texts(response, "div", class_="text-danger") == ["Please choose whether Bea Best attended."]
    assert list(Booking.objects.values_list("status", flat=True)) == [BookingStatus.ACCEPTED, BookingStatus.ACCEPTED]
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN


def test_attendance_refuses_an_answer_that_is_not_offered(world: World) -> None:
    session = over(world)
    ann = accepted(session, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(url(session, "attendance"), {f"booking_{ann.pk}": "cancelled"})

    assert (response.status_code, error_of(response, f"id_booking_{ann.pk}_error")) == (
        400,
        "Please choose whether Ann Able attended.",
    )
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


def test_attendance_before_the_session_has_ended_explains_and_offers_no_form(world: World) -> None:
    session = ahead(world)
    accepted(session, person(world, "Ann Able"))

    response = signed_in(world.coordinator).get(url(session, "attendance"))

    assert response.status_code == 200
    assert texts(response, "p", id="not-yet") == [
        "You can mark attendance once the session has ended, at 12:00 on Tuesday 10 March 2026."
    ]
    assert find(response, "fieldset") == []


def test_attendance_for_a_future_session_is_refused_and_saves_nothing(world: World) -> None:
    session = ahead(world)
    ann = accepted(session, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(url(session, "attendance"), {f"booking_{ann.pk}": "attended"})

    assert response.status_code == 400
    assert texts(response, "div", id="form-errors") == ["Attendance can be marked once the session has ended."]
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


def test_attendance_of_a_cancelled_session_explains(world: World) -> None:
    session = over(world, status=SessionStatus.CANCELLED)

    response = signed_in(world.coordinator).get(url(session, "attendance"))

    assert texts(response, "p", id="not-yet") == ["This session was cancelled, so there is no attendance to mark."]
    assert find(response, "fieldset") == []


def test_attendance_once_marked_shows_what_was_recorded(world: World) -> None:
    session = over(world, status=SessionStatus.COMPLETED)
    BookingFactory(
        session=session, volunteer=person(world, "Ann Able"), status=BookingStatus.ATTENDED, hours=Decimal("2.00")
    )
    BookingFactory(session=session, volunteer=person(world, "Bea Best"), status=BookingStatus.NO_SHOW)
    client = signed_in(world.coordinator)

    response = client.get(url(session, "attendance"))
    again = client.post(url(session, "attendance"), {})

    assert find(response, "fieldset") == []
    assert table_rows(response) == [
        ["Ann Able", "Attended", "2.00", "Correct Ann Able’s attendance"],
        ["Bea Best", "Did not attend", "—", "Correct Bea Best’s attendance"],
    ]
    assert (again.status_code, texts(again, "div", id="form-errors")) == (
        400,
        ["There is nobody to mark: no accepted bookings are waiting."],
    )


def test_attendance_of_another_university_s_session_is_not_found(world: World) -> None:
    session = session_at(world.other_university, world.other_coordinator, starts_at=march(3, 10), ends_at=march(3, 12))
    booking = accepted(session, person(world, "Bill B", network=world.other_charity))

    response = signed_in(world.coordinator).post(url(session, "attendance"), {f"booking_{booking.pk}": "attended"})

    assert (response.status_code, Booking.objects.get().status) == (404, BookingStatus.ACCEPTED)


@pytest.mark.parametrize("count", [1, 3])
def test_attendance_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    session = over(world)
    for number in range(count):
        accepted(session, person(world, f"Volunteer {number}"))
        BookingFactory(session=session, volunteer=person(world, f"Marked {number}"), status=BookingStatus.NO_SHOW)
    client = signed_in(world.coordinator)

    with django_assert_num_queries(8):
        response = client.get(url(session, "attendance"))

    assert (len(find(response, "fieldset")), len(table_rows(response))) == (count, count)


# Someone not suggested, found by name ------------------------------------------------------------


def test_matching_finds_someone_not_suggested_and_says_why(world: World) -> None:
    session = ahead(world)
    evening_only = person(world, "Eira Evans")
    evening_only.weekly_availability.update(part_of_day="evening")

    response = signed_in(world.coordinator).get(url(session, "matching"), {"name": "eira"})

    assert response.status_code == 200
    assert texts(response, "p", id="count") == ["Nobody can be suggested at the moment."]
    [found] = find(response, "fieldset", id="found")
    assert [texts(row, "td") for row in find(find(found, "tbody")[0], "tr")] == [
        ["Invite Eira Evans", "Eira Evans", "Beyond what they told us: not usually free on Tuesday mornings."]
    ]


def test_matching_search_never_finds_another_universitys_volunteers(world: World) -> None:
    session = ahead(world)
    person(world, "Eira Evans", network=world.other_charity)

    response = signed_in(world.coordinator).get(url(session, "matching"), {"name": "Eira"})

    assert find(response, "fieldset", id="found") == []
    assert texts(response, "p", id="found-none") == [
        "Nobody of a partner network who is not yet invited has a name like “Eira”."
    ]


def test_inviting_beyond_what_they_told_us_needs_the_box_ticked(world: World) -> None:
    session = ahead(world)
    evening_only = person(world, "Eira Evans")
    evening_only.weekly_availability.update(part_of_day="evening")
    client = signed_in(world.coordinator)

    refused = client.post(url(session, "invite"), {"volunteers": [evening_only.pk]})
    agreed = client.post(url(session, "invite"), {"volunteers": [evening_only.pk], "agreed_with_volunteer": "on"})

    assert refused.status_code == 400
    assert error_of(refused, "id_volunteers_error") == (
        "This invitation goes beyond what they told us: Eira Evans: not usually free on Tuesday mornings. "
        "Invite them only if you have agreed it with them first, and tick the box to say so."
    )
    assert (agreed.status_code, agreed["Location"]) == (302, session_url(session))
    [booking] = Booking.objects.filter(session=session)
    assert booking.volunteer == evening_only
    assert list(ActivityLog.objects.filter(action="booking.invited").values_list("data", flat=True)) == [
        {
            "session": session.pk,
            "volunteer": evening_only.pk,
            "round": 1,
            "agreed_outside": ["not usually free on Tuesday mornings"],
        }
    ]


# Inviting again ---------------------------------------------------------------------------------


def reinvite_url(booking: Booking) -> str:
    return f"/bookings/{booking.pk}/invite-again/"


def test_reinvite_page_after_a_cancellation_asks_to_have_talked_first(world: World) -> None:
    session = ahead(world)
    booking = BookingFactory(
        session=session, volunteer=person(world, "Ann Able"), status=BookingStatus.CANCELLED, cancel_reason="Unwell"
    )

    response = signed_in(world.coordinator).get(reinvite_url(booking))

    assert h1(response) == "Invite Ann Able again?"
    assert texts(response, "p", id="why") == [
        "Ann Able cancelled their place . Please invite them again only if you have talked with them and they "
        "would like to come after all."
    ]


def test_reinvite_sends_a_new_invitation(world: World, django_capture_on_commit_callbacks: Any) -> None:
    session = ahead(world)
    booking = BookingFactory(session=session, volunteer=person(world, "Ann Able"), status=BookingStatus.DECLINED)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.coordinator).post(reinvite_url(booking), {})

    booking.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, session_url(session))
    assert (booking.status, booking.invitation_round) == (BookingStatus.INVITED, 2)
    assert flashed(response) == ["Ann Able is invited again. We have emailed them a new link."]
    assert [message.to for message in mail.outbox] == [["ann.able@example.org"]]


def test_reinvite_of_someone_with_a_place_says_why_and_changes_nothing(world: World) -> None:
    session = ahead(world)
    booking = accepted(session, person(world, "Ann Able"))
    client = signed_in(world.coordinator)

    page = client.get(reinvite_url(booking))
    posted = client.post(reinvite_url(booking), {})

    assert texts(page, "p", id="refusal") == ["Ann Able already has a place on this session (accepted)."]
    booking.refresh_from_db()
    assert (posted.status_code, booking.status, Notification.objects.count()) == (400, BookingStatus.ACCEPTED, 0)


def test_session_page_lists_the_invitations_sent(world: World, django_capture_on_commit_callbacks: Any) -> None:
    session = ahead(world)
    ann = person(world, "Ann Able")
    signed_in(world.coordinator).post(url(session, "invite"), {"volunteers": [ann.pk]})

    response = signed_in(world.coordinator).get(session_url(session))

    [article] = find(response, "article")
    assert text_of(article) == (
        f"Invitation to “Breaking bad news” Invitation sent Thursday 5 March 2026, 09:00 by {world.coordinator.name} "
        "to Ann Able."
    )


# Correcting attendance ----------------------------------------------------------------------------


def correct_url(booking: Booking) -> str:
    return f"/bookings/{booking.pk}/attendance/"


def test_attendance_correction_changes_the_answer_and_is_recorded(world: World) -> None:
    session = over(world, status=SessionStatus.COMPLETED)
    booking = BookingFactory(
        session=session, volunteer=person(world, "Ann Able"), status=BookingStatus.ATTENDED, hours=Decimal("2.00")
    )
    client = signed_in(world.coordinator)

    page = client.get(correct_url(booking))
    response = client.post(correct_url(booking), {"status": "no_show"})

    assert h1(page) == "Correct Ann Able’s attendance"
    assert (response.status_code, response["Location"]) == (302, url(session, "attendance"))
    assert flashed(response) == ["Corrected: Ann Able is now marked did not attend."]
    booking.refresh_from_db()
    assert (booking.status, booking.hours) == (BookingStatus.NO_SHOW, None)
    assert ActivityLog.objects.filter(action="booking.attendance_corrected", actor=world.coordinator).count() == 1


def test_attendance_correction_with_no_answer_says_so(world: World) -> None:
    session = over(world, status=SessionStatus.COMPLETED)
    booking = BookingFactory(session=session, volunteer=person(world, "Ann Able"), status=BookingStatus.ATTENDED)

    response = signed_in(world.coordinator).post(correct_url(booking), {"status": "maybe"})

    assert response.status_code == 400
    assert error_of(response, "id_status_error") == "Please choose attended or did not attend."
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED


def test_attendance_correction_after_thirty_days_is_not_offered(world: World) -> None:
    long_ago = session_at(
        world.university,
        world.coordinator,
        starts_at=march(1, 10) - datetime.timedelta(days=40),
        ends_at=march(1, 12) - datetime.timedelta(days=40),
        status=SessionStatus.COMPLETED,
    )
    booking = BookingFactory(session=long_ago, volunteer=person(world, "Ann Able"), status=BookingStatus.ATTENDED)
    client = signed_in(world.coordinator)

    page = client.get(correct_url(booking))
    attendance = client.get(url(long_ago, "attendance"))

    assert texts(page, "p", id="refusal") == [
        "Attendance can be corrected for 30 days after the session, so this can no longer be changed here."
    ]
    assert table_rows(attendance) == [["Ann Able", "Attended", "—", ""]]
