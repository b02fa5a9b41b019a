"""Wellbeing follow-ups: raised by a volunteer's feedback or their check-in, looked after by their
network's leads (status and dated notes), shown on the lead's home page. Notes are special-category
data: only the network's leads see them, and never in emails, the audit trail or the support admin.

The clock stands at Thursday 5 March 2026, 09:00 UK time; the session was three days before.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import Membership, User
from feedback.models import FollowUpNote, VolunteerFeedback, WellbeingFollowUp
from feedback.services import (
    FeedbackError,
    add_follow_up_note,
    answer_volunteer_feedback,
    change_follow_up_status,
    raise_follow_up,
)
from involvement.models import ActivityLog, Notification
from sessions_app.clock import LONDON
from sessions_app.models import Booking, CheckIn
from sessions_app.services import answer_check_in
from tests import factories
from tests.accounts.test_views import find, h1, table_rows, texts
from tests.conftest import World, signed_in
from tests.feedback.factories import attended, follow_up_for, note_on
from volunteers.models import NetworkMembership

NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
HOUR = datetime.timedelta(hours=1)
Status = WellbeingFollowUp.Status
SECRET = "Her scan results came back; she is worried"
ANSWER = {
    "how_it_went": "hard",
    "felt_prepared": "yes",
    "felt_supported": "yes",
    "to_change": "",
    "wants_contact": False,
}


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def booking(world: World) -> Booking:
    return attended(world)


def follow_up_url(world: World, follow_up: WellbeingFollowUp) -> str:
    return f"/networks/{world.charity.slug}/follow-ups/{follow_up.pk}/"


def actions(prefix: str = "follow_up.") -> list[tuple[str, dict[str, Any]]]:
    return [(row.action, row.data) for row in ActivityLog.objects.filter(action__startswith=prefix).order_by("pk")]


# Raising ------------------------------------------------------------------------------------------


def test_the_check_in_call_raises_a_follow_up_without_a_second_email(world: World, booking: Booking) -> None:
    check_in = CheckIn.objects.create(booking=booking)

    answer_check_in(check_in=check_in, answer=CheckIn.Answer.CALL)

    [follow_up] = WellbeingFollowUp.objects.all()
    assert (follow_up.source, follow_up.asked_for_contact, follow_up.found_it_hard, follow_up.status) == (
        "check_in",
        True,
        False,
        "open",
    )
    assert list(Notification.objects.values_list("template_key", "recipient")) == [
        ("sessions_app/call_requested", world.lead.pk)
    ]
    assert actions() == [("follow_up.opened", {"source": "check_in", "booking": booking.pk})]


def test_the_check_in_fine_raises_nothing(booking: Booking) -> None:
    answer_check_in(check_in=CheckIn.objects.create(booking=booking), answer=CheckIn.Answer.FINE)

    assert WellbeingFollowUp.objects.count() == 0


def test_feedback_after_the_check_in_adds_its_reason_to_the_same_follow_up(world: World, booking: Booking) -> None:
    answer_check_in(check_in=CheckIn.objects.create(booking=booking), answer=CheckIn.Answer.CALL)

    answer_volunteer_feedback(feedback=VolunteerFeedback.objects.create(booking=booking), actor=None, **ANSWER)

    [follow_up] = WellbeingFollowUp.objects.all()
    assert (follow_up.found_it_hard, follow_up.asked_for_contact, follow_up.status) == (True, True, "open")
    assert Notification.objects.filter(template_key="feedback/follow_up_raised").count() == 0


def test_asked_again_after_closing_it_opens_again_and_tells_the_lead(world: World, booking: Booking) -> None:
    [follow_up] = raise_follow_up(booking=booking, source="feedback", found_it_hard=True)
    change_follow_up_status(follow_up=follow_up, actor=world.lead, status=Status.CLOSED)

    raise_follow_up(booking=booking, source="feedback", asked_for_contact=True)

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.closed_at, follow_up.asked_for_contact) == ("open", None, True)
    assert [action for action, _data in actions()] == ["follow_up.opened", "follow_up.closed", "follow_up.reopened"]
    assert Notification.objects.filter(template_key="feedback/follow_up_raised", recipient=world.lead).count() == 2


def test_each_partnered_network_the_volunteer_belongs_to_gets_its_own(world: World, booking: Booking) -> None:
    second = factories.CharityFactory(name="Charity C")
    factories.PartnershipFactory(network=second, university=world.university)
    factories.NetworkMembershipFactory(
        volunteer=booking.volunteer, network=second, status=NetworkMembership.Status.PAUSED
    )
    factories.staff(Membership.Role.LEAD, second, email="lead@c.example.org")
    left = factories.CharityFactory(name="Charity D")
    factories.PartnershipFactory(network=left, university=world.university)
    factories.NetworkMembershipFactory(volunteer=booking.volunteer, network=left, status=NetworkMembership.Status.LEFT)
    factories.NetworkMembershipFactory(volunteer=booking.volunteer, network=world.other_charity)

    raise_follow_up(booking=booking, source="feedback", found_it_hard=True)

    assert sorted(WellbeingFollowUp.objects.values_list("network__name", flat=True)) == ["Charity A", "Charity C"]
    assert sorted(
        Notification.objects.filter(template_key="feedback/follow_up_raised").values_list("email", flat=True)
    ) == ["lead@a.example.org", "lead@c.example.org"]


def test_the_lead_email_names_the_session_and_links_to_the_follow_up(
    world: World, booking: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        [follow_up] = raise_follow_up(booking=booking, source="feedback", asked_for_contact=True)

    [message] = mail.outbox
    name = booking.volunteer.display_name
    assert message.to == ["lead@a.example.org"]
    assert message.subject == f"{name} may need some support after a session"
    assert f"{name}, a volunteer of Charity A, would like someone to contact them after this session:" in message.body
    assert f"http://127.0.0.1:8000/networks/charity-a/follow-ups/{follow_up.pk}/" in message.body


# The lead's pages ---------------------------------------------------------------------------------


def test_the_list_shows_open_first_then_oldest_first(world: World, clock: time_machine.Traveller) -> None:
    made = {}
    for name, status in [
        ("Closed Carol", "closed"),
        ("Open Olu", "open"),
        ("Contacted Cai", "contacted"),
        ("Open Ola", "open"),
    ]:
        profile = factories.NetworkMembershipFactory(network=world.charity, volunteer__user__name=name).volunteer
        made[name] = follow_up_for(attended(world, profile), world.charity, status=status)
        clock.shift(HOUR)
    follow_up_for(attended(world), world.other_charity)

    response = signed_in(world.lead).get("/networks/charity-a/follow-ups/")

    assert [row[0] for row in table_rows(response)] == ["Open Olu", "Open Ola", "Contacted Cai", "Closed Carol"]
    assert [row[-1] for row in table_rows(response)] == ["Open", "Open", "Contacted", "Closed"]
    listed = ActivityLog.objects.get(action="volunteer.special_category_listed")
    assert (listed.actor, listed.data["page"], len(listed.data["volunteers"])) == (world.lead, "follow_ups", 4)


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_query_count_does_not_grow(world: World, count: int, django_assert_num_queries: Any) -> None:
    for _ in range(count):
        follow_up_for(
            attended(world, factories.NetworkMembershipFactory(network=world.charity).volunteer), world.charity
        )
    client = signed_in(world.lead)

    with django_assert_num_queries(9):
        response = client.get("/networks/charity-a/follow-ups/")

    assert len(table_rows(response)) == count


def test_the_list_paginates(world: World) -> None:
    for _ in range(26):
        follow_up_for(
            attended(world, factories.NetworkMembershipFactory(network=world.charity).volunteer), world.charity
        )

    first = signed_in(world.lead).get("/networks/charity-a/follow-ups/")
    second = signed_in(world.lead).get("/networks/charity-a/follow-ups/?page=2")

    assert (len(table_rows(first)), len(table_rows(second))) == (25, 1)


def test_the_follow_up_page_shows_the_notes_to_the_lead_and_records_the_view(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity, asked_for_contact=True)
    note_on(follow_up, world.lead, f"{SECRET} <script>x()</script>")

    response = signed_in(world.lead).get(follow_up_url(world, follow_up))

    page = response.content.decode()
    assert response.status_code == 200
    assert h1(response) == f"Follow-up for {booking.volunteer.display_name}"
    [note] = find(response, "article", class_="note")
    assert texts(note, "p") == [f"Thursday 5 March 2026, 09:00 by {world.lead.name}", f"{SECRET} <script>x()</script>"]
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    viewed = ActivityLog.objects.get(action="volunteer.special_category_viewed")
    assert (viewed.actor, viewed.data) == (world.lead, {"page": "follow_up"})


@pytest.mark.parametrize(("who", "status"), [("coordinator", 403), ("other_lead", 404), ("volunteer", 403)])
def test_nobody_but_the_networks_leads_sees_a_follow_up(world: World, booking: Booking, who: str, status: int) -> None:
    follow_up = follow_up_for(booking, world.charity)
    note_on(follow_up, world.lead, SECRET)

    response = signed_in(getattr(world, who)).get(follow_up_url(world, follow_up))

    assert response.status_code == status
    assert SECRET not in response.content.decode()


def test_another_networks_follow_up_is_not_found_under_this_network(world: World, booking: Booking) -> None:
    theirs = follow_up_for(booking, world.other_charity)

    response = signed_in(world.lead).get(f"/networks/charity-a/follow-ups/{theirs.pk}/")

    assert response.status_code == 404


def test_the_lead_marks_it_contacted_then_closed_then_open_again(world: World, booking: Booking, clock) -> None:
    follow_up = follow_up_for(booking, world.charity)
    client = signed_in(world.lead)
    url = follow_up_url(world, follow_up) + "status/"

    client.post(url, {"status": "contacted"})
    contacted = WellbeingFollowUp.objects.get()
    clock.shift(HOUR)
    client.post(url, {"status": "closed"})
    closed = WellbeingFollowUp.objects.get()
    response = client.post(url, {"status": "open"})

    reopened = WellbeingFollowUp.objects.get()
    assert (contacted.status, contacted.contacted_at) == ("contacted", NOW)
    assert (closed.status, closed.closed_at) == ("closed", NOW + HOUR)
    assert (reopened.status, reopened.closed_at, reopened.contacted_at) == ("open", None, NOW)
    assert (response.status_code, response["Location"]) == (302, follow_up_url(world, follow_up))
    assert actions() == [
        ("follow_up.contacted", {"from": "open", "to": "contacted"}),
        ("follow_up.closed", {"from": "contacted", "to": "closed"}),
        ("follow_up.open", {"from": "closed", "to": "open"}),
    ]
    assert set(ActivityLog.objects.filter(action__startswith="follow_up.").values_list("actor", flat=True)) == {
        world.lead.pk
    }


def test_a_change_outside_the_transitions_is_refused(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity, status="contacted")

    with pytest.raises(FeedbackError, match=r"^This follow-up is contacted, so it cannot be marked open\.$"):
        change_follow_up_status(follow_up=follow_up, actor=world.lead, status=Status.OPEN)

    assert WellbeingFollowUp.objects.get().status == "contacted"


def test_only_the_networks_leads_change_it(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity)

    with pytest.raises(FeedbackError, match=r"^Only the leads of the volunteer's network can change this follow-up\.$"):
        change_follow_up_status(follow_up=follow_up, actor=world.other_lead, status=Status.CLOSED)

    assert WellbeingFollowUp.objects.get().status == "open"


def test_the_page_offers_the_allowed_changes(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity, status="contacted")

    response = signed_in(world.lead).get(follow_up_url(world, follow_up))

    [buttons] = find(response, "ul", id="status-buttons")
    assert texts(buttons, "button") == ["Close the follow-up"]


def test_a_note_is_dated_signed_and_kept_out_of_the_log_and_emails(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity)

    response = signed_in(world.lead).post(follow_up_url(world, follow_up) + "notes/", {"text": f"  {SECRET}  "})

    [note] = FollowUpNote.objects.all()
    assert (response.status_code, response["Location"]) == (302, follow_up_url(world, follow_up) + "#notes")
    assert (note.text, note.author, note.created_at) == (SECRET, world.lead, NOW)
    assert actions() == [("follow_up.note_added", {"note": note.pk})]
    logged = json.dumps(list(ActivityLog.objects.values_list("data", flat=True)))
    emailed = json.dumps(list(Notification.objects.values_list("context", flat=True)))
    assert (SECRET in logged, SECRET in emailed) == (False, False)


def test_an_empty_note_is_refused(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity)

    response = signed_in(world.lead).post(follow_up_url(world, follow_up) + "notes/", {"text": "   "})

    assert response.status_code == 400
    assert texts(response, "div", id="id_text_error") == ["Please write the note."]
    assert FollowUpNote.objects.count() == 0


def test_another_lead_cannot_add_a_note(world: World, booking: Booking) -> None:
    follow_up = follow_up_for(booking, world.charity)

    with pytest.raises(FeedbackError):
        add_follow_up_note(follow_up=follow_up, actor=world.other_lead, text="Hello")

    response = signed_in(world.other_lead).post(follow_up_url(world, follow_up) + "notes/", {"text": "Hello"})
    assert (response.status_code, FollowUpNote.objects.count()) == (404, 0)


def test_the_support_admin_never_shows_a_notes_text(world: World, booking: Booking) -> None:
    note = note_on(follow_up_for(booking, world.charity), world.lead, SECRET)
    support = User.objects.create_superuser(email="support@example.org", password="a-long-support-password")
    client = Client()
    client.force_login(support)

    pages = [
        client.get("/support/feedback/followupnote/"),
        client.get(f"/support/feedback/followupnote/{note.pk}/change/"),
        client.get(f"/support/feedback/wellbeingfollowup/{note.follow_up_id}/change/"),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert [SECRET in page.content.decode() for page in pages] == [False, False, False]


# The lead's home page -----------------------------------------------------------------------------


def test_open_follow_ups_show_on_the_leads_home_page_oldest_first(world: World, clock) -> None:
    for name, status in [("First Open", "open"), ("Was Contacted", "contacted"), ("Second Open", "open")]:
        profile = factories.NetworkMembershipFactory(network=world.charity, volunteer__user__name=name).volunteer
        follow_up_for(attended(world, profile), world.charity, status=status)
        clock.shift(HOUR)

    response = signed_in(world.lead).get("/networks/charity-a/volunteers/")

    [panel] = find(response, "section", id="open-follow-ups")
    assert texts(panel, "h2") == ["Open wellbeing follow-ups (2)"]
    assert [text.split(",")[0].strip() for text in texts(panel, "li")] == ["First Open", "Second Open"]
    assert SECRET not in response.content.decode()


def test_the_home_panel_counts_beyond_the_five_it_shows(world: World) -> None:
    for _ in range(7):
        follow_up_for(
            attended(world, factories.NetworkMembershipFactory(network=world.charity).volunteer), world.charity
        )

    response = signed_in(world.lead).get("/networks/charity-a/volunteers/")

    [panel] = find(response, "section", id="open-follow-ups")
    assert (texts(panel, "h2"), len(find(panel, "li"))) == (["Open wellbeing follow-ups (7)"], 5)
