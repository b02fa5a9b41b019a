"""Consent: append-only grants and withdrawals, who may record them, versioned wording."""

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
from volunteers.models import ConsentPurpose, ConsentRecord, ConsentText, VolunteerProfile
from volunteers.selectors import consent_states, needs_consent_review
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
    """Version 1 of "Share my story with students", relied on by Charity A and University A."""
    return factories.ConsentTextFactory(
        purpose=purposes["share-story"],
        text="I agree that my story may be shared with students.",
        organisations=[world.charity, world.university],
    )


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


def text_for(purpose: ConsentPurpose, *organisations: Organisation) -> ConsentText:
    return factories.ConsentTextFactory(purpose=purpose, organisations=list(organisations))


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
            {"purpose": "share-story", "version": 1, "method": "online", "volunteer": profile.pk},
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
    withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)
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
        profile=profile, purpose=story.purpose, actor=world.volunteer, note=" changed my mind "
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
            {"purpose": "share-story", "version": 1, "method": "online", "volunteer": profile.pk},
        )
    ]


def test_withdraw_consent_twice_is_refused(world: World, profile: VolunteerProfile, story: ConsentText) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)

    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)

    assert str(error.value) == STORY_NOTHING
    assert (len(records(profile)), len(logged("consent.withdrawn"))) == (2, 1)


def test_withdraw_consent_never_granted_is_refused(world: World, profile: VolunteerProfile, story: ConsentText) -> None:
    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)

    assert str(error.value) == STORY_NOTHING
    assert (records(profile), ActivityLog.objects.count()) == ([], 0)


def test_withdraw_consent_given_on_an_old_version_is_recorded_against_it(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    text_for(story.purpose, world.charity)

    withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)

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
            {"purpose": "share-story", "version": 1, "method": method, "volunteer": profile.pk},
        )
    ]


def test_withdraw_consent_on_paper_by_the_networks_lead(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    withdraw_consent(profile=profile, purpose=story.purpose, actor=world.lead, method=Method.PAPER)

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
        withdraw_consent(profile=profile, purpose=story.purpose, actor=world.lead)

    assert str(error.value) == ONLINE_ONLY_SELF
    assert [row[1] for row in records(profile)] == ["granted"]


def test_withdraw_consent_on_paper_by_another_networks_lead_is_refused(
    world: World, profile: VolunteerProfile, story: ConsentText
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)

    with pytest.raises(VolunteerError) as error:
        withdraw_consent(profile=profile, purpose=story.purpose, actor=world.other_lead, method=Method.PAPER)

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


def test_publish_consent_text_first_version(world: World, purposes: dict[str, ConsentPurpose], frozen: object) -> None:
    purpose = purposes["recording"]

    text = publish_consent_text(
        purpose=purpose,
        text="  I agree to be recorded on audio or video.  ",
        organisations=[world.charity, world.university],
        actor=world.admin,
    )

    text.refresh_from_db()
    assert (text.purpose, text.version, text.text, text.published_by, text.published_at) == (
        purpose,
        1,
        "I agree to be recorded on audio or video.",
        world.admin,
        NOW,
    )
    assert sorted(text.organisations.values_list("name", flat=True)) == ["Charity A", "University A"]
    assert logged("consent.text_published") == [(world.admin.pk, str(text.pk), {"purpose": "recording", "version": 1})]
    assert current_text(purpose) == text


def test_publish_consent_text_next_version(world: World, story: ConsentText) -> None:
    text = publish_consent_text(
        purpose=story.purpose, text="New wording.", organisations=[world.other_university], actor=world.admin
    )

    assert (text.version, list(text.organisations.all()), current_text(story.purpose)) == (
        2,
        [world.other_university],
        text,
    )
    assert list(story.organisations.order_by("name")) == [world.charity, world.university]
    assert (
        publish_consent_text(
            purpose=story.purpose, text="Third.", organisations=[world.charity], actor=world.admin
        ).version
        == 3
    )


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_publish_consent_text_empty_is_refused(world: World, purposes: dict[str, ConsentPurpose], text: str) -> None:
    with pytest.raises(VolunteerError) as error:
        publish_consent_text(
            purpose=purposes["photographs"], text=text, organisations=[world.charity], actor=world.admin
        )

    assert str(error.value) == "Please write the text volunteers will agree to."
    assert (ConsentText.objects.count(), ActivityLog.objects.count()) == (0, 0)


def test_publish_consent_text_without_organisations_is_refused(
    world: World, purposes: dict[str, ConsentPurpose]
) -> None:
    with pytest.raises(VolunteerError) as error:
        publish_consent_text(
            purpose=purposes["photographs"], text="Photos may be taken.", organisations=iter([]), actor=world.admin
        )

    assert str(error.value) == "Please name at least one organisation that relies on this consent."
    assert (ConsentText.objects.count(), ActivityLog.objects.count()) == (0, 0)


def test_publish_consent_text_accepts_a_queryset_of_organisations(
    world: World, purposes: dict[str, ConsentPurpose]
) -> None:
    text = publish_consent_text(
        purpose=purposes["photographs"],
        text="Photos may be taken.",
        organisations=Organisation.objects.filter(kind=Organisation.Kind.CHARITY),
        actor=world.admin,
    )

    assert sorted(text.organisations.values_list("name", flat=True)) == ["Charity A", "Charity B"]


# After a new version: asked again


def state_for(profile: VolunteerProfile, code: str) -> tuple[bool, bool, int | None, int]:
    """(is_granted, needs_renewal, current version, history length) for one purpose."""
    state = next(state for state in consent_states(profile) if state.purpose.code == code)
    return (
        state.is_granted,
        state.needs_renewal,
        state.current_text.version if state.current_text else None,
        len(state.history),
    )


def current_holders(*codes: str) -> list[VolunteerProfile]:
    return list(VolunteerProfile.objects.with_current_grants(codes).order_by("pk"))


def test_new_version_asks_again(world: World, profile: VolunteerProfile, story: ConsentText) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    assert (state_for(profile, "share-story"), needs_consent_review(profile), current_holders("share-story")) == (
        (True, False, 1, 1),
        False,
        [profile],
    )

    newer = publish_consent_text(
        purpose=story.purpose, text="Wider sharing.", organisations=[world.charity], actor=world.admin
    )

    assert (state_for(profile, "share-story"), needs_consent_review(profile), current_holders("share-story")) == (
        (False, True, 2, 1),
        True,
        [],
    )

    grant_consent(profile=profile, text=newer, actor=world.volunteer)

    assert (state_for(profile, "share-story"), needs_consent_review(profile), current_holders("share-story")) == (
        (True, False, 2, 2),
        False,
        [profile],
    )


def test_new_version_after_withdrawal_needs_no_review(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: time_machine.Traveller
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    frozen.shift(60)
    withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)
    text_for(story.purpose, world.charity)

    assert (state_for(profile, "share-story"), needs_consent_review(profile)) == ((False, False, 2, 2), False)


def test_new_version_of_one_purpose_leaves_others_current(
    world: World, profile: VolunteerProfile, story: ConsentText, purposes: dict[str, ConsentPurpose]
) -> None:
    recording = text_for(purposes["recording"], world.charity)
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    grant_consent(profile=profile, text=recording, actor=world.volunteer)

    text_for(purposes["recording"], world.charity)

    assert (state_for(profile, "share-story"), state_for(profile, "recording")) == (
        (True, False, 1, 1),
        (False, True, 2, 1),
    )
    assert (
        current_holders("share-story"),
        current_holders("recording"),
        current_holders("share-story", "recording"),
    ) == (
        [profile],
        [],
        [],
    )


def test_consent_states_lists_purposes_with_wording_in_order(
    world: World, profile: VolunteerProfile, purposes: dict[str, ConsentPurpose]
) -> None:
    for code in ["research-contact", "health-information", "share-story"]:
        text_for(purposes[code], world.charity)

    states = consent_states(profile)

    assert [(state.purpose.code, state.latest, state.history) for state in states] == [
        ("health-information", None, []),
        ("share-story", None, []),
        ("research-contact", None, []),
    ]


def test_consent_states_history_newest_first(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: time_machine.Traveller
) -> None:
    first = grant_consent(profile=profile, text=story, actor=world.volunteer)
    frozen.shift(60)
    second = withdraw_consent(profile=profile, purpose=story.purpose, actor=world.lead, method=Method.VERBAL)
    frozen.shift(60)
    third = grant_consent(profile=profile, text=story, actor=world.volunteer)
    other = factories.NetworkMembershipFactory(network=world.charity).volunteer
    grant_consent(profile=other, text=story, actor=other.user)

    [state] = consent_states(profile)

    assert (state.latest, state.history, state.is_granted) == (third, [third, second, first], True)


def test_consent_states_query_count_does_not_grow(
    world: World,
    profile: VolunteerProfile,
    purposes: dict[str, ConsentPurpose],
    django_assert_num_queries: Any,
) -> None:
    for code in ["share-story", "recording"]:
        grant_consent(profile=profile, text=text_for(purposes[code], world.charity), actor=world.volunteer)
    with django_assert_num_queries(4):
        consent_states(profile)

    for code in ["photographs", "quotes-teaching", "quotes-publications"]:
        grant_consent(
            profile=profile, text=text_for(purposes[code], world.charity, world.university), actor=world.volunteer
        )
    with django_assert_num_queries(4):
        consent_states(profile)


# ConsentRecord.objects.latest_per_purpose


def test_latest_per_purpose_picks_each_volunteers_current_answer(
    world: World,
    profile: VolunteerProfile,
    story: ConsentText,
    purposes: dict[str, ConsentPurpose],
    frozen: time_machine.Traveller,
) -> None:
    recording = text_for(purposes["recording"], world.charity)
    other = factories.NetworkMembershipFactory(network=world.charity).volunteer
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    grant_consent(profile=profile, text=recording, actor=world.volunteer)
    grant_consent(profile=other, text=story, actor=other.user)
    frozen.shift(60)
    story_withdrawn = withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)
    recording_latest = ConsentRecord.objects.get(volunteer=profile, purpose=recording.purpose)
    other_latest = ConsentRecord.objects.get(volunteer=other)

    latest = ConsentRecord.objects.latest_per_purpose()

    assert sorted(latest.values_list("pk", flat=True)) == sorted(
        [story_withdrawn.pk, recording_latest.pk, other_latest.pk]
    )
    assert list(latest.filter(volunteer=profile, purpose=story.purpose).values_list("action", flat=True)) == [
        "withdrawn"
    ]


def test_latest_per_purpose_same_instant_the_later_row_wins(
    world: World, profile: VolunteerProfile, story: ConsentText, frozen: object
) -> None:
    grant_consent(profile=profile, text=story, actor=world.volunteer)
    withdrawal = withdraw_consent(profile=profile, purpose=story.purpose, actor=world.volunteer)
    again = grant_consent(profile=profile, text=story, actor=world.volunteer)

    assert list(ConsentRecord.objects.latest_per_purpose().values_list("pk", flat=True)) == [again.pk]
    assert withdrawal.created_at == again.created_at
    assert current_holders("share-story") == [profile]
