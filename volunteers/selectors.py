"""Reads for the volunteers' pages, with their joins decided here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Organisation
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    NetworkMembership,
    OnboardingCheck,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import CHECK_EXPIRY_WARNING_DAYS


@dataclass(frozen=True)
class ConsentState:
    """One purpose as the volunteer sees it on their consent page."""

    purpose: ConsentPurpose
    current_text: ConsentText | None
    latest: ConsentRecord | None
    history: list[ConsentRecord]

    @property
    def is_granted(self) -> bool:
        """Given, on the current wording."""
        return (
            self.latest is not None
            and self.latest.action == ConsentRecord.Action.GRANTED
            and self.current_text is not None
            and self.latest.text_id == self.current_text.pk
        )

    @property
    def needs_renewal(self) -> bool:
        """Given on wording that has since changed: asked again."""
        return (
            self.latest is not None
            and self.latest.action == ConsentRecord.Action.GRANTED
            and self.current_text is not None
            and self.latest.text_id != self.current_text.pk
        )


def consent_states(profile: VolunteerProfile) -> list[ConsentState]:
    """Every purpose that has wording, with its current text, the volunteer's answer and history.

    A fixed number of queries whatever the number of purposes or records.
    """
    purposes = list(
        ConsentPurpose.objects.filter(texts__isnull=False)
        .distinct()
        .prefetch_related(
            Prefetch(
                "texts",
                queryset=ConsentText.objects.order_by("-version").prefetch_related("organisations"),
                to_attr="versions",
            )
        )
        .order_by("order")
    )
    records = list(
        ConsentRecord.objects.filter(volunteer=profile)
        .select_related("text", "recorded_by")
        .order_by("-created_at", "-pk")
    )
    states = []
    for purpose in purposes:
        history = [record for record in records if record.purpose_id == purpose.pk]
        states.append(
            ConsentState(
                purpose=purpose,
                current_text=purpose.versions[0] if purpose.versions else None,
                latest=history[0] if history else None,
                history=history,
            )
        )
    return states


def needs_consent_review(profile: VolunteerProfile) -> bool:
    """Whether a grant the volunteer holds was given on wording that has since changed."""
    return any(state.needs_renewal for state in consent_states(profile))


def current_grant_counts() -> dict[int, int]:
    """How many volunteers (not erased) hold a current grant of each purpose, by purpose id.

    A current grant is a volunteer's latest record for the purpose, a grant of its newest wording.
    One query, whatever the number of purposes or volunteers.
    """
    newest = ConsentText.objects.filter(purpose=OuterRef("purpose")).order_by("-version").values("pk")[:1]
    rows = (
        ConsentRecord.objects.latest_per_purpose()
        .filter(action=ConsentRecord.Action.GRANTED, volunteer__erased_at__isnull=True, text=Subquery(newest))
        .order_by()
        .values("purpose")
        .annotate(volunteers=Count("volunteer", distinct=True))
    )
    return {row["purpose"]: row["volunteers"] for row in rows}


@dataclass(frozen=True)
class NetworkFilters:
    """The lead's filters on their network list; every field optional."""

    search: str = ""
    status: str = ""
    perspective: str = ""
    tag_ids: tuple[int, ...] = ()
    weekday: int | None = None
    part_of_day: str = ""
    paused: bool | None = None
    checks_expiring: bool = False


def network_memberships(network: Organisation, filters: NetworkFilters) -> QuerySet[NetworkMembership]:
    """The network's volunteers, filtered in the database, with what the list shows joined."""
    today = timezone.localdate()
    queryset = (
        NetworkMembership.objects.filter(network=network, volunteer__erased_at__isnull=True)
        .select_related("volunteer__user")
        .prefetch_related(
            Prefetch("volunteer__experience_tags"),
            Prefetch(
                "checks",
                queryset=OnboardingCheck.objects.order_by("kind", "name"),
            ),
        )
        .annotate(
            expiring_checks=Count(
                "checks",
                filter=Q(
                    checks__expires_on__gte=today,
                    checks__expires_on__lte=today + datetime.timedelta(days=CHECK_EXPIRY_WARNING_DAYS),
                ),
                distinct=True,
            )
        )
        .order_by("volunteer__user__name", "pk")
    )
    if filters.search:
        queryset = queryset.filter(
            Q(volunteer__user__name__icontains=filters.search)
            | Q(volunteer__preferred_name__icontains=filters.search)
            | Q(volunteer__user__email__icontains=filters.search)
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.perspective:
        queryset = queryset.filter(volunteer__perspective=filters.perspective)
    for tag_id in filters.tag_ids:
        queryset = queryset.filter(volunteer__experience_tags=tag_id)
    if filters.weekday is not None or filters.part_of_day:
        slots = WeeklyAvailability.objects.all()
        if filters.weekday is not None:
            slots = slots.filter(weekday=filters.weekday)
        if filters.part_of_day:
            slots = slots.filter(part_of_day=filters.part_of_day)
        queryset = queryset.filter(volunteer__in=slots.values("volunteer_id"))
    if filters.paused is True:
        queryset = queryset.filter(status=NetworkMembership.Status.PAUSED)
    elif filters.paused is False:
        queryset = queryset.exclude(status=NetworkMembership.Status.PAUSED)
    if filters.checks_expiring:
        queryset = queryset.filter(expiring_checks__gt=0)
    return queryset
