"""What the sessions app holds about a volunteer (their bookings, with each session, their
answers and check-ins, and their private calendar address), for the personal-data registry
(``volunteers.data_rights``): the download and the erasure."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from involvement.links import absolute_url
from involvement.notifications import queue_notification
from sessions_app.models import Booking, CalendarFeed, CheckIn
from sessions_app.services import BookingStatus, session_context, set_booking_status
from volunteers.data_rights import Provider, Section
from volunteers.models import VolunteerProfile
from volunteers.personal_data import iso


def _bookings(profile: VolunteerProfile) -> list[dict[str, Any]]:
    bookings = (
        Booking.objects.filter(volunteer=profile)
        .select_related("session__module__programme__university", "check_in")
        .order_by("-session__starts_at", "-pk")
    )
    found = []
    for booking in bookings:
        session = booking.session
        check_in = getattr(booking, "check_in", None)
        found.append(
            {
                "session": session.title,
                "university": session.university.name,
                "kind": session.get_kind_display(),
                "starts": iso(session.starts_at),
                "ends": iso(session.ends_at),
                "where": session.venue or ("Online" if session.online_link else "To be confirmed"),
                "status": booking.get_status_display(),
                "invited": iso(booking.invited_at),
                "answered": iso(booking.responded_at),
                "cancelled": iso(booking.cancelled_at),
                "cancel_reason": booking.cancel_reason,
                "hours": str(booking.hours) if booking.hours is not None else None,
                "check_in": (
                    {"answer": check_in.get_answer_display() or "Not answered", "answered": iso(check_in.answered_at)}
                    if check_in is not None
                    else None
                ),
            }
        )
    return found


def _calendar(profile: VolunteerProfile) -> dict[str, Any] | None:
    feed = CalendarFeed.objects.filter(volunteer=profile).first()
    if feed is None:
        return None
    return {
        "address": absolute_url(reverse("sessions_app:feed", kwargs={"token": feed.token})),
        "since": iso(feed.updated_at),
    }


def erase(profile: VolunteerProfile, actor: User) -> None:
    """Invitations and places still to come are cancelled (the coordinator is told that a place is
    free, without a name); every reason given for cancelling goes; the calendar address stops
    working. Bookings stay: they count who took part, and when."""
    now = timezone.now()
    upcoming = (
        Booking.objects.filter(
            volunteer=profile,
            status__in=[BookingStatus.INVITED, BookingStatus.ACCEPTED],
            session__starts_at__gt=now,
        )
        .select_for_update(of=("self",))
        .select_related("session__module__programme__university", "session__owner")
    )
    for booking in upcoming:
        had_place = booking.status == BookingStatus.ACCEPTED
        set_booking_status(
            booking,
            BookingStatus.CANCELLED,
            actor=actor,
            data={"by": "erasure"},
            cancelled_at=now,
            cancelled_by=actor,
            cancel_reason="",
        )
        if had_place:
            session = booking.session
            queue_notification(
                template_key="sessions_app/place_freed",
                unique_key=booking.event_key("booking-cancelled") + ":owner",
                recipient=session.owner,
                context={
                    **session_context(session),
                    "matching_url": absolute_url(reverse("sessions_app:matching", kwargs={"pk": session.pk})),
                },
            )
    Booking.objects.filter(volunteer=profile).update(cancel_reason="")
    CalendarFeed.objects.filter(volunteer=profile).delete()


def _rows_bookings(profile: VolunteerProfile) -> QuerySet[Booking]:
    return Booking.objects.filter(volunteer=profile)


PROVIDER = Provider(
    name="sessions",
    order=20,
    sections=(
        Section(
            "sessions",
            "Your sessions",
            _bookings,
            intro="Every session you were invited to, newest first, with your answer and how it went.",
        ),
        Section("calendar", "Your private calendar address", _calendar),
    ),
    rows={
        Booking: _rows_bookings,
        CheckIn: lambda profile: CheckIn.objects.filter(booking__volunteer=profile),
        CalendarFeed: lambda profile: CalendarFeed.objects.filter(volunteer=profile),
    },
    erase=erase,
    code_fields=frozenset({"sessions_app.CalendarFeed.token"}),
)
