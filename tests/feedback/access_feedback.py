"""Access-table entries for the feedback pages (see tests/test_access.py).

Coordinators of University A get a session's feedback pages and the impact log; a lead or a
volunteer is refused (403); University B's coordinator finds University A's sessions missing (404).
The follow-up pages are Charity A's leads': a coordinator is refused (403), Charity B's lead finds
them missing (404). "The difference you made" needs a volunteer profile. The links in emails and
QR codes are public: the token is the key.
"""

from __future__ import annotations

from typing import Any

from feedback.models import VolunteerFeedback
from feedback.services import volunteer_feedback_token
from tests.access import Access
from tests.conftest import World
from tests.feedback.factories import (
    ImpactEntryFactory,
    StudentFeedbackLinkFactory,
    StudentResponseFactory,
    attended,
    coordinator_feedback,
    follow_up_for,
)


def session_of_university_a(world: World) -> dict[str, Any]:
    booking = attended(world)
    coordinator_feedback(booking.session)
    return {"pk": booking.session.pk}


def session_with_link(world: World) -> dict[str, Any]:
    booking = attended(world)
    StudentFeedbackLinkFactory(session=booking.session)
    return {"pk": booking.session.pk}


def student_response(world: World) -> dict[str, Any]:
    return {"pk": StudentResponseFactory(session=attended(world).session).pk}


def volunteer_link(world: World) -> dict[str, Any]:
    feedback = VolunteerFeedback.objects.create(booking=attended(world))
    return {"token": volunteer_feedback_token(feedback)}


def student_link(world: World) -> dict[str, Any]:
    return {"token": StudentFeedbackLinkFactory(session=attended(world, days_ago=1).session).token}


def network_slug(world: World) -> dict[str, Any]:
    return {"slug": world.charity.slug}


def follow_up(world: World) -> dict[str, Any]:
    return {"slug": world.charity.slug, "pk": follow_up_for(attended(world), world.charity).pk}


def impact_entry(world: World) -> dict[str, Any]:
    return {"pk": ImpactEntryFactory(university=world.university).pk}


def coordinator_page(name: str, kwargs: Any, **options: Any) -> Access:
    options.setdefault("allowed", "coordinator")
    return Access(name, kwargs, wrong_role="lead", other_org="other_coordinator", **options)


def lead_page(name: str, kwargs: Any, **options: Any) -> Access:
    options.setdefault("allowed", "lead")
    return Access(name, kwargs, wrong_role="coordinator", other_org="other_lead", **options)


ACCESS_FEEDBACK: list[Access] = [
    Access("feedback:volunteer_feedback", volunteer_link, public=True, allowed="outsider"),
    Access("feedback:student", student_link, public=True, allowed="outsider"),
    Access("feedback:difference", allowed="volunteer", wrong_role="coordinator"),
    coordinator_page("feedback:session", session_of_university_a),
    coordinator_page("feedback:coordinator_feedback", session_of_university_a),
    # POST only; an empty POST would make the link, so the view tests cover the allowed user.
    coordinator_page("feedback:student_link", session_of_university_a, allowed=None, method="post"),
    coordinator_page("feedback:project", session_with_link),
    coordinator_page("feedback:choose_comment", student_response, allowed=None, method="post"),
    Access("feedback:impact", allowed="coordinator", wrong_role="lead"),
    Access("feedback:impact_new", allowed="coordinator", wrong_role="volunteer"),
    coordinator_page("feedback:impact_edit", impact_entry),
    Access("feedback:my_follow_ups", allowed="lead", wrong_role="coordinator", allowed_status=302),
    lead_page("feedback:follow_ups", network_slug),
    lead_page("feedback:follow_up", follow_up),
    # POST only: an empty POST changes nothing (400-like redirect), tested in the view tests.
    lead_page("feedback:follow_up_status", follow_up, allowed=None, method="post"),
    lead_page("feedback:follow_up_note", follow_up, allowed=None, method="post"),
]
