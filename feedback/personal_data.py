"""What the feedback app holds about a volunteer (their answers after sessions, the wellbeing
follow-ups raised for them and the leads' notes on those), for the personal-data registry
(``volunteers.data_rights``): the download and the erasure.

Students' answers and the coordinators' feedback are not about a volunteer as a person (the
students are anonymous; the coordinator's words are about the session) and are not reachable
from a volunteer's record.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from feedback.models import FollowUpNote, VolunteerFeedback, WellbeingFollowUp
from feedback.services import set_follow_up_status
from volunteers.data_rights import Provider, Section
from volunteers.models import VolunteerProfile
from volunteers.personal_data import iso

FollowUpStatus = WellbeingFollowUp.Status


def _answers(profile: VolunteerProfile) -> list[dict[str, Any]]:
    answers = (
        VolunteerFeedback.objects.filter(booking__volunteer=profile)
        .select_related("booking__session__module__programme__university")
        .order_by("-booking__session__starts_at", "-pk")
    )
    return [
        {
            "session": feedback.booking.session.title,
            "university": feedback.booking.session.university.name,
            "asked": iso(feedback.requested_at),
            "reminded": iso(feedback.reminded_at),
            "answered": iso(feedback.answered_at),
            "how_it_went": feedback.get_how_it_went_display() if feedback.how_it_went else "",
            "felt_prepared": feedback.get_felt_prepared_display() if feedback.felt_prepared else "",
            "felt_supported": feedback.get_felt_supported_display() if feedback.felt_supported else "",
            "anything_to_change": feedback.to_change,
            "would_like_contact": feedback.wants_contact if feedback.answered_at else None,
        }
        for feedback in answers
    ]


def _follow_ups(profile: VolunteerProfile) -> list[dict[str, Any]]:
    follow_ups = (
        WellbeingFollowUp.objects.filter(volunteer=profile)
        .select_related("network", "booking__session")
        .prefetch_related("notes")
        .order_by("created_at", "pk")
    )
    return [
        {
            "network": follow_up.network.name,
            "session": follow_up.booking.session.title if follow_up.booking else "",
            "raised": iso(follow_up.created_at),
            "from": follow_up.get_source_display(),
            "found_it_hard": follow_up.found_it_hard,
            "asked_for_contact": follow_up.asked_for_contact,
            "status": follow_up.get_status_display(),
            "contacted": iso(follow_up.contacted_at),
            "closed": iso(follow_up.closed_at),
            "notes": [{"when": iso(note.created_at), "note": note.text} for note in follow_up.notes.all()],
        }
        for follow_up in follow_ups
    ]


def erase(profile: VolunteerProfile, actor: User) -> None:
    """What they wrote and what leads wrote about them goes; a follow-up still open is closed.
    The rows stay, without free text: they count the answers given and the support offered."""
    VolunteerFeedback.objects.filter(booking__volunteer=profile).update(to_change="")
    FollowUpNote.objects.filter(follow_up__volunteer=profile).update(text="")
    still_open = (
        WellbeingFollowUp.objects.filter(volunteer=profile)
        .exclude(status=FollowUpStatus.CLOSED)
        .select_for_update(of=("self",))
        .select_related("network")
    )
    for follow_up in still_open:
        set_follow_up_status(follow_up, FollowUpStatus.CLOSED, actor=actor, data={"by": "erasure"})


PROVIDER = Provider(
    name="feedback",
    order=40,
    sections=(
        Section(
            "feedback",
            "What you told us after sessions",
            _answers,
            intro="Your answers to “How did it go?”, newest first.",
        ),
        Section(
            "follow_ups",
            "Support offered after sessions",
            _follow_ups,
            intro="When you found a session hard or asked to be contacted, and the notes your lead kept.",
        ),
    ),
    rows={
        VolunteerFeedback: lambda profile: VolunteerFeedback.objects.filter(booking__volunteer=profile),
        WellbeingFollowUp: lambda profile: WellbeingFollowUp.objects.filter(volunteer=profile),
        FollowUpNote: lambda profile: FollowUpNote.objects.filter(follow_up__volunteer=profile),
    },
    erase=erase,
)
