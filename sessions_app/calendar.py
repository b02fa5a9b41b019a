"""iCalendar (RFC 5545): a volunteer's private feed of their bookings, and the .ics file sent with
each confirmation. Built with the ``icalendar`` library. No health data: titles, times, places
and the session's status only."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from involvement.models import Notification
from sessions_app.models import Booking, TeachingSession
from volunteers.models import VolunteerProfile

PRODID = "-//Involvement//Sessions//EN"
FEED_STATUSES = [Booking.Status.ACCEPTED, Booking.Status.ATTENDED, Booking.Status.NO_SHOW, Booking.Status.CANCELLED]
# How far back the feed goes; everything to come is in it.
FEED_PAST = datetime.timedelta(days=365)


def _uid(booking: Booking) -> str:
    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0] or "involvement"
    return f"booking-{booking.pk}@{host}"


def _event(booking: Booking, stamp: datetime.datetime) -> Event:
    session: TeachingSession = booking.session
    event = Event()
    event.add("uid", _uid(booking))
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at.astimezone(datetime.UTC))
    event.add("dtend", session.ends_at.astimezone(datetime.UTC))
    event.add("summary", f"{session.title} ({session.university})")
    event.add("location", session.venue or session.online_link or "To be confirmed")
    cancelled = session.status == TeachingSession.Status.CANCELLED or booking.status == Booking.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("last-modified", max(session.updated_at, booking.updated_at).astimezone(datetime.UTC))
    if session.online_link:
        event.add("url", session.online_link)
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def feed_for(profile: VolunteerProfile) -> bytes:
    """The volunteer's bookings (accepted, attended and cancelled) of the past ``FEED_PAST`` and
    everything to come, as an iCalendar file: a calendar app fetches it every few hours, and
    years of history would make every fetch longer without anyone looking at it."""
    calendar = _calendar("Involvement sessions")
    now = timezone.now()
    stamp = now.astimezone(datetime.UTC)
    bookings = (
        Booking.objects.filter(volunteer=profile, status__in=FEED_STATUSES, session__starts_at__gte=now - FEED_PAST)
        .select_related("session__module__programme__university")
        .order_by("session__starts_at", "pk")
    )
    for booking in bookings:
        calendar.add_component(_event(booking, stamp))
    return calendar.to_ical()


def booking_ics(booking: Booking) -> bytes:
    calendar = _calendar("Involvement session")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(booking, timezone.now().astimezone(datetime.UTC)))
    return calendar.to_ical()


def confirmation_attachments(notification: Notification) -> list[tuple[str, bytes, str]]:
    """The .ics file attached to a booking confirmation."""
    booking = (
        Booking.objects.select_related("session__module__programme__university")
        .filter(pk=notification.context.get("booking"))
        .first()
    )
    if booking is None:
        return []
    return [("session.ics", booking_ics(booking), "text/calendar")]
