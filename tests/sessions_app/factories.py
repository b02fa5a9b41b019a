"""Factories for programmes, modules, sessions and bookings, with valid boring defaults."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from sessions_app.models import Booking, CalendarFeed, Module, Programme, TeachingSession
from tests.factories import UniversityFactory, UserFactory, VolunteerProfileFactory


def in_days(days: int, hour: int = 10) -> datetime.datetime:
    """``days`` from today at ``hour``:00 UK time."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    university = factory.SubFactory(UniversityFactory)
    name = factory.Sequence(lambda n: f"BSc (Hons) Programme {n}")
    profession = "Diagnostic radiography"
    regulator = Programme.Regulator.HCPC
    academic_year = "2026/27"


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"MOD{n:03d}")
    title = factory.Sequence(lambda n: f"Module {n}")
    year_of_study = 1


class TeachingSessionFactory(factory.django.DjangoModelFactory):
    """An open session in 14 days, 10:00–12:00 UK time, two places, in person."""

    class Meta:
        model = TeachingSession

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    kind = TeachingSession.Kind.TEACHING
    starts_at = factory.LazyFunction(lambda: in_days(14, 10))
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + datetime.timedelta(hours=2))
    venue = "Room 1.01, Health Sciences Building"
    places = 2
    briefing = "Please arrive ten minutes early."
    purpose = "Students hear what good care feels like."
    owner = factory.SubFactory(UserFactory)
    status = TeachingSession.Status.OPEN


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    session = factory.SubFactory(TeachingSessionFactory)
    volunteer = factory.SubFactory(VolunteerProfileFactory)
    status = Booking.Status.INVITED
    invitation_expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    volunteer = factory.SubFactory(VolunteerProfileFactory)


def session_at(university, owner, **fields) -> TeachingSession:  # type: ignore[no-untyped-def]
    """An open session of ``university`` owned by ``owner`` (a coordinator there)."""
    module = ModuleFactory(programme=ProgrammeFactory(university=university))
    return TeachingSessionFactory(module=module, owner=owner, **fields)


def free_for(session: TeachingSession, *volunteers) -> None:  # type: ignore[no-untyped-def]
    """Make each volunteer usually free at the session's weekday and part of the day, as they told us."""
    from volunteers.models import WeeklyAvailability, part_of_day

    weekday = timezone.localdate(session.starts_at).weekday()
    part = part_of_day(session.starts_at)
    for volunteer in volunteers:
        WeeklyAvailability.objects.get_or_create(volunteer=volunteer, weekday=weekday, part_of_day=part)


def invite_free(*, session: TeachingSession, volunteers, **kwargs) -> list[Booking]:  # type: ignore[no-untyped-def]
    """``services.invite_volunteers`` for volunteers made free at the session's time first (the
    tests that are not about availability invite people within what they told us)."""
    from sessions_app.services import invite_volunteers

    volunteers = list(volunteers)
    free_for(session, *volunteers)
    return invite_volunteers(session=session, volunteers=volunteers, **kwargs)
