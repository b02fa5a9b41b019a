"""The volunteers' querysets and selectors: availability, findability, consent holders, the lead's filters."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from accounts.models import Organisation
from tests import factories
from tests.conftest import World
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    NetworkMembership,
    OnboardingCheck,
    PartOfDay,
    VolunteerProfile,
    VolunteerProfileQuerySet,
    part_of_day,
)
from volunteers.selectors import NetworkFilters, network_memberships
from volunteers.services import grant_consent, withdraw_consent

Status = NetworkMembership.Status
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)  # a Monday
TODAY = datetime.date(2026, 3, 2)
DAY = datetime.timedelta(days=1)
TUESDAY = 1


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def volunteer(network: Organisation, name: str = "", status: str = Status.ACTIVE, **profile: Any) -> VolunteerProfile:
    user = factories.UserFactory(**({"name": name} if name else {}))
    membership = factories.NetworkMembershipFactory(
        volunteer=factories.VolunteerProfileFactory(user=user, **profile), network=network, status=status
    )
    return membership.volunteer


def pks(queryset: Any) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


# part_of_day


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Winter (GMT): UK time equals UTC.
        (datetime.datetime(2026, 1, 15, 0, 0), PartOfDay.MORNING),
        (datetime.datetime(2026, 1, 15, 11, 59), PartOfDay.MORNING),
        (datetime.datetime(2026, 1, 15, 12, 0), PartOfDay.AFTERNOON),
        (datetime.datetime(2026, 1, 15, 16, 59), PartOfDay.AFTERNOON),
        (datetime.datetime(2026, 1, 15, 17, 0), PartOfDay.EVENING),
        (datetime.datetime(2026, 1, 15, 23, 59), PartOfDay.EVENING),
        # Summer (BST): UK time is an hour ahead of UTC.
        (datetime.datetime(2026, 7, 15, 10, 59), PartOfDay.MORNING),  # 11:59 BST
        (datetime.datetime(2026, 7, 15, 11, 0), PartOfDay.AFTERNOON),  # 12:00 BST
        (datetime.datetime(2026, 7, 15, 15, 59), PartOfDay.AFTERNOON),  # 16:59 BST
        (datetime.datetime(2026, 7, 15, 16, 0), PartOfDay.EVENING),  # 17:00 BST
        (datetime.datetime(2026, 7, 14, 23, 30), PartOfDay.MORNING),  # 00:30 BST on the 15th
    ],
)
def test_part_of_day_uses_uk_time(utc: datetime.datetime, expected: str) -> None:
    assert part_of_day(utc.replace(tzinfo=datetime.UTC)) == expected


def test_part_of_day_accepts_other_timezones() -> None:
    new_york = datetime.timezone(datetime.timedelta(hours=-5))
    # 07:30 in New York on a winter day is 12:30 in London.
    assert part_of_day(datetime.datetime(2026, 1, 15, 7, 30, tzinfo=new_york)) == PartOfDay.AFTERNOON


# available_at


@pytest.fixture
def tuesday_morning(world: World) -> VolunteerProfile:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=TUESDAY, part_of_day="morning")
    factories.WeeklyAvailabilityFactory(volunteer=profile, weekday=3, part_of_day="evening")
    return profile


def test_available_at_matches_the_weekly_pattern(tuesday_morning: VolunteerProfile) -> None:
    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "morning")) == [tuesday_morning.pk]
    assert pks(VolunteerProfile.objects.available_at(3, "evening")) == [tuesday_morning.pk]
    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "afternoon")) == []
    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "evening")) == []
    assert pks(VolunteerProfile.objects.available_at(2, "morning")) == []


def test_available_at_does_not_duplicate_volunteers_free_often(world: World, tuesday_morning: VolunteerProfile) -> None:
    factories.WeeklyAvailabilityFactory(volunteer=tuesday_morning, weekday=TUESDAY, part_of_day="afternoon")

    assert VolunteerProfile.objects.available_at(TUESDAY, "morning").count() == 1


@pytest.mark.parametrize(
    ("on", "available"),
    [
        (datetime.date(2026, 3, 3), True),  # the Tuesday before
        (datetime.date(2026, 3, 9), True),  # the day before they go
        (datetime.date(2026, 3, 10), False),  # first day away, a Tuesday
        (datetime.date(2026, 3, 17), False),  # a Tuesday in between
        (datetime.date(2026, 3, 24), False),  # last day away, a Tuesday
        (datetime.date(2026, 3, 25), True),  # the day after they are back
        (datetime.date(2026, 3, 31), True),
    ],
)
def test_available_at_excludes_time_away_inclusive(
    tuesday_morning: VolunteerProfile, on: datetime.date, available: bool
) -> None:
    factories.TimeAwayFactory(
        volunteer=tuesday_morning, starts_on=datetime.date(2026, 3, 10), ends_on=datetime.date(2026, 3, 24)
    )

    expected = [tuesday_morning.pk] if available else []
    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "morning", on=on)) == expected


def test_available_at_one_day_away(tuesday_morning: VolunteerProfile) -> None:
    day = datetime.date(2026, 3, 10)
    factories.TimeAwayFactory(volunteer=tuesday_morning, starts_on=day, ends_on=day)

    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "morning", on=day)) == []
    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "morning", on=day + 7 * DAY)) == [tuesday_morning.pk]


def test_available_at_without_a_date_ignores_time_away(tuesday_morning: VolunteerProfile) -> None:
    factories.TimeAwayFactory(volunteer=tuesday_morning, starts_on=TODAY, ends_on=TODAY + 100 * DAY)

    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "morning")) == [tuesday_morning.pk]


def test_available_at_someone_elses_time_away_does_not_count(world: World, tuesday_morning: VolunteerProfile) -> None:
    other = volunteer(world.charity)
    factories.WeeklyAvailabilityFactory(volunteer=other, weekday=TUESDAY, part_of_day="morning")
    factories.TimeAwayFactory(volunteer=other, starts_on=datetime.date(2026, 3, 10), ends_on=datetime.date(2026, 3, 10))

    on = datetime.date(2026, 3, 10)
    assert pks(VolunteerProfile.objects.available_at(TUESDAY, "morning", on=on)) == [tuesday_morning.pk]


# findable_by


def test_findable_by_partnered_university_only(world: World) -> None:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    other = volunteer(world.other_charity)

    assert pks(VolunteerProfile.objects.findable_by(world.university)) == [profile.pk]
    assert pks(VolunteerProfile.objects.findable_by(world.other_university)) == [other.pk]


@pytest.mark.parametrize("status", [Status.APPLICANT, Status.PAUSED, Status.LEFT, Status.DECLINED])
def test_findable_by_only_active_memberships(world: World, status: str) -> None:
    volunteer(world.charity, status=status)

    assert pks(VolunteerProfile.objects.findable_by(world.university)) == [
        VolunteerProfile.objects.get(user=world.volunteer).pk
    ]


def test_findable_by_ended_partnership_excluded(world: World, frozen: object) -> None:
    former = factories.CharityFactory(name="Former partner")
    factories.PartnershipFactory(
        network=former, university=world.university, starts_on=datetime.date(2024, 1, 1), ends_on=TODAY - DAY
    )
    profile = volunteer(former)

    assert profile.pk not in pks(VolunteerProfile.objects.findable_by(world.university))
    assert profile.pk in pks(VolunteerProfile.objects.findable_by(world.university, on=TODAY - DAY))


def test_findable_by_partnership_ending_today_still_counts(world: World, frozen: object) -> None:
    ending = factories.CharityFactory(name="Ending partner")
    factories.PartnershipFactory(network=ending, university=world.university, ends_on=TODAY)
    profile = volunteer(ending)

    assert profile.pk in pks(VolunteerProfile.objects.findable_by(world.university))


def test_findable_by_future_partnership_excluded(world: World, frozen: object) -> None:
    future = factories.CharityFactory(name="Future partner")
    factories.PartnershipFactory(network=future, university=world.university, starts_on=TODAY + DAY)
    profile = volunteer(future)

    assert profile.pk not in pks(VolunteerProfile.objects.findable_by(world.university))
    assert profile.pk in pks(VolunteerProfile.objects.findable_by(world.university, on=TODAY + DAY))


def test_findable_by_active_in_a_partnered_network_is_enough(world: World) -> None:
    """Paused in the partnered network but active in another partnered one: findable once."""
    profile = volunteer(world.other_charity)
    factories.NetworkMembershipFactory(volunteer=profile, network=world.charity, status=Status.PAUSED)
    factories.PartnershipFactory(network=world.other_charity, university=world.university)

    assert VolunteerProfile.objects.findable_by(world.university).filter(pk=profile.pk).count() == 1


def test_findable_by_active_only_in_an_unpartnered_network(world: World) -> None:
    profile = volunteer(world.other_charity)
    factories.NetworkMembershipFactory(volunteer=profile, network=world.charity, status=Status.PAUSED)

    assert profile.pk not in pks(VolunteerProfile.objects.findable_by(world.university))


# with_current_grants


@pytest.fixture
def texts(world: World, consent_purposes: list[ConsentPurpose]) -> dict[str, Any]:
    return {
        code: factories.ConsentTextFactory(
            purpose=ConsentPurpose.objects.get(code=code),
            network=world.charity,
            organisations=[world.charity, world.university],
        )
        for code in ["share-story", "recording", "photographs"]
    }


def grant(profile: VolunteerProfile, *codes: str, texts: dict[str, Any]) -> None:
    for code in codes:
        grant_consent(profile=profile, text=texts[code], actor=profile.user)


def test_with_current_grants_needs_every_purpose(world: World, texts: dict[str, Any]) -> None:
    both = volunteer(world.charity)
    story_only = volunteer(world.charity)
    recording_only = volunteer(world.charity)
    neither = volunteer(world.charity)
    grant(both, "share-story", "recording", texts=texts)
    grant(story_only, "share-story", texts=texts)
    grant(recording_only, "recording", texts=texts)

    def holders(codes: list[str]) -> VolunteerProfileQuerySet:
        return VolunteerProfile.objects.with_current_grants(codes, university=world.university)

    assert pks(holders(["share-story", "recording"])) == [both.pk]
    assert pks(holders(["share-story"])) == sorted([both.pk, story_only.pk])
    assert pks(holders(["recording"])) == sorted([both.pk, recording_only.pk])
    assert pks(holders(["share-story", "recording", "photographs"])) == []
    assert neither.pk in pks(holders([]))


def test_with_current_grants_withdrawal_removes(
    world: World, texts: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    profile = volunteer(world.charity)
    grant(profile, "share-story", "recording", texts=texts)
    frozen.shift(60)
    withdraw_consent(profile=profile, purpose=texts["recording"].purpose, network=world.charity, actor=profile.user)

    assert (
        pks(VolunteerProfile.objects.with_current_grants(["share-story", "recording"], university=world.university))
        == []
    )
    assert pks(VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university)) == [
        profile.pk
    ]


def test_with_current_grants_old_version_does_not_count(world: World, texts: dict[str, Any]) -> None:
    profile = volunteer(world.charity)
    grant(profile, "share-story", "recording", texts=texts)
    newer = factories.ConsentTextFactory(
        purpose=texts["recording"].purpose, network=world.charity, organisations=[world.charity, world.university]
    )

    assert (
        pks(VolunteerProfile.objects.with_current_grants(["share-story", "recording"], university=world.university))
        == []
    )

    grant_consent(profile=profile, text=newer, actor=profile.user)

    assert pks(
        VolunteerProfile.objects.with_current_grants(["share-story", "recording"], university=world.university)
    ) == [profile.pk]


def test_with_current_grants_purpose_without_wording_matches_nobody(world: World, texts: dict[str, Any]) -> None:
    profile = volunteer(world.charity)
    grant(profile, "share-story", texts=texts)

    assert (
        pks(
            VolunteerProfile.objects.with_current_grants(
                ["share-story", "research-contact"], university=world.university
            )
        )
        == []
    )


def test_with_current_grants_recorded_on_paper_counts(world: World, texts: dict[str, Any]) -> None:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    grant_consent(profile=profile, text=texts["share-story"], actor=world.lead, method=ConsentRecord.Method.PAPER)

    assert pks(VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university)) == [
        profile.pk
    ]


def test_with_current_grants_combines_with_other_filters(world: World, texts: dict[str, Any]) -> None:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    paused = volunteer(world.charity, status=Status.PAUSED)
    grant(profile, "share-story", texts=texts)
    grant(paused, "share-story", texts=texts)

    found = VolunteerProfile.objects.findable_by(world.university).with_current_grants(
        ["share-story"], university=world.university
    )

    assert pks(found) == [profile.pk]


def test_with_current_grants_needs_wording_that_names_the_university(world: World, texts: dict[str, Any]) -> None:
    profile = volunteer(world.charity)
    grant(profile, "share-story", texts=texts)

    assert pks(VolunteerProfile.objects.with_current_grants(["share-story"], university=world.university)) == [
        profile.pk
    ]
    assert pks(VolunteerProfile.objects.with_current_grants(["share-story"], university=world.other_university)) == []


# in_network, active_in


def test_in_network_every_status_once(world: World) -> None:
    base = VolunteerProfile.objects.get(user=world.volunteer)
    profiles = {status: volunteer(world.charity, status=status) for status in Status.values}
    elsewhere = volunteer(world.other_charity)
    factories.NetworkMembershipFactory(volunteer=base, network=world.other_charity)

    expected = sorted([base.pk, *(profile.pk for profile in profiles.values())])
    assert pks(VolunteerProfile.objects.in_network(world.charity)) == expected
    assert pks(VolunteerProfile.objects.in_network(world.charity.pk)) == expected
    assert pks(VolunteerProfile.objects.in_network(world.other_charity)) == sorted([base.pk, elsewhere.pk])
    assert VolunteerProfile.objects.in_network(world.charity).count() == len(expected)


def test_active_in_only_active_members_of_those_networks(world: World) -> None:
    base = VolunteerProfile.objects.get(user=world.volunteer)
    for status in [Status.APPLICANT, Status.PAUSED, Status.LEFT, Status.DECLINED]:
        volunteer(world.charity, status=status)
    elsewhere = volunteer(world.other_charity)
    factories.NetworkMembershipFactory(volunteer=base, network=world.other_charity)

    assert pks(VolunteerProfile.objects.active_in([world.charity])) == [base.pk]
    assert pks(VolunteerProfile.objects.active_in([world.other_charity.pk])) == sorted([base.pk, elsewhere.pk])
    assert pks(VolunteerProfile.objects.active_in([world.charity, world.other_charity])) == sorted(
        [base.pk, elsewhere.pk]
    )
    assert pks(VolunteerProfile.objects.active_in([])) == []
    assert pks(VolunteerProfile.objects.active_in(Organisation.objects.filter(pk=world.charity.pk))) == [base.pk]


def test_membership_for_lead_only_their_networks(world: World) -> None:
    other = volunteer(world.other_charity)

    assert list(NetworkMembership.objects.for_lead(world.lead).values_list("volunteer__user", flat=True)) == [
        world.volunteer.pk
    ]
    assert list(NetworkMembership.objects.for_lead(world.other_lead).values_list("volunteer", flat=True)) == [other.pk]
    assert list(NetworkMembership.objects.for_lead(world.coordinator)) == []


# selectors.network_memberships


@pytest.fixture
def network(world: World, frozen: object) -> dict[str, Any]:
    """Charity A's volunteers, varied; Charity B has a look-alike to prove nothing leaks across."""
    charity = world.charity
    radio = factories.ExperienceTagFactory(network=charity, name="radiotherapy")
    secondary = factories.ExperienceTagFactory(network=charity, name="secondary breast cancer")
    base = NetworkMembership.objects.get(volunteer__user=world.volunteer, network=charity)
    base.volunteer.user.name = "Zed Zimmerman"
    base.volunteer.user.save()

    alice = volunteer(charity, "Alice Ashworth", perspective="carer", preferred_name="Ali")
    alice.user.email = "alice.ashworth@example.org"
    alice.user.save()
    alice.experience_tags.set([radio, secondary])
    factories.WeeklyAvailabilityFactory(volunteer=alice, weekday=TUESDAY, part_of_day="morning")

    bob = volunteer(charity, "Bob Brown", status=Status.PAUSED, perspective="service_user", preferred_name="Robbie")
    bob.experience_tags.set([radio])
    factories.WeeklyAvailabilityFactory(volunteer=bob, weekday=TUESDAY, part_of_day="evening")
    factories.WeeklyAvailabilityFactory(volunteer=bob, weekday=2, part_of_day="morning")

    cara = volunteer(charity, "Cara Ó Dálaigh", status=Status.APPLICANT, perspective="both")
    factories.WeeklyAvailabilityFactory(volunteer=cara, weekday=TUESDAY, part_of_day="morning")

    dan = volunteer(charity, "Dan Dawson", status=Status.LEFT, perspective="organisation")

    erased = volunteer(charity, "Alice Erased")
    erased.erased_at = NOW
    erased.save()

    twin = volunteer(world.other_charity, "Alice Ashworth", perspective="carer")
    factories.WeeklyAvailabilityFactory(volunteer=twin, weekday=TUESDAY, part_of_day="morning")

    def check(profile: VolunteerProfile, expires_in: int) -> None:
        membership = NetworkMembership.objects.get(volunteer=profile)
        factories.OnboardingCheckFactory(
            membership=membership,
            kind=OnboardingCheck.Kind.ROLE_CHECK,
            name="DBS check",
            completed_on=TODAY - 300 * DAY,
            expires_on=TODAY + expires_in * DAY,
        )

    check(alice, 10)
    check(alice, 30)
    check(bob, 31)
    check(cara, -1)
    check(dan, 0)
    check(twin, 5)
    return {
        "charity": charity,
        "radio": radio,
        "secondary": secondary,
        "names": {
            base.volunteer.pk: "Zed",
            alice.pk: "Alice",
            bob.pk: "Bob",
            cara.pk: "Cara",
            dan.pk: "Dan",
            erased.pk: "Erased",
            twin.pk: "Twin",
        },
    }


def names(network: dict[str, Any], filters: NetworkFilters) -> list[str]:
    return [network["names"][row.volunteer_id] for row in network_memberships(network["charity"], filters)]


def test_network_memberships_no_filter_lists_the_network_by_name(network: dict[str, Any]) -> None:
    assert names(network, NetworkFilters()) == ["Alice", "Bob", "Cara", "Dan", "Zed"]


def test_network_memberships_other_network_sees_only_its_own(world: World, network: dict[str, Any]) -> None:
    found = network_memberships(world.other_charity, NetworkFilters())

    assert [network["names"][row.volunteer_id] for row in found] == ["Twin"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("alice", ["Alice"]),  # name, any case; the erased Alice is gone
        ("ASHWORTH", ["Alice"]),
        ("ali", ["Alice"]),  # also the preferred name
        ("robbie", ["Bob"]),  # preferred name only
        ("alice.ashworth@", ["Alice"]),  # email
        ("Dálaigh", ["Cara"]),  # Unicode name
        ("example.org", ["Alice", "Bob", "Cara", "Dan", "Zed"]),
        ("nobody", []),
    ],
)
def test_network_memberships_search(network: dict[str, Any], search: str, expected: list[str]) -> None:
    assert names(network, NetworkFilters(search=search)) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.ACTIVE, ["Alice", "Zed"]),
        (Status.PAUSED, ["Bob"]),
        (Status.APPLICANT, ["Cara"]),
        (Status.LEFT, ["Dan"]),
        (Status.DECLINED, []),
    ],
)
def test_network_memberships_status(network: dict[str, Any], status: str, expected: list[str]) -> None:
    assert names(network, NetworkFilters(status=status)) == expected


@pytest.mark.parametrize(
    ("perspective", "expected"),
    [("carer", ["Alice"]), ("service_user", ["Bob", "Zed"]), ("both", ["Cara"]), ("organisation", ["Dan"])],
)
def test_network_memberships_perspective(network: dict[str, Any], perspective: str, expected: list[str]) -> None:
    assert names(network, NetworkFilters(perspective=perspective)) == expected


def test_network_memberships_tags_need_all_of_them(network: dict[str, Any]) -> None:
    radio, secondary = network["radio"].pk, network["secondary"].pk

    assert names(network, NetworkFilters(tag_ids=(radio,))) == ["Alice", "Bob"]
    assert names(network, NetworkFilters(tag_ids=(secondary,))) == ["Alice"]
    assert names(network, NetworkFilters(tag_ids=(radio, secondary))) == ["Alice"]


def test_network_memberships_availability(network: dict[str, Any]) -> None:
    assert names(network, NetworkFilters(weekday=TUESDAY)) == ["Alice", "Bob", "Cara"]
    assert names(network, NetworkFilters(part_of_day="morning")) == ["Alice", "Bob", "Cara"]
    assert names(network, NetworkFilters(weekday=TUESDAY, part_of_day="morning")) == ["Alice", "Cara"]
    # Bob is free on Tuesday evenings and Wednesday mornings, never on Tuesday morning.
    assert names(network, NetworkFilters(weekday=2, part_of_day="morning")) == ["Bob"]
    assert names(network, NetworkFilters(weekday=0)) == []


def test_network_memberships_weekday_monday_is_a_real_filter(network: dict[str, Any]) -> None:
    """Monday is weekday 0, which must not be mistaken for "no filter"."""
    assert names(network, NetworkFilters(weekday=0, part_of_day="morning")) == []


def test_network_memberships_paused(network: dict[str, Any]) -> None:
    assert names(network, NetworkFilters(paused=True)) == ["Bob"]
    assert names(network, NetworkFilters(paused=False)) == ["Alice", "Cara", "Dan", "Zed"]


def test_network_memberships_checks_expiring_within_30_days(network: dict[str, Any]) -> None:
    found = network_memberships(network["charity"], NetworkFilters(checks_expiring=True))

    assert [(network["names"][row.volunteer_id], row.expiring_checks) for row in found] == [("Alice", 2), ("Dan", 1)]


def test_network_memberships_annotates_expiring_checks(network: dict[str, Any]) -> None:
    found = network_memberships(network["charity"], NetworkFilters())

    assert [(network["names"][row.volunteer_id], row.expiring_checks) for row in found] == [
        ("Alice", 2),
        ("Bob", 0),
        ("Cara", 0),
        ("Dan", 1),
        ("Zed", 0),
    ]


def test_network_memberships_filters_combine(network: dict[str, Any]) -> None:
    filters = NetworkFilters(
        search="a",
        status=Status.ACTIVE,
        perspective="carer",
        tag_ids=(network["radio"].pk,),
        weekday=TUESDAY,
        part_of_day="morning",
        paused=False,
        checks_expiring=True,
    )

    assert names(network, filters) == ["Alice"]


def test_network_memberships_tags_do_not_duplicate_rows(network: dict[str, Any]) -> None:
    filters = NetworkFilters(tag_ids=(network["radio"].pk, network["secondary"].pk), weekday=TUESDAY)
    found = network_memberships(network["charity"], filters)

    assert found.count() == 1
    assert [(network["names"][row.volunteer_id], row.expiring_checks) for row in found] == [("Alice", 2)]
    assert network_memberships(network["charity"], NetworkFilters(tag_ids=(network["radio"].pk,))).count() == 2
