"""The story every report test is checked against, with its figures worked out by hand in
``tests/reports/test_selectors.py``.

University A (partnered with Charity A since 1 January 2024) runs programme P1 (modules M1, M2)
and P2 (module M3); University C is partnered with Charity A from 1 January 2026 only; University B
is not partnered with Charity A. Academic year 2025/26 (1 September 2025 to 31 August 2026):

| session | when (UK)            | module | kind        | places                                        |
| ------- | -------------------- | ------ | ----------- | --------------------------------------------- |
| S0      | 1 Jun 2025           | M3     | teaching    | Ann 2h, Dee 2h (before the year)              |
| S1      | 10 Sep 2025          | M1     | teaching    | Ann 2h, Ben 2h, Cal did not attend            |
| S2      | 5 Oct 2025           | M1     | assessment  | Ann 3h, Dee 3h                                |
| S3      | 20 Oct 2025          | M3     | teaching    | Ann 1.5h (no briefing)                        |
| S4      | 3 Mar 2026           | M2     | recruitment | Ann 2h, Ben did not attend                    |
| S5      | 10 Mar 2026          | M2     | teaching    | Ann 2h, Ben 2h                                |
| S6      | 1 May 2026           | M2     | curriculum  | Ann 2h                                        |
| S8      | 31 Aug 2026 23:00    | M1     | review      | Dee 1h (the last hour of the year)            |
| S9      | 1 Sep 2026 00:30     | M1     | teaching    | Dee 1h (the next year)                        |
| X1      | 1 Nov 2025           | M1     | cancelled   | Ann booked                                    |
| B1      | 12 Nov 2025          | Univ B | teaching    | Ann 2h                                        |
| C1      | 15 Nov 2025          | Univ C | teaching    | Ben 2h (before Charity A's partnership)       |
| C2      | 10 Feb 2026          | Univ C | teaching    | Ben 2h, Eve 2h                                |

Ann (service user; Breast cancer, Radiotherapy of Charity A and Lymphoedema of Charity B; full
name), Ben (carer; Breast cancer; first name "Tom"), Cal (both), Dee (service user; anonymous) and
Eve belong to Charity A. Ann and Ben share their participation with Charity A; Dee never agreed;
Eve agreed and withdrew.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from accounts.models import Organisation
from feedback.models import (
    CoordinatorFeedback,
    ImpactEntry,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
)
from sessions_app.models import Booking, CheckIn, Module, Programme, TeachingSession
from tests import factories
from tests.conftest import World
from tests.reports.factories import consent, held, paid_claim, place, uk
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory
from volunteers.models import ConsentPurpose, ExperienceTag, VolunteerProfile
from volunteers.services import ensure_consent_purposes

Kind = TeachingSession.Kind
NO_SHOW = Booking.Status.NO_SHOW
SCRIPT = "<script>alert('x')</script>"


@dataclass
class Story:
    world: World
    university_c: Organisation
    p1: Programme
    p2: Programme
    m1: Module
    m2: Module
    m3: Module
    ann: VolunteerProfile
    ben: VolunteerProfile
    cal: VolunteerProfile
    dee: VolunteerProfile
    eve: VolunteerProfile
    sessions: dict[str, TeachingSession]
    bookings: dict[str, Booking]
    purposes: list[ConsentPurpose]


def volunteer(network: Organisation, name: str, **fields: object) -> VolunteerProfile:
    profile = factories.VolunteerProfileFactory(user=factories.UserFactory(name=name), **fields)
    factories.NetworkMembershipFactory(volunteer=profile, network=network)
    return profile


@pytest.fixture
def story(world: World) -> Story:
    purposes = ensure_consent_purposes()
    charity, university = world.charity, world.university
    owner = world.coordinator
    university_c = factories.UniversityFactory(name="University C", slug="university-c")
    factories.PartnershipFactory(network=charity, university=university_c, starts_on=datetime.date(2026, 1, 1))
    p1 = ProgrammeFactory(university=university, name="BSc Diagnostic Radiography", academic_year="2025/26")
    p2 = ProgrammeFactory(university=university, name="MSc Physiotherapy", academic_year="2025/26")
    m1 = ModuleFactory(programme=p1, code="RAD101", title="Patient care")
    m2 = ModuleFactory(programme=p1, code="RAD201", title="Breast imaging")
    m3 = ModuleFactory(programme=p2, code="PHY101", title="Communication")
    m_b = ModuleFactory(programme=ProgrammeFactory(university=world.other_university))
    m_c = ModuleFactory(programme=ProgrammeFactory(university=university_c))

    ann = volunteer(charity, "Siân Ellis", naming_preference="full_name", step_free_access=True)
    ben = volunteer(
        charity,
        "Tomás O'Brien",
        preferred_name="Tom",
        perspective="carer",
        naming_preference="first_name",
        dietary_needs="Vegetarian",
    )
    cal = volunteer(charity, "Zoë Carr", perspective="both")
    dee = volunteer(charity, "Dee Patel", naming_preference="anonymous", interpreter="bsl")
    eve = volunteer(charity, "Eve Jones")
    factories.NetworkMembershipFactory(volunteer=ann, network=world.other_charity)
    breast = ExperienceTag.objects.create(network=charity, name="Breast cancer")
    radiotherapy = ExperienceTag.objects.create(network=charity, name="Radiotherapy")
    lymphoedema = ExperienceTag.objects.create(network=world.other_charity, name="Lymphoedema")
    ann.experience_tags.set([breast, radiotherapy, lymphoedema])
    ben.experience_tags.set([breast])
    consent(ann, charity)
    consent(ben, charity)
    consent(eve, charity)
    consent(eve, charity, action="withdrawn", at=uk(2025, 1, 1))

    s = {
        "S0": held(m3, owner, uk(2025, 6, 1)),
        "S1": held(m1, owner, uk(2025, 9, 10)),
        "S2": held(m1, owner, uk(2025, 10, 5, 9), hours=3, kind=Kind.ASSESSMENT),
        "S3": held(m3, owner, uk(2025, 10, 20), hours=1.5, briefing=""),
        "S4": held(m2, owner, uk(2026, 3, 3), kind=Kind.RECRUITMENT),
        "S5": held(m2, owner, uk(2026, 3, 10)),
        "S6": held(m2, owner, uk(2026, 5, 1), kind=Kind.CURRICULUM),
        "S8": held(m1, owner, uk(2026, 8, 31, 23), hours=1, kind=Kind.REVIEW),
        "S9": held(m1, owner, uk(2026, 9, 1, 0, 30), hours=1),
        "X1": held(m1, owner, uk(2025, 11, 1), status=TeachingSession.Status.CANCELLED),
        "B1": held(m_b, world.other_coordinator, uk(2025, 11, 12)),
        "C1": held(m_c, owner, uk(2025, 11, 15)),
        "C2": held(m_c, owner, uk(2026, 2, 10)),
    }
    b = {
        "ann-S0": place(s["S0"], ann),
        "dee-S0": place(s["S0"], dee),
        "ann-S1": place(s["S1"], ann),
        "ben-S1": place(s["S1"], ben),
        "cal-S1": place(s["S1"], cal, status=NO_SHOW),
        "ann-S2": place(s["S2"], ann, "3.00"),
        "dee-S2": place(s["S2"], dee, "3.00"),
        "ann-S3": place(s["S3"], ann, "1.50"),
        "ann-S4": place(s["S4"], ann),
        "ben-S4": place(s["S4"], ben, status=NO_SHOW),
        "ann-S5": place(s["S5"], ann),
        "ben-S5": place(s["S5"], ben),
        "ann-S6": place(s["S6"], ann),
        "dee-S8": place(s["S8"], dee, "1.00"),
        "dee-S9": place(s["S9"], dee, "1.00"),
        "ann-X1": place(s["X1"], ann, status=Booking.Status.CANCELLED),
        "ann-B1": place(s["B1"], ann),
        "ben-C1": place(s["C1"], ben),
        "ben-C2": place(s["C2"], ben),
        "eve-C2": place(s["C2"], eve),
    }

    # Claims: days from the UK day sent to the UK day paid.
    paid_claim(b["ann-S1"], submitted_at=uk(2025, 9, 12), paid_at=uk(2025, 9, 22), fee="50.00", expenses="12.40")  # 10
    # Sent at 00:30 UK time on 15 September (23:30 on the 14th in UTC): 4 days, not 5.
    paid_claim(b["ben-S1"], submitted_at=uk(2025, 9, 15, 0, 30), paid_at=uk(2025, 9, 19), expenses="8.00")  # 4
    paid_claim(b["dee-S2"], submitted_at=uk(2025, 10, 6), paid_at=uk(2025, 10, 13), fee="75.00")  # 7
    paid_claim(b["ann-S2"], submitted_at=uk(2025, 10, 6), paid_at=uk(2025, 10, 31), fee="75.00", expenses="3.60")  # 25
    paid_claim(b["dee-S0"], submitted_at=uk(2025, 6, 3), paid_at=uk(2025, 9, 5), expenses="5.00")  # 94
    paid_claim(b["ann-S6"], submitted_at=uk(2026, 8, 25), paid_at=uk(2026, 9, 2), fee="50.00")  # paid next year
    paid_claim(b["ann-B1"], submitted_at=uk(2025, 11, 13), paid_at=uk(2025, 11, 20), fee="40.00")  # University B

    # Feedback.
    StudentResponse.objects.create(
        session=s["S1"],
        learned=f"{SCRIPT} Listening matters",
        change_practice="yes",
        rating=5,
        browser="a",
        chosen=True,
    )
    StudentResponse.objects.create(
        session=s["S1"], learned="Not chosen", change_practice="maybe", rating=4, browser="b"
    )
    StudentResponse.objects.create(
        session=s["S2"],
        learned='=HYPERLINK("http://evil.example")',
        change_practice="yes",
        rating=3,
        browser="c",
        chosen=True,
    )
    StudentResponse.objects.create(session=s["S9"], learned="Next year", change_practice="no", rating=1, browser="d")
    StudentResponse.objects.create(session=s["B1"], learned="Elsewhere", change_practice="no", rating=1, browser="e")
    answered = uk(2025, 12, 1)
    CoordinatorFeedback.objects.create(session=s["S1"], rating=5, answered_at=answered, contribution="Moving")
    CoordinatorFeedback.objects.create(session=s["S2"], rating=4, answered_at=answered)
    CoordinatorFeedback.objects.create(session=s["S3"])
    VolunteerFeedback.objects.create(
        booking=b["ann-S1"], how_it_went="well", felt_prepared="yes", felt_supported="yes", answered_at=answered
    )
    VolunteerFeedback.objects.create(
        booking=b["ben-S1"],
        how_it_went="hard",
        felt_prepared="partly",
        felt_supported="yes",
        wants_contact=True,
        answered_at=answered,
    )
    VolunteerFeedback.objects.create(
        booking=b["dee-S2"], how_it_went="mixed", felt_prepared="yes", felt_supported="no", answered_at=answered
    )
    VolunteerFeedback.objects.create(booking=b["ann-S2"])

    # Support.
    CheckIn.objects.create(booking=b["ann-S1"], answer="fine", answered_at=answered)
    CheckIn.objects.create(booking=b["ben-S1"], answer="call", answered_at=answered)
    CheckIn.objects.create(booking=b["dee-S2"])
    WellbeingFollowUp.objects.create(volunteer=ben, network=charity, booking=b["ben-S1"], source="feedback")
    WellbeingFollowUp.objects.create(
        volunteer=dee, network=charity, booking=b["dee-S2"], source="check_in", status="closed", closed_at=answered
    )

    # Impact.
    entry = ImpactEntry.objects.create(
        university=university,
        title="A carer's perspective <b>now</b> opens the module",
        what_changed="Students hear from a carer in week one.",
        changed_on=datetime.date(2025, 12, 1),
    )
    entry.modules.set([m1])
    entry.sessions.set([s["S1"]])
    ImpactEntry.objects.create(
        university=university, title="An old change", what_changed="Long ago.", changed_on=datetime.date(2024, 1, 1)
    )
    ImpactEntry.objects.create(
        university=university, title="Physiotherapy change", what_changed="P2.", changed_on=datetime.date(2026, 2, 1)
    ).modules.set([m3])
    ImpactEntry.objects.create(
        university=world.other_university, title="Elsewhere", what_changed="B.", changed_on=datetime.date(2026, 1, 1)
    )
    return Story(
        world=world,
        university_c=university_c,
        p1=p1,
        p2=p2,
        m1=m1,
        m2=m2,
        m3=m3,
        ann=ann,
        ben=ben,
        cal=cal,
        dee=dee,
        eve=eve,
        sessions=s,
        bookings=b,
        purposes=purposes,
    )
