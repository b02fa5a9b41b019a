"""The demo volunteers (``manage.py seed_demo``, volunteers/demo.py)."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, DemoWorld
from accounts.models import Membership, Organisation, User
from volunteers.demo import seed_volunteers
from volunteers.models import (
    ConsentRecord,
    ConsentText,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.selectors import consent_states, current_grant_counts, my_consents, needs_consent_review
from volunteers.services import missing_onboarding

BCV = "breast-cancer-voices"
CC = "carers-circle"
UNIS = ["northbridge", "southgate"]
# Each charity's wording names only itself and the university it is partnered with.
NAMED = {
    BCV: (["University of Northbridge"], ["Breast Cancer Voices", "University of Northbridge"]),
    CC: (["Southgate University"], ["Carers' Circle", "Southgate University"]),
}


@pytest.fixture
def seeded(db: None, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", verbosity=0)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            EmailAddress,
            VolunteerProfile,
            NetworkMembership,
            ExperienceTag,
            WeeklyAvailability,
            TimeAway,
            OnboardingCheck,
            ConsentText,
            ConsentRecord,
        )
    }


def sian() -> VolunteerProfile:
    return VolunteerProfile.objects.get(user__email="volunteer@example.org")


def test_demo_volunteers_by_network_and_status(seeded: None) -> None:
    by_status = (
        NetworkMembership.objects.values_list("network__slug", "status")
        .annotate(people=Count("pk"))
        .order_by("network__slug", "status")
    )

    assert VolunteerProfile.objects.count() == 41
    assert list(by_status) == [
        (BCV, "active", 19),
        (BCV, "applicant", 3),
        (BCV, "paused", 1),
        (CC, "active", 17),
        (CC, "applicant", 1),
        (CC, "left", 1),
    ]
    assert list(
        NetworkMembership.objects.filter(volunteer__user__email="dafydd.apgwilym@example.org")
        .order_by("network__slug")
        .values_list("network__slug", "status")
    ) == [(BCV, "active"), (CC, "active")]


def test_demo_volunteer_accounts_are_verified_with_the_demo_password(seeded: None) -> None:
    volunteers = User.objects.filter(volunteer_profile__isnull=False)

    assert volunteers.count() == 41
    assert [user.check_password(DEMO_PASSWORD) for user in volunteers] == [True] * 41
    assert list(
        EmailAddress.objects.filter(user__in=volunteers).order_by().values_list("verified", "primary").distinct()
    ) == [(True, True)]
    assert sorted(EmailAddress.objects.filter(user__in=volunteers).values_list("email", flat=True)) == sorted(
        volunteers.values_list("email", flat=True)
    )


def test_demo_names_are_unicode_and_intact(seeded: None) -> None:
    names = set(User.objects.values_list("name", flat=True))

    assert {
        "Siân O'Brien",
        "Dafydd ap Gwilym",
        "Niamh Ó Briain",
        "Małgorzata Kowalczyk",
        "Oluwaseun Adebayo",
        "Aoife Ní Bhriain",
        "Rhys Llewellyn",
        "Priyanka Patel",
        "Chen Wei 陈伟",
    } <= names
    assert len(names) == User.objects.count()


def test_demo_applicants_wait_with_their_statements(seeded: None) -> None:
    applicants = NetworkMembership.objects.filter(status="applicant").select_related("volunteer__user")

    assert sorted(
        (m.volunteer.user.name, m.network.slug, m.heard_about, len(m.statement) >= 20, missing_onboarding(m))
        for m in applicants
    ) == [
        ("Beatriz Gonçalves", BCV, "social_media", True, ["confidentiality agreement"]),
        ("Jo Whitfield", BCV, "hospital", True, []),
        ("José María García", BCV, "friend", True, ["induction", "confidentiality agreement"]),
        ("Pilar Muñoz", CC, "charity", True, ["induction", "confidentiality agreement"]),
    ]
    assert (
        list(ConsentRecord.objects.filter(volunteer__memberships__status="applicant").values_list("pk", flat=True))
        == []
    )


def test_demo_paused_volunteer_has_a_return_date_and_one_has_left(seeded: None) -> None:
    today = timezone.localdate()

    paused = NetworkMembership.objects.get(status="paused")
    left = NetworkMembership.objects.get(status="left")

    assert (paused.volunteer.user.name, paused.paused_until) == ("Niamh Ó Briain", today + datetime.timedelta(42))
    assert left.volunteer.user.name == "Thomas Ashworth"
    assert [state.is_granted for state in consent_states(left.volunteer, left.network)] == [False] * 8


def test_demo_every_member_has_done_induction_and_confidentiality(seeded: None) -> None:
    members = NetworkMembership.objects.exclude(status="applicant").prefetch_related("checks")

    assert [missing_onboarding(membership) for membership in members] == [[]] * 38


def test_demo_dbs_checks_and_one_expiring_within_thirty_days(seeded: None) -> None:
    today = timezone.localdate()
    dbs = OnboardingCheck.objects.filter(kind="role_check").select_related("membership__volunteer__user")
    expiring = dbs.filter(expires_on__lte=today + datetime.timedelta(days=30))

    assert dbs.count() == 6
    assert set(dbs.values_list("name", flat=True)) == {"DBS check"}
    assert [(check.membership.volunteer.user.name, check.expires_on) for check in expiring] == [
        ("Priyanka Patel", today + datetime.timedelta(days=18))
    ]
    assert dbs.filter(expires_on__lt=today).count() == 0


def test_demo_experience_tags_for_each_charity(seeded: None) -> None:
    assert list(ExperienceTag.objects.filter(network__slug=BCV).order_by("pk").values_list("name", flat=True)) == [
        "primary breast cancer",
        "secondary breast cancer",
        "radiotherapy",
        "chemotherapy",
        "mastectomy",
        "reconstruction",
        "lymphoedema",
        "carer of a partner",
        "younger women",
    ]
    assert list(ExperienceTag.objects.filter(network__slug=CC).order_by("pk").values_list("name", flat=True)) == [
        "carer of a parent with dementia",
        "carer of a child with complex needs",
        "young carer",
        "mental health carer",
        "stroke carer",
    ]
    # Every member who is not an applicant has some experience from their own networks' lists.
    members = VolunteerProfile.objects.exclude(memberships__status="applicant")
    assert members.annotate(tags=Count("experience_tags")).filter(tags=0).count() == 0
    outside_own_networks = [
        profile.user.name
        for profile in VolunteerProfile.objects.prefetch_related("experience_tags", "memberships").select_related(
            "user"
        )
        if {tag.network_id for tag in profile.experience_tags.all()}
        - {membership.network_id for membership in profile.memberships.all()}
    ]
    assert outside_own_networks == []


@pytest.mark.parametrize("network", [BCV, CC])
def test_demo_each_charity_has_its_own_wording_with_two_versions_of_share_story(seeded: None, network: str) -> None:
    texts = (
        ConsentText.objects.filter(network__slug=network)
        .order_by("purpose__order", "version")
        .prefetch_related("organisations")
    )
    university, everyone = NAMED[network]

    assert [
        (text.purpose.code, text.version, sorted(org.name for org in text.organisations.all())) for text in texts
    ] == [
        ("health-information", 1, everyone),
        ("share-story", 1, everyone),
        ("share-story", 2, everyone),
        ("recording", 1, university),
        ("photographs", 1, everyone),
        ("quotes-teaching", 1, university),
        ("quotes-publications", 1, university),
        ("share-with-charity", 1, everyone),
        ("research-contact", 1, university),
    ]
    # The wording names its own partner university, never the other charity's.
    other = NAMED[CC if network == BCV else BCV][0][0]
    assert [(university[0] in text.text, other in text.text) for text in texts] == [(True, False)] * 9


def test_demo_each_charitys_wording_is_published_by_an_admin_of_that_charity(seeded: None) -> None:
    """Someone must be able to publish each charity's next version: its own admin."""
    publishers = (
        ConsentText.objects.order_by("network__slug").values_list("network__slug", "published_by__email").distinct()
    )

    assert list(publishers) == [(BCV, "lead@example.org"), (CC, "admin.carers@example.org")]
    assert [
        Membership.objects.filter(user__email=email, organisation__slug=slug, role="admin").exists()
        for slug, email in publishers
    ] == [True, True]


def test_demo_consents_current_old_and_withdrawn(seeded: None) -> None:
    by_code = {text.purpose_id: text.purpose.code for text in ConsentText.objects.select_related("purpose")}
    profiles = VolunteerProfile.objects.all()
    networks = {slug: Organisation.objects.get(slug=slug) for slug in (BCV, CC)}

    assert {by_code[pk]: grants for pk, grants in current_grant_counts(networks[BCV]).items()} == {
        "health-information": 14,
        "share-story": 14,
        "recording": 10,
        "photographs": 7,
        "quotes-teaching": 16,
        "quotes-publications": 4,
        "share-with-charity": 17,
        "research-contact": 6,
    }
    assert {by_code[pk]: grants for pk, grants in current_grant_counts(networks[CC]).items()} == {
        "health-information": 12,
        "share-story": 11,
        "recording": 9,
        "photographs": 6,
        "quotes-teaching": 13,
        "quotes-publications": 3,
        "share-with-charity": 14,
        "research-contact": 6,
    }
    holders = VolunteerProfile.objects.with_current_grants
    assert [holders(["share-story"], university=Organisation.objects.get(slug=slug)).count() for slug in UNIS] == [
        14,
        11,
    ]
    assert sum(needs_consent_review(profile) for profile in profiles) == 6
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 11
    assert list(
        ConsentRecord.objects.filter(method="paper")
        .order_by()
        .values_list("recorded_by__email", "text__network__slug")
        .distinct()
    ) == [("lead@example.org", BCV)]


def test_demo_volunteer_in_both_networks_answers_each_separately(seeded: None) -> None:
    dafydd = VolunteerProfile.objects.get(user__email="dafydd.apgwilym@example.org")

    sections = my_consents(dafydd)

    assert [section.network.slug for section in sections] == [BCV, CC]
    assert [
        sorted({record.text.network.slug for record in state.history})
        for section in sections
        for state in section.states
        if state.history
    ] == [[BCV]] * 6 + [[CC]] * 6


def test_demo_volunteers_vary_in_availability_and_preferences(seeded: None) -> None:
    profiles = VolunteerProfile.objects.exclude(memberships__status="applicant")

    assert WeeklyAvailability.objects.values("volunteer").distinct().count() == profiles.count() == 37
    assert set(profiles.values_list("payment_preference", flat=True)) == {
        "fee_and_expenses",
        "reduced_fee",
        "fee_donated",
        "expenses_only",
        "nothing",
    }
    assert profiles.filter(payment_preference="expenses_only").exclude(payment_preference_reason="").count() == (
        profiles.filter(payment_preference="expenses_only").count()
    )
    assert profiles.filter(interpreter="bsl").count() == 1
    assert profiles.filter(step_free_access=True).count() > 3
    assert profiles.filter(rest_breaks=True).count() > 3
    assert profiles.filter(large_print=True).count() > 1
    assert len(set(profiles.values_list("monthly_session_cap", flat=True))) > 3
    assert len(set(profiles.values_list("travel_miles", flat=True))) > 3
    assert set(profiles.values_list("perspective", flat=True)) == {"service_user", "carer", "both", "organisation"}


def test_demo_volunteer_has_a_full_profile(seeded: None) -> None:
    profile = sian()
    membership = profile.memberships.get()

    assert (profile.user.name, profile.preferred_name, profile.pronouns, profile.perspective) == (
        "Siân O'Brien",
        "Siân",
        "she/her",
        "service_user",
    )
    assert (membership.network.slug, membership.status, missing_onboarding(membership)) == (BCV, "active", [])
    assert sorted(profile.experience_tags.values_list("name", flat=True)) == [
        "mastectomy",
        "primary breast cancer",
        "radiotherapy",
    ]
    assert list(profile.weekly_availability.values_list("weekday", "part_of_day")) == [
        (1, "afternoon"),
        (1, "morning"),
        (3, "morning"),
        (4, "morning"),
    ]
    assert profile.adjustments == [
        "Step-free access",
        "Rest breaks",
        "Dietary needs: Vegetarian",
        "Sessions of at most 120 minutes",
    ]
    assert (profile.monthly_session_cap, profile.travel_miles, profile.support_contact_name) == (
        3,
        20,
        "Rhodri O'Brien (my husband)",
    )
    assert profile.biography != ""
    assert profile.topics_to_avoid != ""
    assert profile.time_away.count() == 1
    assert [state.purpose.code for state in consent_states(profile, membership.network) if state.is_granted] == [
        "health-information",
        "share-story",
        "photographs",
        "quotes-teaching",
        "share-with-charity",
    ]
    assert needs_consent_review(profile) is False


def test_demo_seed_twice_duplicates_nothing(seeded: None) -> None:
    after_first = counts()
    world = DemoWorld(
        university_a=Organisation.objects.get(slug="northbridge"),
        university_b=Organisation.objects.get(slug="southgate"),
        charity_a=Organisation.objects.get(slug=BCV),
        charity_b=Organisation.objects.get(slug=CC),
        users={user.email: user for user in User.objects.all()},
    )

    call_command("seed_demo", verbosity=0)
    seed_volunteers(world)

    assert counts() == after_first
    assert after_first == {
        "User": 47,
        "EmailAddress": 47,
        "VolunteerProfile": 41,
        "NetworkMembership": 42,
        "ExperienceTag": 14,
        "WeeklyAvailability": 237,
        "TimeAway": 5,
        "OnboardingCheck": 85,
        "ConsentText": 18,
        "ConsentRecord": 215,
    }
