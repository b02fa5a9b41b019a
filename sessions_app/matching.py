"""Suggesting volunteers for a session, ranked, each with the reason.

Every rule is a database filter, so the ranking answers in a fixed number of queries however
many volunteers there are: active volunteers of networks partnered with the session's
university, free then by their weekly pattern and not away, under their monthly cap, not
accepted into an overlapping session, holding current grants of the required consents, able to
take part in this way (in person or online, the session's length). Among them, those with more
of the preferred experience come first, then the least recently involved, so the same few voices
are not asked again and again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from involvement import formatting
from sessions_app.models import Booking, TeachingSession
from volunteers.models import PartOfDay, TimeAway, VolunteerProfile, Weekday, WeeklyAvailability, part_of_day

SUGGESTION_LIMIT = 50
HOLDING = [Booking.Status.ACCEPTED, Booking.Status.ATTENDED]


@dataclass(frozen=True)
class Suggestion:
    volunteer: VolunteerProfile
    matching_tags: list[str]
    sessions_this_month: int
    last_involved: datetime.datetime | None
    reason: str


def month_bounds(moment: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The UK calendar month containing ``moment``, as aware datetimes."""
    first = timezone.localdate(moment).replace(day=1)
    following = first + relativedelta(months=1)
    return (
        timezone.make_aware(datetime.datetime.combine(first, datetime.time())),
        timezone.make_aware(datetime.datetime.combine(following, datetime.time())),
    )


def candidates(
    session: TeachingSession, *, tag_ids: Iterable[int] = (), perspective: str = ""
) -> QuerySet[VolunteerProfile]:
    """Everyone who may be suggested for ``session``, annotated for ranking, best first."""
    day = timezone.localdate(session.starts_at)
    month_start, month_end = month_bounds(session.starts_at)
    required = list(session.required_consents.values_list("code", flat=True))
    preferred = list(session.preferred_tags.values_list("pk", flat=True))
    duration_minutes = int(session.duration.total_seconds() // 60)

    month_bookings = Booking.objects.filter(
        status__in=HOLDING, session__starts_at__gte=month_start, session__starts_at__lt=month_end
    ).order_by()
    in_month = (
        month_bookings.filter(volunteer=OuterRef("pk")).values("volunteer").annotate(count=Count("pk")).values("count")
    )
    # Those already at their cap, found once for the month rather than counted again for every
    # volunteer in the WHERE clause (which cost a correlated count per row: seconds at 10,000).
    at_cap = (
        month_bookings.values("volunteer_id")
        .annotate(count=Count("pk"))
        .filter(count__gte=F("volunteer__monthly_session_cap"))
        .values("volunteer_id")
    )
    tag_through = VolunteerProfile.experience_tags.through
    matching_tags = (
        tag_through.objects.filter(volunteerprofile_id=OuterRef("pk"), experiencetag_id__in=preferred)  # type: ignore[misc]  # the plugin cannot see annotations on an auto-created through model
        .order_by()
        .values("volunteerprofile_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    last_involved = (
        Booking.objects.filter(volunteer=OuterRef("pk"), status=Booking.Status.ATTENDED)
        .order_by()
        .values("volunteer")
        .annotate(latest=Max("session__starts_at"))
        .values("latest")
    )
    # The sessions at the same time, as a list: PostgreSQL cannot estimate how few rows two range
    # conditions leave, guesses hundreds, and then scans every booking; given the ids, it looks up
    # the bookings of just those sessions.
    at_the_same_time = list(
        TeachingSession.objects.filter(starts_at__lt=session.ends_at, ends_at__gt=session.starts_at).values_list(
            "pk", flat=True
        )
    )
    overlapping = Booking.objects.filter(status=Booking.Status.ACCEPTED, session_id__in=at_the_same_time)

    queryset = (
        VolunteerProfile.objects.filter(erased_at__isnull=True)
        .findable_by(session.university, on=day)
        .available_at(day.weekday(), part_of_day(session.starts_at), on=day)
        .exclude(pk__in=Booking.objects.filter(session=session).values("volunteer_id"))
        .exclude(pk__in=overlapping.values("volunteer_id"))
        .filter(Q(longest_session_minutes__isnull=True) | Q(longest_session_minutes__gte=duration_minutes))
        .exclude(
            attendance_mode=(
                VolunteerProfile.AttendanceMode.IN_PERSON
                if session.is_online
                else VolunteerProfile.AttendanceMode.ONLINE
            )
        )
        .annotate(
            sessions_this_month=Coalesce(Subquery(in_month, output_field=IntegerField()), Value(0)),
            matching_tag_count=Coalesce(Subquery(matching_tags, output_field=IntegerField()), Value(0)),
            last_involved=Subquery(last_involved),
        )
        .exclude(monthly_session_cap=0)
        .exclude(pk__in=at_cap)
    )
    if required:
        # As a subquery of its own: inline, PostgreSQL misjudges how many rows the latest-consent
        # lookups keep and picks nested loops that take seconds with 10,000 volunteers.
        queryset = queryset.filter(
            pk__in=VolunteerProfile.objects.with_current_grants(required, university=session.university).values("pk")
        )
    for tag_id in tag_ids:
        queryset = queryset.filter(experience_tags=tag_id)
    if perspective:
        queryset = queryset.filter(perspective=perspective)
    return queryset.select_related("user").order_by(
        "-matching_tag_count", F("last_involved").asc(nulls_first=True), "user__name", "pk"
    )


def suggest(
    session: TeachingSession, *, tag_ids: Iterable[int] = (), perspective: str = "", limit: int = SUGGESTION_LIMIT
) -> list[Suggestion]:
    """The best ``limit`` suggestions for ``session``, each saying why (at most six queries, whatever the
    number of volunteers: the session's preferred tags, its required consents, the sessions at the
    same time, the ranking, and the matching tags' names)."""
    preferred = set(session.preferred_tags.values_list("pk", flat=True))
    volunteers = list(candidates(session, tag_ids=tag_ids, perspective=perspective)[:limit])
    tags_by_volunteer: dict[int, list[str]] = {}
    if volunteers and preferred:
        through = VolunteerProfile.experience_tags.through
        rows = (
            through.objects.filter(volunteerprofile_id__in=[v.pk for v in volunteers], experiencetag_id__in=preferred)
            .select_related("experiencetag")
            .order_by("experiencetag__name")
        )
        for row in rows:
            tags_by_volunteer.setdefault(row.volunteerprofile_id, []).append(row.experiencetag.name)
    weekday = Weekday(timezone.localtime(session.starts_at).weekday()).label
    part = PartOfDay(part_of_day(session.starts_at)).label.lower()
    suggestions = []
    for volunteer in volunteers:
        names = tags_by_volunteer.get(volunteer.pk, [])
        count = volunteer.sessions_this_month  # type: ignore[attr-defined]
        parts = [f"free {weekday} {part}s", f"{count} session{'s' if count != 1 else ''} this month"]
        if names:
            parts.append(", ".join(names))
        last = volunteer.last_involved  # type: ignore[attr-defined]
        parts.append(f"last involved {formatting.day(last)}" if last else "not involved yet")
        suggestions.append(
            Suggestion(
                volunteer=volunteer,
                matching_tags=names,
                sessions_this_month=count,
                last_involved=last,
                reason="; ".join(parts),
            )
        )
    return suggestions


def outside_what_they_said(session: TeachingSession, volunteers: list[VolunteerProfile]) -> dict[int, list[str]]:
    """For each volunteer the session goes beyond what they told us, the reasons in words: not
    usually free then by their weekly pattern, away that day, or at their monthly limit. The
    availability page promises coordinators invite them only within these, unless agreed first.
    Three queries, however many volunteers."""
    if not volunteers:
        return {}
    ids = [volunteer.pk for volunteer in volunteers]
    day = timezone.localdate(session.starts_at)
    part = part_of_day(session.starts_at)
    free = set(
        WeeklyAvailability.objects.filter(volunteer_id__in=ids, weekday=day.weekday(), part_of_day=part).values_list(
            "volunteer_id", flat=True
        )
    )
    away: dict[int, TimeAway] = {
        away.volunteer_id: away
        for away in TimeAway.objects.filter(volunteer_id__in=ids, starts_on__lte=day, ends_on__gte=day)
    }
    month_start, month_end = month_bounds(session.starts_at)
    in_month = dict(
        Booking.objects.filter(
            volunteer_id__in=ids,
            status__in=HOLDING,
            session__starts_at__gte=month_start,
            session__starts_at__lt=month_end,
        )
        .exclude(session=session)
        .order_by()
        .values("volunteer_id")
        .annotate(count=Count("pk"))
        .values_list("volunteer_id", "count")
    )
    weekday = Weekday(day.weekday()).label
    month = f"{timezone.localtime(session.starts_at):%B}"
    found: dict[int, list[str]] = {}
    for volunteer in volunteers:
        reasons = []
        if volunteer.pk not in free:
            reasons.append(f"not usually free on {weekday} {PartOfDay(part).label.lower()}s")
        if volunteer.pk in away:
            time_away = away[volunteer.pk]
            reasons.append(f"away from {time_away.starts_on:%-d %B} to {time_away.ends_on:%-d %B}")
        cap = volunteer.monthly_session_cap
        booked = in_month.get(volunteer.pk, 0)
        if cap is not None and booked >= cap:
            reasons.append(
                f"already has {booked} session{'s' if booked != 1 else ''} in {month}, the most they asked for is {cap}"
            )
        if reasons:
            found[volunteer.pk] = reasons
    return found


def why_not(session: TeachingSession, volunteer: VolunteerProfile) -> str | None:
    """Why ``volunteer`` cannot be booked into ``session`` (None when they can), for invitations."""
    if volunteer.is_erased:
        return "This volunteer's record has been erased."
    if not VolunteerProfile.objects.filter(pk=volunteer.pk).findable_by(session.university).exists():
        return (
            f"{volunteer.display_name} is not an active volunteer of a network partnered with "
            f"{session.university} (they may be paused or have left)."
        )
    return None


@dataclass(frozen=True)
class Unsuggested:
    """A volunteer found by name who may be invited although not (or not yet) suggested."""

    volunteer: VolunteerProfile
    suggested: bool
    outside: list[str]
    blockers: list[str]


SEARCH_LIMIT = 20


def find_by_name(session: TeachingSession, name: str, *, limit: int = SEARCH_LIMIT) -> list[Unsuggested]:
    """Active volunteers of partnered networks whose name contains ``name``, not yet invited to
    ``session``, each with what the invitation would go beyond (``outside_what_they_said``: it
    needs the coordinator to have agreed it with them) and what stops them taking part (another
    accepted session at that time, a consent not given). A fixed number of queries."""
    name = " ".join(name.split())
    if not name:
        return []
    volunteers = list(
        VolunteerProfile.objects.filter(erased_at__isnull=True)
        .findable_by(session.university, on=timezone.localdate(session.starts_at))
        .exclude(pk__in=Booking.objects.filter(session=session).values("volunteer_id"))
        .filter(Q(user__name__icontains=name) | Q(preferred_name__icontains=name))
        .select_related("user")
        .order_by("user__name", "pk")[:limit]
    )
    ids = [volunteer.pk for volunteer in volunteers]
    suggested = set(candidates(session).filter(pk__in=ids).values_list("pk", flat=True))
    outside = outside_what_they_said(session, volunteers)
    clashes = {
        booking.volunteer_id: booking.session.title
        for booking in Booking.objects.filter(volunteer_id__in=ids, status=Booking.Status.ACCEPTED)
        .overlapping(session.starts_at, session.ends_at)
        .select_related("session")
    }
    required = list(session.required_consents.values_list("code", flat=True))
    consenting = (
        set(
            VolunteerProfile.objects.filter(pk__in=ids)
            .with_current_grants(required, university=session.university)
            .values_list("pk", flat=True)
        )
        if required
        else set(ids)
    )
    found = []
    for volunteer in volunteers:
        blockers = []
        if volunteer.pk in clashes:
            blockers.append(f"booked into “{clashes[volunteer.pk]}” at that time")
        if volunteer.pk not in consenting:
            blockers.append("has not given the consent this session needs")
        found.append(
            Unsuggested(
                volunteer=volunteer,
                suggested=volunteer.pk in suggested,
                outside=outside.get(volunteer.pk, []),
                blockers=blockers,
            )
        )
    return found
