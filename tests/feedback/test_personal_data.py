"""What feedback holds about a volunteer, in their download and in the erasure."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine

from feedback.models import FollowUpNote, VolunteerFeedback, WellbeingFollowUp
from involvement.models import ActivityLog
from sessions_app.clock import LONDON
from tests.conftest import World
from tests.feedback.factories import answered, attended, follow_up_for, note_on
from volunteers.models import ConsentPurpose, VolunteerProfile
from volunteers.services import erase_volunteer, export_my_data

NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile(world: World, consent_purposes: list[ConsentPurpose]) -> VolunteerProfile:
    booking = attended(world)
    answered(
        VolunteerFeedback.objects.create(booking=booking),
        how_it_went="hard",
        to_change="Fewer questions about treatment.",
        wants_contact=True,
    )
    note_on(follow_up_for(booking, world.charity, asked_for_contact=True), world.lead, "Called; she is fine.")
    return booking.volunteer


def test_the_download_holds_their_answers_follow_ups_and_notes(world: World, profile: VolunteerProfile) -> None:
    data = export_my_data(profile=profile, actor=profile.user)

    [answer] = data["feedback"]
    [follow_up] = data["follow_ups"]
    assert (answer["how_it_went"], answer["anything_to_change"], answer["would_like_contact"]) == (
        "I found it hard",
        "Fewer questions about treatment.",
        True,
    )
    assert (follow_up["network"], follow_up["status"], follow_up["notes"]) == (
        "Charity A",
        "Open",
        [{"when": "2026-03-05T09:00:00+00:00", "note": "Called; she is fine."}],
    )


def test_erasure_removes_what_was_written_and_closes_the_follow_up(world: World, profile: VolunteerProfile) -> None:
    erase_volunteer(profile=profile, actor=world.lead)

    feedback = VolunteerFeedback.objects.get()
    follow_up = WellbeingFollowUp.objects.get()
    assert (feedback.to_change, feedback.how_it_went, feedback.answered_at) == ("", "hard", NOW)
    assert list(FollowUpNote.objects.values_list("text", flat=True)) == [""]
    assert (follow_up.status, follow_up.closed_at) == ("closed", NOW)
    assert ActivityLog.objects.filter(action="follow_up.closed").get().actor == world.lead
