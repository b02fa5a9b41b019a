"""Consent: append-only grants and withdrawals, who may record them, versioned wording owned by
each network (only its admins publish it; it names only the network and its partners)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from accounts.models import Membership, Organisation, User
from involvement.models import ActivityLog
from tests import factories
from tests.conftest import World
from volunteers.models import ConsentPurpose, ConsentRecord, ConsentText, NetworkMembership, VolunteerProfile
from volunteers.selectors import consent_states, current_grant_counts, my_consents, needs_consent_review
from volunteers.services import (
    VolunteerError,
    current_text,
    grant_consent,
    publish_consent_text,
    withdraw_consent,
)

NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
Method = ConsentRecord.Method
Action = ConsentRecord.Action

STORY_CHANGED = (
    "The wording of “Share my story with students” has changed. Please read the current version before agreeing."
)
STORY_ALREADY = "Consent to “Share my story with students” is already given."
STORY_NOTHING = "Consent to “Share my story with students” is not given, so there is nothing to withdraw."
NOT_STAFF = "Only a lead or admin of the volunteer's network can record a paper or verbal consent."
ONLINE_ONLY_SELF = "Only the volunteer can give or withdraw consent online."


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def purposes(consent_purposes: list[ConsentPurpose]) -> dict[str, ConsentPurpose]:
    return {purpose.code: purpose for purpose in consent_purposes}


@pytest.fixture
def story(world: World, purposes: dict[str, ConsentPurpose]) -> ConsentText:
    """Charity A's version 1 of "Share my story with students", relied on by Charity A and University A."""
    return factories.ConsentTextFactory(
        purpose=purposes["share-story"],
        network=world.charity,
        text="I agree that my story may be shared with students.",
        organisations=[world.charity, world.university],
    )


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


@pytest.fixture
def charity_admin(world: World) -> User:
    return factories.staff(Membership.Role.ADMIN, world.charity, email="admin@charity-a.example.org")


def text_for(purpose: ConsentPurpose, network: Organisation, *others: Organisation) -> ConsentText:
    """A new version of ``network``'s wording of ``purpose``, naming ``network`` and ``others``."""
    return factories.ConsentTextFactory(purpose=purpose, network=network, organisations=[network, *others])


def records(profile: VolunteerProfile) -> list[tuple[str, str, int, str, int | None, str]]:
    """(purpose, action, version, method, recorded_by, note), oldest first."""
    return [
        (record.purpose.code, record.action, record.text.version, record.method, record.recorded_by_id, record.note)
        for record in ConsentRecord.objects.filter(volunteer=profile).order_by("created_at", "pk")
    ]


def logged(action: str) -> list[tuple[int | None, str, dict[str, Any]]]:
    return [(row.actor_id, row.object_id, row.data) for row in ActivityLog.objects.filter(action=action).order_by("pk")]


def lead_of(organisation: Organisation, email: str) -> User:
    return factories.staff(Membership.Role.LEAD, organisation, email=email)


# grant_consent


def test_grant_consent_online_appends_a_record(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: object
) -> None:
    record = grant_consent(profile=profile, text=story, actor=world.volunteer, note="  happy to help ")

    record.refresh_from_db()
    assert (
        record.volunteer,
        record.purpose.code,
        record.text,
        record.action,
        record.method,
        record.recorded_by,
        record.note,
        record.created_at,
    ) == (profile, "share-story", story, "granted", "online", None, "happy to help", NOW)
    assert logged("consent.granted") == [
        (
            world.volunteer.pk,
            str(record.pk),
            {
                "purpose": "share-story",
                "network": world.charity.pk,
                "version": 1,
                "method": "online",
                "volunteer": profile.pk,
            },
        )
    ]


def test_grant_consent_old_version_is_refused_and_records_nothing(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    text_for(story.purpose, world.charity)

    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=story, actor=world.volunteer)

    assert str(error.value) == STORY_CHANGED
    assert (ConsentRecord.objects.count(), ActivityLog.objects.count()) == (0, 0)


def test_grant_consent_tampered_version_id_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    """A form posted with an older version's id (as if edited in the browser) is refused."""
    text_for(story.purpose, world.charity)
    tampered = ConsentText.objects.get(purpose=story.purpose, version=1)

    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=tampered, actor=world.volunteer)

    assert str(error.value) == STORY_CHANGED
    assert records(profile) == []


def test_grant_consent_current_version_after_a_new_one(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    newer = text_for(story.purpose, world.charity)

    grant_consent(profile=profile, text=newer, actor=world.volunteer)

    assert records(profile) == [("share-story", "granted", 2, "online", None, "")]


def test_grant_consent_twice_is_refused(world: World, profile: VolunteerProfile, story: ConsentText) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=story, actor=world.volunteer)

    assert str(error.value) == STORY_ALREADY
    assert (len(records(profile)), len(logged("consent.granted"))) == (1, 1)


def test_grant_consent_after_withdrawal_is_accepted(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: time_machine.Traveller
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    frozen.shift(60)
    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)
    frozen.shift(60)

    grant_consent(profile=profile, text=story, actor=world.volunteer)

    assert [row[1] for row in records(profile)] == ["granted", "withdrawn", "granted"]


def test_grant_consent_is_per_purpose(
    world: World, profile: VolunteerProfile, story: ConsentText, purposes: dict[str, ConsentPurpose]
) -> None:
    health = text_for(purposes["health-information"], world.charity)
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    grant_consent(profile=profile, text=health, actor=world.volunteer)

    assert sorted(row[0] for row in records(profile)) == ["health-information", "share-story"]


# withdraw_consent


def test_withdraw_consent_appends_and_keeps_the_grant_unchanged(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: time_machine.Traveller
) -> None:
    grant = grant_consent(profile=profile, text=story, actor=world.volunteer, note="yes")
    grant_row = ConsentRecord.objects.filter(pk=grant.pk).values().get()
    frozen.shift(datetime.timedelta(days=10))

    withdrawal = withdraw_consent(
        profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer, note=" changed my mind "
    )

    assert ConsentRecord.objects.filter(pk=grant.pk).values().get() == grant_row
    withdrawal.refresh_from_db()
    assert (
        withdrawal.pk != grant.pk,
        withdrawal.action,
        withdrawal.text,
        withdrawal.method,
        withdrawal.recorded_by,
        withdrawal.note,
        withdrawal.created_at,
    ) == (True, "withdrawn", story, "online", None, "changed my mind", NOW + datetime.timedelta(days=10))
    assert records(profile) == [
        ("share-story", "granted", 1, "online", None, "yes"),
        ("share-story", "withdrawn", 1, "online", None, "changed my mind"),
    ]
    assert logged("consent.withdrawn") == [
        (
            world.volunteer.pk,
            str(withdrawal.pk),
            {
                "purpose": "share-story",
                "network": world.charity.pk,
                "version": 1,
                "method": "online",
                "volunteer": profile.pk,
            },
        )
    ]


def test_withdraw_consent_twice_is_refused(world: World, profile: VolunteerProfile, story: ConsentText) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)

    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)

    assert str(error.value) == STORY_NOTHING
    assert (len(records(profile)), len(logged("consent.withdrawn"))) == (2, 1)


def test_withdraw_consent_never_granted_is_refused(world: World, profile: VolunteerProfile, story: ConsentText) -> None:
    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)

    assert str(error.value) == STORY_NOTHING
    assert (records(profile), ActivityLog.objects.count()) == ([], 0)


def test_withdraw_consent_given_on_an_old_version_is_recorded_against_it(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    text_for(story.purpose, world.charity)

    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)

    assert records(profile)[-1] == ("share-story", "withdrawn", 1, "online", None, "")


# Paper and verbal consent recorded by staff


@pytest.mark.parametrize("method", [Method.PAPER, Method.VERBAL])
def test_grant_consent_on_paper_or_verbally_by_the_networks_lead(
    world: World, profile: VolunteerProfile, story: ConsentText, method: str
) -> None:
    record = grant_consent(profile=profile, text=story, actor=world.lead, method=method, note="Form dated 1 March")

    assert records(profile) == [("share-story", "granted", 1, method, world.lead.pk, "Form dated 1 March")]
    assert logged("consent.granted") == [
        (
            world.lead.pk,
            str(record.pk),
            {
                "purpose": "share-story",
                "network": world.charity.pk,
                "version": 1,
                "method": method,
                "volunteer": profile.pk,
            },
        )
    ]


def test_withdraw_consent_on_paper_by_the_networks_lead(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    withdraw_consent(
        profile=profile, purpose=story.purpose, network=world.charity, actor=world.lead, method=Method.PAPER
    )

    assert records(profile)[-1] == ("share-story", "withdrawn", 1, "paper", world.lead.pk, "")


def test_grant_consent_on_paper_by_an_admin_of_the_network(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    charity_admin = factories.staff(Membership.Role.ADMIN, world.charity, email="admin@charity-a.example.org")

    grant_consent(profile=profile, text=story, actor=charity_admin, method=Method.PAPER)

    assert records(profile) == [("share-story", "granted", 1, "paper", charity_admin.pk, "")]


@pytest.mark.parametrize("who", ["coordinator", "admin", "finance", "other_lead", "other_admin", "outsider"])
@pytest.mark.parametrize("method", [Method.PAPER, Method.VERBAL])
def test_grant_consent_on_paper_by_anyone_else_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText, who: str, method: str
) -> None:
    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=story, actor=getattr(world, who), method=method)

    assert str(error.value) == NOT_STAFF
    assert (records(profile), ActivityLog.objects.count()) == ([], 0)


def test_grant_consent_on_paper_by_the_volunteer_themself_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=story, actor=world.volunteer, method=Method.PAPER)

    assert str(error.value) == NOT_STAFF


@pytest.mark.parametrize("who", ["lead", "other_lead", "coordinator", "outsider"])
def test_grant_consent_online_on_someone_elses_behalf_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText, who: str
) -> None:
    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=story, actor=getattr(world, who), method=Method.ONLINE)

    assert str(error.value) == ONLINE_ONLY_SELF
    assert records(profile) == []


def test_withdraw_consent_online_on_someone_elses_behalf_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.lead)

    assert str(error.value) == ONLINE_ONLY_SELF
    assert [row[1] for row in records(profile)] == ["granted"]


def test_withdraw_consent_on_paper_by_another_networks_lead_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    with pytest.raises(VolunteerError) as error:
        withdraw_consent(
            profile=profile, purpose=story.purpose, network=world.charity, actor=world.other_lead, method=Method.PAPER
        )

    assert str(error.value) == NOT_STAFF
    assert [row[1] for row in records(profile)] == ["granted"]


@pytest.mark.parametrize("method", ["fax", "", "ONLINE"])
def test_grant_consent_unknown_method_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText, method: str
) -> None:
    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=story, actor=world.lead, method=method)

    assert str(error.value) == "Please choose how the consent was given."
    assert records(profile) == []


# publish_consent_text


def test_publish_consent_text_first_version(
    world: World, purposes: dict[str, ConsentPurpose], charity_admin: User, frozen: object
) -> None:
    purpose = purposes["recording"]

    text = publish_consent_text(
        purpose=purpose,
        network=world.charity,
        text="  I agree to be recorded on audio or video.  ",
        organisations=[world.charity, world.university],
        actor=charity_admin,
    )

    text.refresh_from_db()
    assert (text.purpose, text.network, text.version, text.text, text.published_by, text.published_at) == (
        purpose,
        world.charity,
        1,
        "I agree to be recorded on audio or video.",
        charity_admin,
        NOW,
    )
    assert sorted(text.organisations.values_list("name", flat=True)) == ["Charity A", "University A"]
    assert logged("consent.text_published") == [
        (charity_admin.pk, str(text.pk), {"purpose": "recording", "network": world.charity.pk, "version": 1})
    ]
    assert ActivityLog.objects.get(action="consent.text_published").organisation == world.charity
    assert current_text(purpose, world.charity) == text


def test_publish_consent_text_next_version(world: World, story: ConsentText, charity_admin: User) -> None:
    text = publish_consent_text(
        purpose=story.purpose,
        network=world.charity,
        text="New wording.",
        organisations=[world.university],
        actor=charity_admin,
    )

    assert (text.version, list(text.organisations.all()), current_text(story.purpose, world.charity)) == (
        2,
        [world.university],
        text,
    )
    assert list(story.organisations.order_by("name")) == [world.charity, world.university]
    assert (
        publish_consent_text(
            purpose=story.purpose,
            network=world.charity,
            text="Third.",
            organisations=[world.charity],
            actor=charity_admin,
        ).version
        == 3
    )


def test_publish_consent_text_versions_are_numbered_per_network(
    world: World, story: ConsentText, charity_admin: User
) -> None:
    other_admin = factories.staff(Membership.Role.ADMIN, world.other_charity, email="admin@charity-b.example.org")

    theirs = publish_consent_text(
        purpose=story.purpose,
        network=world.other_charity,
        text="Charity B's own wording.",
        organisations=[world.other_charity, world.other_university],
        actor=other_admin,
    )

    assert (theirs.network, theirs.version) == (world.other_charity, 1)
    assert (current_text(story.purpose, world.charity), current_text(story.purpose, world.other_charity)) == (
        story,
        theirs,
    )


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_publish_consent_text_empty_is_refused(
    world: World, purposes: dict[str, ConsentPurpose], charity_admin: User, text: str
) -> None:
    with pytest.raises(VolunteerError) as error:
        publish_consent_text(
            purpose=purposes["photographs"],
            network=world.charity,
            text=text,
            organisations=[world.charity],
            actor=charity_admin,
        )

    assert (str(error.value), error.value.field) == ("Please write the text volunteers will agree to.", "text")
    assert (ConsentText.objects.count(), ActivityLog.objects.count()) == (0, 0)


def test_publish_consent_text_without_organisations_is_refused(
    world: World, purposes: dict[str, ConsentPurpose], charity_admin: User
) -> None:
    with pytest.raises(VolunteerError) as error:
        publish_consent_text(
            purpose=purposes["photographs"],
            network=world.charity,
            text="Photos may be taken.",
            organisations=iter([]),
            actor=charity_admin,
        )

    assert str(error.value) == "Please name at least one organisation that relies on this consent."
    assert (ConsentText.objects.count(), ActivityLog.objects.count()) == (0, 0)


def test_publish_consent_text_accepts_a_queryset_of_organisations(
    world: World, purposes: dict[str, ConsentPurpose], charity_admin: User
) -> None:
    text = publish_consent_text(
        purpose=purposes["photographs"],
        network=world.charity,
        text="Photos may be taken.",
        organisations=Organisation.objects.filter(slug__in=["charity-a", "university-a"]),
        actor=charity_admin,
    )

    assert sorted(text.organisations.values_list("name", flat=True)) == ["Charity A", "University A"]


NOT_PARTNERS = "Only Charity A and the universities in partnership with it can rely on its consent."


@pytest.mark.parametrize(
    "named",
    [
        ["other_university"],
        ["other_charity"],
        ["charity", "other_university"],
        ["ended_partner"],
        ["future_partner"],
    ],
)
def test_publish_consent_text_names_only_the_network_and_its_active_partners(
    world: World, story: ConsentText, charity_admin: User, named: list[str]
) -> None:
    """University B was never a partner; Charity B is another network; a partnership that has
    ended, or not yet begun, does not count."""
    ended = factories.UniversityFactory(name="Ended University", slug="ended")
    factories.PartnershipFactory(
        network=world.charity, university=ended, starts_on=datetime.date(2020, 1, 1), ends_on=datetime.date(2021, 1, 1)
    )
    future = factories.UniversityFactory(name="Future University", slug="future")
    factories.PartnershipFactory(network=world.charity, university=future, starts_on=datetime.date(2099, 1, 1))
    organisations = {**vars(world), "ended_partner": ended, "future_partner": future}
    before = sorted(ConsentText.objects.values_list("network__slug", "version"))

    with pytest.raises(VolunteerError) as error:
        publish_consent_text(
            purpose=story.purpose,
            network=world.charity,
            text="Wider sharing.",
            organisations=[organisations[name] for name in named],
            actor=charity_admin,
        )

    assert (str(error.value), error.value.field) == (NOT_PARTNERS, "organisations")
    assert (sorted(ConsentText.objects.values_list("network__slug", "version")), logged("consent.text_published")) == (
        before,
        [],
    )


@pytest.mark.parametrize("who", ["admin", "other_admin", "lead", "coordinator", "volunteer", "charity_b_admin"])
def test_publish_consent_text_by_anyone_but_the_networks_admin_is_refused_and_grants_stay(
    world: World, profile: VolunteerProfile, story: ConsentText, who: str
) -> None:
    """The defect this fixes: any organisation's admin could publish a shared purpose's wording,
    voiding every volunteer's current consent. A university admin without a pool (``admin``), the
    other university's admin, another charity's admin, even the network's own lead: refused."""
    actors = {
        **vars(world),
        "charity_b_admin": factories.staff(Membership.Role.ADMIN, world.other_charity, email="admin@b-charity.org"),
    }
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    counts_before = current_grant_counts(world.charity)

    with pytest.raises(VolunteerError) as error:
        publish_consent_text(
            purpose=story.purpose,
            network=world.charity,
            text="Only we rely on this now.",
            organisations=[world.charity],
            actor=actors[who],
        )

    assert str(error.value) == "Only an admin of Charity A can publish its consent wording."
    assert current_grant_counts(world.charity) == counts_before == {story.purpose.pk: 1}
    assert (list(ConsentText.objects.all()), needs_consent_review(profile)) == ([story], False)


# After a new version: asked again


def state_for(profile: VolunteerProfile, code: str, network: Organisation) -> tuple[bool, bool, int | None, int]:
    """(is_granted, needs_renewal, current version, history length) for one purpose of ``network``."""
    state = next(state for state in consent_states(profile, network) if state.purpose.code == code)
    return (
        state.is_granted,
        state.needs_renewal,
        state.current_text.version if state.current_text else None,
        len(state.history),
    )


def current_holders(*codes: str, university: Organisation) -> list[VolunteerProfile]:
    return list(VolunteerProfile.objects.with_current_grants(codes, university=university).order_by("pk"))


def test_new_version_asks_again(
    world: World, profile: VolunteerProfile, story: ConsentText, charity_admin: User
) -> None:
    def now() -> tuple[Any, ...]:
        return (
            state_for(profile, "share-story", world.charity),
            needs_consent_review(profile),
            current_holders("share-story", university=world.university),
        )

    grant_consent(profile=profile, text=story, actor=world.volunteer)
    assert now() == ((True, False, 1, 1), False, [profile])

    newer = publish_consent_text(
        purpose=story.purpose,
        network=world.charity,
        text="Wider sharing.",
        organisations=[world.charity, world.university],
        actor=charity_admin,
    )

    assert now() == ((False, True, 2, 1), True, [])

    grant_consent(profile=profile, text=newer, actor=world.volunteer)

    assert now() == ((True, False, 2, 2), False, [profile])


def test_publishing_asks_again_only_that_networks_volunteers(
    world: World, profile: VolunteerProfile, story: ConsentText, charity_admin: User
) -> None:
    theirs = text_for(story.purpose, world.other_charity, world.other_university)
    elsewhere = factories.NetworkMembershipFactory(network=world.other_charity).volunteer
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    grant_consent(profile=elsewhere, text=theirs, actor=elsewhere.user)
    other_counts = current_grant_counts(world.other_charity)

    publish_consent_text(
        purpose=story.purpose,
        network=world.charity,
        text="Wider sharing.",
        organisations=[world.charity],
        actor=charity_admin,
    )

    assert (needs_consent_review(profile), needs_consent_review(elsewhere)) == (True, False)
    assert (current_grant_counts(world.charity), current_grant_counts(world.other_charity)) == (
        {},
        other_counts,
    )
    assert other_counts == {story.purpose.pk: 1}
    assert current_holders("share-story", university=world.other_university) == [elsewhere]


def test_new_version_after_withdrawal_needs_no_review(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: time_machine.Traveller
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    frozen.shift(60)
    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)
    text_for(story.purpose, world.charity)

    assert (state_for(profile, "share-story", world.charity), needs_consent_review(profile)) == (
        (False, False, 2, 2),
        False,
    )


def test_new_version_of_one_purpose_leaves_others_current(
    world: World, profile: VolunteerProfile, story: ConsentText, purposes: dict[str, ConsentPurpose]
) -> None:
    recording = text_for(purposes["recording"], world.charity, world.university)
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    grant_consent(profile=profile, text=recording, actor=world.volunteer)

    text_for(purposes["recording"], world.charity, world.university)

    assert (state_for(profile, "share-story", world.charity), state_for(profile, "recording", world.charity)) == (
        (True, False, 1, 1),
        (False, True, 2, 1),
    )
    university = world.university
    assert (
        current_holders("share-story", university=university),
        current_holders("recording", university=university),
        current_holders("share-story", "recording", university=university),
    ) == ([profile], [], [])


def test_consent_states_lists_the_networks_purposes_with_wording_in_order(
    world: World, profile: VolunteerProfile, purposes: dict[str, ConsentPurpose]
) -> None:
    for code in ["research-contact", "health-information", "share-story"]:
        text_for(purposes[code], world.charity)
    text_for(purposes["photographs"], world.other_charity)

    states = consent_states(profile, world.charity)

    assert [(state.purpose.code, state.network, state.latest, state.history) for state in states] == [
        ("health-information", world.charity, None, []),
        ("share-story", world.charity, None, []),
        ("research-contact", world.charity, None, []),
    ]


def test_consent_states_history_newest_first(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: time_machine.Traveller
) -> None:
    first = grant_consent(profile=profile, text=story, actor=world.volunteer)
    frozen.shift(60)
    second = withdraw_consent(
        profile=profile, purpose=story.purpose, network=world.charity, actor=world.lead, method=Method.VERBAL
    )
    frozen.shift(60)
    third = grant_consent(profile=profile, text=story, actor=world.volunteer)
    other = factories.NetworkMembershipFactory(network=world.charity).volunteer
    grant_consent(profile=other, text=story, actor=other.user)

    [state] = consent_states(profile, world.charity)

    assert (state.latest, state.history, state.is_granted) == (third, [third, second, first], True)


def test_consent_states_query_count_does_not_grow(
    world: World,
    profile: VolunteerProfile,
    purposes: dict[str, ConsentPurpose],
    django_assert_num_queries: Any,
) -> None:
    for code in ["share-story", "recording"]:
        grant_consent(profile=profile, text=text_for(purposes[code], world.charity), actor=world.volunteer)
    with django_assert_num_queries(3):
        consent_states(profile, world.charity)

    for code in ["photographs", "quotes-teaching", "quotes-publications"]:
        grant_consent(
            profile=profile, text=text_for(purposes[code], world.charity, world.university), actor=world.volunteer
        )
    with django_assert_num_queries(3):
        consent_states(profile, world.charity)


# A volunteer in two networks answers each separately


@pytest.fixture
def in_both(world: World, profile: VolunteerProfile) -> VolunteerProfile:
    """The volunteer also belongs to Charity B (an applicant there)."""
    factories.NetworkMembershipFactory(
        volunteer=profile, network=world.other_charity, status=NetworkMembership.Status.APPLICANT
    )
    return profile


def test_my_consents_has_a_section_per_network_they_belong_to(
    world: World, in_both: VolunteerProfile, story: ConsentText, django_assert_num_queries: Any
) -> None:
    theirs = text_for(story.purpose, world.other_charity, world.other_university)
    left = factories.CharityFactory(name="Charity Left", slug="charity-left")
    factories.NetworkMembershipFactory(volunteer=in_both, network=left, status=NetworkMembership.Status.LEFT)
    text_for(story.purpose, left)
    grant_consent(profile=in_both, text=story, actor=world.volunteer)

    with django_assert_num_queries(4):
        sections = my_consents(in_both)

    assert [
        (
            section.network.name,
            [(state.current_text, state.is_granted, len(state.history)) for state in section.states],
        )
        for section in sections
    ] == [("Charity A", [(story, True, 1)]), ("Charity B", [(theirs, False, 0)])]


def test_grant_to_one_network_is_not_a_grant_to_another(
    world: World, in_both: VolunteerProfile, story: ConsentText
) -> None:
    theirs = text_for(story.purpose, world.other_charity, world.university)
    grant_consent(profile=in_both, text=theirs, actor=world.volunteer)

    assert [(state.network.name, state.is_granted) for state in consent_states(in_both, world.charity)] == [
        ("Charity A", False)
    ]
    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=in_both, purpose=story.purpose, network=world.charity, actor=world.volunteer)
    assert str(error.value) == STORY_NOTHING

    withdraw_consent(profile=in_both, purpose=story.purpose, network=world.other_charity, actor=world.volunteer)

    assert records(in_both) == [
        ("share-story", "granted", 1, "online", None, ""),
        ("share-story", "withdrawn", 1, "online", None, ""),
    ]
    assert list(ConsentRecord.objects.order_by().values_list("text__network__slug", flat=True).distinct()) == [
        "charity-b"
    ]


def test_grant_of_another_networks_wording_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    theirs = text_for(story.purpose, world.other_charity)

    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=theirs, actor=world.volunteer)

    assert str(error.value) == "This wording belongs to Charity B: only its volunteers can agree to it."
    assert (records(profile), ActivityLog.objects.count()) == ([], 0)


def test_grant_after_leaving_the_network_is_refused_but_withdrawal_is_not(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    NetworkMembership.objects.filter(volunteer=profile).update(status=NetworkMembership.Status.LEFT)
    newer = text_for(story.purpose, world.charity)

    with pytest.raises(VolunteerError) as error:
        grant_consent(profile=profile, text=newer, actor=world.volunteer)
    withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)

    assert str(error.value) == "This wording belongs to Charity A: only its volunteers can agree to it."
    assert [row[1] for row in records(profile)] == ["granted", "withdrawn"]


def test_needs_consent_review_looks_at_every_network_they_belong_to(
    world: World, in_both: VolunteerProfile, story: ConsentText
) -> None:
    theirs = text_for(story.purpose, world.other_charity)
    grant_consent(profile=in_both, text=story, actor=world.volunteer)
    grant_consent(profile=in_both, text=theirs, actor=world.volunteer)
    assert needs_consent_review(in_both) is False

    text_for(story.purpose, world.other_charity)

    assert (needs_consent_review(in_both), [s.needs_renewal for s in consent_states(in_both, world.charity)]) == (
        True,
        [False],
    )
    NetworkMembership.objects.filter(network=world.other_charity).update(status=NetworkMembership.Status.LEFT)
    assert needs_consent_review(in_both) is False


# Current grants: what matching and accepting rely on


def test_with_current_grants_needs_wording_naming_the_university(
    world: World, profile: VolunteerProfile, purposes: dict[str, ConsentPurpose]
) -> None:
    """Consent covers only the organisations named: a grant of wording that does not name the
    session's university does not count for it."""
    charity_only = text_for(purposes["share-story"], world.charity)
    grant_consent(profile=profile, text=charity_only, actor=world.volunteer)

    assert current_holders("share-story", university=world.university) == []
    assert current_holders("share-story", university=world.charity) == [profile]

    naming = text_for(purposes["share-story"], world.charity, world.university)
    grant_consent(profile=profile, text=naming, actor=world.volunteer)

    assert current_holders("share-story", university=world.university) == [profile]
    assert current_holders("share-story", university=world.other_university) == []


def test_with_current_grants_counts_a_grant_from_any_of_their_networks(
    world: World, in_both: VolunteerProfile, story: ConsentText, purposes: dict[str, ConsentPurpose]
) -> None:
    recording = text_for(purposes["recording"], world.other_charity, world.university)
    grant_consent(profile=in_both, text=story, actor=world.volunteer)
    grant_consent(profile=in_both, text=recording, actor=world.volunteer)

    assert current_holders("share-story", "recording", university=world.university) == [in_both]
    assert current_holders("recording", university=world.other_university) == []


def test_current_grant_counts_counts_the_networks_own_volunteers_in_one_query(
    world: World,
    profile: VolunteerProfile,
    story: ConsentText,
    purposes: dict[str, ConsentPurpose],
    django_assert_num_queries: Any,
) -> None:
    recording = text_for(purposes["recording"], world.charity)
    old_story = factories.NetworkMembershipFactory(network=world.charity).volunteer
    withdrew = factories.NetworkMembershipFactory(network=world.charity).volunteer
    erased = factories.NetworkMembershipFactory(network=world.charity).volunteer
    left = factories.NetworkMembershipFactory(network=world.charity).volunteer
    for person in (old_story, withdrew, erased, left):
        grant_consent(profile=person, text=story, actor=person.user)
    NetworkMembership.objects.filter(volunteer=left).update(status=NetworkMembership.Status.LEFT)
    grant_consent(profile=profile, text=recording, actor=world.volunteer)
    withdraw_consent(profile=withdrew, purpose=story.purpose, network=world.charity, actor=withdrew.user)
    VolunteerProfile.objects.filter(pk=erased.pk).update(erased_at=NOW)
    newer = text_for(story.purpose, world.charity)
    grant_consent(profile=profile, text=newer, actor=world.volunteer)

    with django_assert_num_queries(1):
        counts = current_grant_counts(world.charity)

    assert counts == {story.purpose.pk: 1, recording.purpose.pk: 1}
    assert current_grant_counts(world.other_charity) == {}


# ConsentRecord.objects.latest_answers


def test_latest_answers_picks_each_volunteers_current_answer_per_network(
    world: World,
    profile: VolunteerProfile,
    story: ConsentText,
    purposes: dict[str, ConsentPurpose],
    frozen: time_machine.Traveller,
) -> None:
    recording = text_for(purposes["recording"], world.charity)
    other = factories.NetworkMembershipFactory(network=world.charity).volunteer
    factories.NetworkMembershipFactory(volunteer=profile, network=world.other_charity)
    theirs = text_for(story.purpose, world.other_charity)
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    grant_consent(profile=profile, text=recording, actor=world.volunteer)
    grant_consent(profile=other, text=story, actor=other.user)
    frozen.shift(60)
    story_withdrawn = withdraw_consent(
        profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer
    )
    frozen.shift(60)
    theirs_granted = grant_consent(profile=profile, text=theirs, actor=world.volunteer)
    recording_latest = ConsentRecord.objects.get(volunteer=profile, purpose=recording.purpose)
    other_latest = ConsentRecord.objects.get(volunteer=other)

    latest = ConsentRecord.objects.latest_answers()

    assert sorted(latest.values_list("pk", flat=True)) == sorted(
        [story_withdrawn.pk, recording_latest.pk, other_latest.pk, theirs_granted.pk]
    )
    assert sorted(ConsentRecord.objects.current_grants().values_list("pk", flat=True)) == sorted(
        [recording_latest.pk, other_latest.pk, theirs_granted.pk]
    )


def test_latest_answers_same_instant_the_later_row_wins(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: object
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    withdrawal = withdraw_consent(profile=profile, purpose=story.purpose, network=world.charity, actor=world.volunteer)
    again = grant_consent(profile=profile, text=story, actor=world.volunteer)

    assert list(ConsentRecord.objects.latest_answers().values_list("pk", flat=True)) == [again.pk]
    assert withdrawal.created_at == again.created_at
    assert current_holders("share-story", university=world.university) == [profile]
