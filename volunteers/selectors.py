"""Reads for the volunteers' pages, with their joins decided here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
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
    """One purpose of one network as the volunteer (or that network's lead) sees it."""

    purpose: ConsentPurpose
    network: Organisation
    current_text: ConsentText | None
    latest: ConsentRecord | None
    history: list[ConsentRecord]

    @property
    def is_granted(self) -> bool:
        """Given, on the network's current wording."""
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

    @property
    def label(self) -> str:
        """The state in the words every page uses, whoever reads it (the volunteer or their lead)."""
        if self.is_granted:
            return "Agreed"
        if self.needs_renewal:
            return "Agreed to earlier wording: asked again"
        if self.latest is not None:
            return "Withdrawn"
        return "Not agreed yet"


@dataclass(frozen=True)
class NetworkConsents:
    """One network's wording, and the volunteer's answers to it."""

    network: Organisation
    states: list[ConsentState]


def network_consents(profile: VolunteerProfile, networks: Iterable[Organisation]) -> list[NetworkConsents]:
    """For each of ``networks``, every purpose it has worded, in order, with its current text
    (the organisations it names prefetched), the volunteer's answer to that network and their
    history of answers to it, newest first. Three queries, whatever the number of networks,
    purposes or records. Nothing of any other network is read.
    """
    networks = list(networks)
    texts = list(
        ConsentText.objects.filter(network__in=networks)
        .current()
        .select_related("purpose")
        .prefetch_related("organisations")
        .order_by("purpose__order", "purpose__name")
    )
    records = list(
        ConsentRecord.objects.filter(volunteer=profile, text__network__in=networks)
        .select_related("text", "recorded_by")
        .order_by("-created_at", "-pk")
    )
    sections = []
    for network in networks:
        states = []
        for text in texts:
            if text.network_id != network.pk:
                continue
            history = [
                record
                for record in records
                if record.purpose_id == text.purpose_id and record.text.network_id == network.pk
            ]
            states.append(
                ConsentState(
                    purpose=text.purpose,
                    network=network,
                    current_text=text,
                    latest=history[0] if history else None,
                    history=history,
                )
            )
        sections.append(NetworkConsents(network=network, states=states))
    return sections


def consent_states(profile: VolunteerProfile, network: Organisation) -> list[ConsentState]:
    """``network``'s purposes as they stand for ``profile`` (a lead's pages: their network only)."""
    [section] = network_consents(profile, [network])
    return section.states


def my_consents(profile: VolunteerProfile) -> list[NetworkConsents]:
    """The volunteer's consent page: a section for each network they belong to (applicant, active
    or paused), by name. Four queries."""
    networks = Organisation.objects.filter(pk__in=profile.memberships.belonging().values("network_id"))
    return network_consents(profile, networks.order_by("name", "pk"))


def needs_consent_review(profile: VolunteerProfile) -> bool:
    """Whether a grant the volunteer holds, in any network they belong to, was given on wording
    that network has since changed. One query."""
    return (
        ConsentRecord.objects.outdated_grants()
        .filter(volunteer=profile, text__network__in=profile.memberships.belonging().values("network_id"))
        .exists()
    )


def current_grant_counts(network: Organisation) -> dict[int, int]:
    """How many of ``network``'s volunteers (applicants, active or paused; not erased) hold a
    current grant of each purpose of its wording, by purpose id. One query.
    """
    members = NetworkMembership.objects.filter(network=network).belonging().values("volunteer_id")
    rows = (
        ConsentRecord.objects.current_grants()
        .filter(text__network=network, volunteer__erased_at__isnull=True, volunteer__in=members)
        .order_by()
        .values("purpose")
        .annotate(volunteers=Count("volunteer", distinct=True))
    )
    return {row["purpose"]: row["volunteers"] for row in rows}


def current_wording(network: Organisation) -> list[ConsentText]:
    """``network``'s current text of each purpose it has worded, in order, with the organisations
    each names: two queries."""
    return list(
        ConsentText.objects.filter(network=network)
        .current()
        .select_related("purpose")
        .prefetch_related("organisations")
        .order_by("purpose__order", "purpose__name")
    )


@dataclass(frozen=True)
class WordingRow:
    """One purpose on an org admin's list: its organisation's current wording and how many of
    its volunteers currently agree to it."""

    purpose: ConsentPurpose
    current: ConsentText | None
    grants: int


@dataclass(frozen=True)
class NetworkWording:
    network: Organisation
    rows: list[WordingRow]


def wording_overview(networks: Iterable[Organisation]) -> list[NetworkWording]:
    """For each of ``networks`` (the organisations an admin administers), every purpose with
    that organisation's current wording and its current grant count. Three queries, then one
    per organisation for its counts."""
    networks = list(networks)
    purposes = list(ConsentPurpose.objects.order_by("order", "name"))
    current = {
        (text.network_id, text.purpose_id): text
        for text in ConsentText.objects.filter(network__in=networks).current().prefetch_related("organisations")
    }
    overview = []
    for network in networks:
        counts = current_grant_counts(network)
        rows = [
            WordingRow(purpose=purpose, current=current.get((network.pk, purpose.pk)), grants=counts.get(purpose.pk, 0))
            for purpose in purposes
        ]
        overview.append(NetworkWording(network=network, rows=rows))
    return overview


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


NETWORK_LIST_FIELDS = (
    "network_id",
    "status",
    "paused_until",
    "volunteer__preferred_name",
    "volunteer__perspective",
    "volunteer__erased_at",
    "volunteer__user__name",
    "volunteer__user__email",
)


def network_memberships(network: Organisation, filters: NetworkFilters) -> QuerySet[NetworkMembership]:
    """The network's volunteers, filtered in the database, with what the list shows joined."""
    today = timezone.localdate()
    # Counted by a subquery per membership shown, not a join and GROUP BY over the whole network
    # before LIMIT; the paginator's count() leaves it out.
    expiring = (
        OnboardingCheck.objects.filter(
            membership=OuterRef("pk"),
            expires_on__gte=today,
            expires_on__lte=today + datetime.timedelta(days=CHECK_EXPIRY_WARNING_DAYS),
        )
        .order_by()
        .values("membership")
        .annotate(count=Count("pk"))
        .values("count")
    )
    queryset = (
        NetworkMembership.objects.filter(network=network, volunteer__erased_at__isnull=True)
        .select_related("volunteer__user")
        # Only what the list shows: the network's every row is joined and sorted by name before
        # the page is cut, and whole profiles (biographies, adjustments) are wide.
        .only(*NETWORK_LIST_FIELDS)
        .prefetch_related(Prefetch("volunteer__experience_tags"))
        .annotate(expiring_checks=Coalesce(Subquery(expiring, output_field=IntegerField()), 0))
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
