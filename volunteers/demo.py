"""Demo volunteers for ``manage.py seed_demo``: two charities' networks that tell a real story.

41 people. Breast Cancer Voices (led by Zoë Adeyemi, lead@example.org) has 23: the demo
volunteer Siân O'Brien with a full profile, 18 more active, one paused during treatment with a
return date, and three applicants waiting for the lead (one ready to accept). Carers' Circle has
19: 17 active, one who has left and one applicant. Dafydd ap Gwilym belongs to both networks.
Each charity words its own consents, naming only itself and the university it is partnered with
(Breast Cancer Voices and Northbridge; Carers' Circle and Southgate), published by its own admin
(Zoë Adeyemi is Breast Cancer Voices' admin too; Morag Campbell, admin.carers@example.org, is
Carers' Circle's). Each has a version 1 for every purpose and a version 2 of "Share my story with
students", so some volunteers' grants are on the old wording and they are asked again when they
next sign in; some have withdrawn a consent; a few gave theirs on paper, recorded by the lead.
Dafydd answers each of his two networks separately.

Deterministic (``random.Random(2026)`` and fixed lists), dated relative to today, and quick:
one password hash for every account and bulk inserts where the rows are many. Demo only.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.demo import DemoWorld, demo_password_hash
from accounts.models import Organisation, User
from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    PartOfDay,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.permissions import consent_relying_choices
from volunteers.services import ensure_consent_purposes

Status = NetworkMembership.Status
Perspective = VolunteerProfile.Perspective
Payment = VolunteerProfile.PaymentPreference
Action = ConsentRecord.Action
Method = ConsentRecord.Method

BREAST_CANCER_TAGS = [
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
CARERS_TAGS = [
    "carer of a parent with dementia",
    "carer of a child with complex needs",
    "young carer",
    "mental health carer",
    "stroke carer",
]
PATIENT_TAGS = [tag for tag in BREAST_CANCER_TAGS if tag != "carer of a partner"]

# Days before today that version 1 of every text, and version 2 of "share-story", were published.
VERSION_1_DAYS_AGO = 1000
SHARE_STORY_V2_DAYS_AGO = 45
SHARE_STORY_V2 = (
    "I agree that the story of my experience may be shared with students, and with the staff who teach them, "
    "in teaching sessions at {universities}. {charities} may help to prepare it with me. I can say what I "
    "would rather not share, and I can withdraw at any time."
)


@dataclass(frozen=True)
class DemoVolunteer:
    name: str
    email: str
    network: str  # "a" for Breast Cancer Voices, "b" for Carers' Circle
    status: str = Status.ACTIVE
    perspective: str = Perspective.SERVICE_USER
    preferred_name: str = ""


A, B = "a", "b"
VOLUNTEERS = [
    DemoVolunteer("Dafydd ap Gwilym", "dafydd.apgwilym@example.org", A, perspective=Perspective.CARER),
    DemoVolunteer("Niamh Ó Briain", "niamh.obriain@example.org", A, status=Status.PAUSED),
    DemoVolunteer("Małgorzata Kowalczyk", "malgorzata.kowalczyk@example.org", A, preferred_name="Gosia"),
    DemoVolunteer("Oluwaseun Adebayo", "oluwaseun.adebayo@example.org", A, preferred_name="Seun"),
    DemoVolunteer("Aoife Ní Bhriain", "aoife.nibhriain@example.org", A),
    DemoVolunteer("Priyanka Patel", "priyanka.patel@example.org", A),
    DemoVolunteer("Rhys Llewellyn", "rhys.llewellyn@example.org", A),
    DemoVolunteer("Bronwen Hughes", "bronwen.hughes@example.org", A, perspective=Perspective.BOTH),
    DemoVolunteer("Fatima Al-Sayed", "fatima.alsayed@example.org", A),
    DemoVolunteer("Mairéad Nic Giolla Phádraig", "mairead.nicgiolla@example.org", A, preferred_name="Mairéad"),
    DemoVolunteer("Gráinne O'Connell", "grainne.oconnell@example.org", A),
    DemoVolunteer("Agnieszka Wiśniewska", "agnieszka.wisniewska@example.org", A),
    DemoVolunteer("Hélène Dubois", "helene.dubois@example.org", A),
    DemoVolunteer("Tanaka Yuki 田中由紀", "yuki.tanaka@example.org", A, preferred_name="Yuki"),
    DemoVolunteer("Ngozi Okafor", "ngozi.okafor@example.org", A),
    DemoVolunteer("Eluned Morgan-Price", "eluned.morganprice@example.org", A),
    DemoVolunteer("Ingrid Ødegård", "ingrid.odegard@example.org", A),
    DemoVolunteer("Ananya Sharma अनन्या शर्मा", "ananya.sharma@example.org", A, preferred_name="Ananya"),
    DemoVolunteer("Catrin Ffion Jones", "catrin.jones@example.org", A, perspective=Perspective.ORGANISATION),
    DemoVolunteer("Jo Whitfield", "jo.whitfield@example.org", A, status=Status.APPLICANT),
    DemoVolunteer("Beatriz Gonçalves", "beatriz.goncalves@example.org", A, status=Status.APPLICANT),
    DemoVolunteer(
        "José María García", "josemaria.garcia@example.org", A, status=Status.APPLICANT, perspective=Perspective.CARER
    ),
    DemoVolunteer("Chen Wei 陈伟", "chen.wei@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Mohammed Iqbal", "mohammed.iqbal@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Tadhg Mac Carthaigh", "tadhg.maccarthaigh@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Zofia Nowicka", "zofia.nowicka@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Kwame Mensah", "kwame.mensah@example.org", B, perspective=Perspective.BOTH),
    DemoVolunteer("Ruth Lévy", "ruth.levy@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Eilidh MacLeod", "eilidh.macleod@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Nkechi Obi", "nkechi.obi@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Stanisław Wróbel", "stanislaw.wrobel@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Isabel Fernández", "isabel.fernandez@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Dev Chaudhary", "dev.chaudhary@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Hannah Goldberg", "hannah.goldberg@example.org", B, perspective=Perspective.BOTH),
    DemoVolunteer("Gwen Parry", "gwen.parry@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Mei-Ling Ong", "meiling.ong@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Ciarán Ó Dónaill", "ciaran.odonaill@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer("Amara Nwosu", "amara.nwosu@example.org", B, perspective=Perspective.CARER),
    DemoVolunteer(
        "Thomas Ashworth", "thomas.ashworth@example.org", B, status=Status.LEFT, perspective=Perspective.CARER
    ),
    DemoVolunteer("Pilar Muñoz", "pilar.munoz@example.org", B, status=Status.APPLICANT, perspective=Perspective.CARER),
]
# Also active in the other charity's network: he cares for his wife and for his father.
IN_BOTH = "dafydd.apgwilym@example.org"
# A DBS check for these, and which one expires within the 30-day warning window.
DBS_CHECKED = {
    "priyanka.patel@example.org",
    "rhys.llewellyn@example.org",
    "hannah.goldberg@example.org",
    "kwame.mensah@example.org",
    "bronwen.hughes@example.org",
}
DBS_EXPIRING_SOON = "priyanka.patel@example.org"
DBS_EXPIRES_IN_DAYS = 18
PAUSED_RETURNS_IN_DAYS = 42
# Applicants: their statement, how they heard, and which onboarding checks are already done.
APPLICATIONS = {
    "jo.whitfield@example.org": (
        "I finished treatment for primary breast cancer last year. The radiographers made a frightening time "
        "bearable and I would love to help the next ones learn what made the difference.",
        NetworkMembership.HeardAbout.HOSPITAL,
        (OnboardingCheck.Kind.INDUCTION, OnboardingCheck.Kind.CONFIDENTIALITY),
    ),
    "beatriz.goncalves@example.org": (
        "I was diagnosed at 34. Younger women's needs are often missed, and I want students to hear about it.",
        NetworkMembership.HeardAbout.SOCIAL_MEDIA,
        (OnboardingCheck.Kind.INDUCTION,),
    ),
    "josemaria.garcia@example.org": (
        "My wife has secondary breast cancer. I would like to talk about what it is like for the partner "
        "at appointments, which nobody asked me about.",
        NetworkMembership.HeardAbout.FRIEND,
        (),
    ),
    "pilar.munoz@example.org": (
        "I have cared for my mother, who has dementia, for six years. I would like nurses to understand the carer "
        "is part of the team.",
        NetworkMembership.HeardAbout.CHARITY,
        (),
    ),
}
V1_WORDING = {
    "health-information": (
        "I agree that {everyone} may store information about my health that I choose to give, such as my "
        "diagnosis and the adjustments I need, and use it only to arrange my involvement safely. It is kept "
        "separately from everything else and I can ask for it to be removed at any time."
    ),
    "share-story": (
        "I agree that the story of my experience may be shared with students in teaching sessions at "
        "{universities}. {charities} may help to prepare it with me."
    ),
    "recording": (
        "I agree that {universities} may make audio or video recordings of sessions I take part in, and use "
        "them in teaching for up to five years."
    ),
    "photographs": (
        "I agree that {everyone} may take photographs of me at sessions and use them in their own teaching "
        "materials and newsletters."
    ),
    "quotes-teaching": (
        "I agree that {universities} may quote what I say in their teaching materials, named as I have chosen."
    ),
    "quotes-publications": (
        "I agree that {universities} may quote what I say in published articles, reports and conference "
        "presentations, named as I have chosen."
    ),
    "share-with-charity": (
        "I agree that {universities} may tell {charities} which sessions I took part in, so my charity can "
        "support me and report on its work."
    ),
    "research-contact": (
        "I agree that {universities} may contact me about research studies I might like to take part in. "
        "Saying yes does not commit me to anything."
    ),
}
PURPOSE_ORGANISATIONS = {
    "health-information": "all",
    "share-story": "all",
    "recording": "universities",
    "photographs": "all",
    "quotes-teaching": "universities",
    "quotes-publications": "universities",
    "share-with-charity": "all",
    "research-contact": "universities",
}
BIOGRAPHIES = {
    Perspective.SERVICE_USER: [
        "Diagnosed with breast cancer in {year} ({tags}). Keen to talk about how being listened to changed everything.",
        "Treated for breast cancer in {year} ({tags}). I talk about the waiting, and what helped me through it.",
        "Living with breast cancer since {year} ({tags}). Happy to answer students' questions honestly.",
    ],
    Perspective.CARER: [
        "I have been a {tag} since {year}. I talk about what carers notice that professionals can miss.",
        "A {tag} since {year}. I want students to see the whole family, not only the patient.",
    ],
    Perspective.BOTH: [
        "Both a patient and a carer since {year} ({tags}). I talk about being on both sides.",
    ],
    Perspective.ORGANISATION: [
        "I run a peer-support group and bring the voices of its members ({tags}), since {year}.",
    ],
}
TOPICS_TO_AVOID = [
    "My prognosis.",
    "Fertility and family planning.",
    "Details of my surgery.",
    "My children's reactions.",
    "Money worries.",
]
EXPENSES_ONLY_REASONS = [
    "I receive Employment and Support Allowance and a fee could affect it.",
    "I am on Carer's Allowance and do not want my earnings limit affected.",
    "Universal Credit: I would rather not have to report a fee.",
]
SUPPORT_CONTACTS = [
    ("My partner", "Call the mobile number on my profile."),
    ("My sister, Lowri", "07700 900512"),
    ("My friend Sam", "sam@example.org"),
    ("My daughter", "07700 900733"),
]
# Rhys drives a long way to Northbridge's admissions interview days (see expenses.demo).
ADMISSIONS_REGULAR = "rhys.llewellyn@example.org"
DIETARY_NEEDS = ["", "", "", "Vegetarian", "Gluten free", "Halal", "Soft food, please"]


def _in_words(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def seed_volunteers(world: DemoWorld) -> None:
    """Add the consent wording, the charities' experience lists and their volunteers.

    Does nothing when the demo volunteer already has a profile, so it never duplicates.
    """
    if VolunteerProfile.objects.filter(user=world.volunteer).exists():
        return
    Seeder(world).run()


class Seeder:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self.rng = random.Random(2026)  # noqa: S311 -- repeatable demo data, nothing secret
        self.today = timezone.localdate()
        self.lead = world.users["lead@example.org"]
        self.networks = {A: world.charity_a, B: world.charity_b}
        # Who publishes each charity's wording: an admin of that charity.
        self.publishers = {A: self.lead, B: world.users["admin.carers@example.org"]}
        self.slots: list[WeeklyAvailability] = []
        self.volunteers_seen = 0
        self.records: list[ConsentRecord] = []
        self.checks: list[OnboardingCheck] = []
        self.tag_links: list[tuple[int, int]] = []

    def moment(self, days_ago: int, hour: int = 10) -> datetime.datetime:
        day = self.today - datetime.timedelta(days=days_ago)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    def run(self) -> None:
        self.texts = self.seed_consent_texts()
        self.tags = {
            A: self.seed_tags(self.world.charity_a, BREAST_CANCER_TAGS),
            B: self.seed_tags(self.world.charity_b, CARERS_TAGS),
        }
        self.seed_demo_volunteer()
        users = self.seed_accounts()
        for index, spec in enumerate(VOLUNTEERS):
            self.seed_volunteer(index, spec, users[spec.email])
        WeeklyAvailability.objects.bulk_create(self.slots)
        OnboardingCheck.objects.bulk_create(self.checks)
        ConsentRecord.objects.bulk_create(self.records)
        VolunteerProfile.experience_tags.through.objects.bulk_create(
            [
                VolunteerProfile.experience_tags.through(volunteerprofile_id=profile_id, experiencetag_id=tag_id)
                for profile_id, tag_id in self.tag_links
            ]
        )

    # Consent wording and experience lists -----------------------------------------------------

    def seed_consent_texts(self) -> dict[str, dict[str, ConsentText]]:
        """For each charity, version 1 of every purpose and version 2 of "share-story", naming the
        charity and its partner university only. Returns each charity's current texts by code."""
        purposes = {purpose.code: purpose for purpose in ensure_consent_purposes()}
        current: dict[str, dict[str, ConsentText]] = {}
        self.share_story_v1: dict[str, ConsentText] = {}
        for key, network in self.networks.items():
            partners = list(consent_relying_choices(network).exclude(pk=network.pk).order_by("name"))
            names = {
                "universities": _in_words([org.name for org in partners]),
                "charities": network.name,
                "everyone": _in_words([org.name for org in [*partners, network]]),
            }
            texts = {}
            for code, wording in V1_WORDING.items():
                organisations = partners if PURPOSE_ORGANISATIONS[code] == "universities" else [network, *partners]
                texts[code] = self.publish(
                    key, purposes[code], 1, wording.format(**names), organisations, VERSION_1_DAYS_AGO
                )
            self.share_story_v1[key] = texts["share-story"]
            texts["share-story"] = self.publish(
                key,
                purposes["share-story"],
                2,
                SHARE_STORY_V2.format(**names),
                [network, *partners],
                SHARE_STORY_V2_DAYS_AGO,
            )
            current[key] = texts
        return current

    def publish(
        self,
        network: str,
        purpose: ConsentPurpose,
        version: int,
        wording: str,
        organisations: list[Organisation],
        days_ago: int,
    ) -> ConsentText:
        text = ConsentText.objects.create(
            purpose=purpose,
            network=self.networks[network],
            version=version,
            text=wording,
            published_at=self.moment(days_ago, hour=9),
            published_by=self.publishers[network],
        )
        text.organisations.set(organisations)
        return text

    def seed_tags(self, network: Organisation, names: list[str]) -> dict[str, ExperienceTag]:
        tags = ExperienceTag.objects.bulk_create([ExperienceTag(network=network, name=name) for name in names])
        return {tag.name: tag for tag in tags}

    # Accounts -----------------------------------------------------------------------------------

    def seed_accounts(self) -> dict[str, User]:
        """Every demo volunteer's account: the demo password (hashed once) and a verified email."""
        password = demo_password_hash()
        users = User.objects.bulk_create(
            [User(email=spec.email, name=spec.name, password=password) for spec in VOLUNTEERS]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users]
        )
        return {user.email: user for user in users}

    # The demo volunteer -------------------------------------------------------------------------

    def seed_demo_volunteer(self) -> None:
        """Siân O'Brien (volunteer@example.org): active in Breast Cancer Voices, everything filled in."""
        profile = VolunteerProfile.objects.create(
            user=self.world.volunteer,
            preferred_name="Siân",
            pronouns="she/her",
            contact_channel=VolunteerProfile.ContactChannel.EMAIL,
            phone="07700 900123",
            perspective=Perspective.SERVICE_USER,
            biography=(
                "Diagnosed with primary breast cancer in 2022 and treated with surgery and radiotherapy at "
                "Northbridge. I talk about the first appointment, the planning scan and getting back to work."
            ),
            topics_to_avoid="My family's reaction to my diagnosis.",
            support_contact_name="Rhodri O'Brien (my husband)",
            support_contact_details="07700 900456",
            payment_preference=Payment.FEE_AND_EXPENSES,
            naming_preference=VolunteerProfile.Naming.FIRST_NAME,
            step_free_access=True,
            rest_breaks=True,
            dietary_needs="Vegetarian",
            longest_session_minutes=120,
            attendance_mode=VolunteerProfile.AttendanceMode.EITHER,
            monthly_session_cap=3,
            travel_miles=20,
        )
        membership = NetworkMembership.objects.create(
            volunteer=profile,
            network=self.world.charity_a,
            status=Status.ACTIVE,
            statement="I want students to know how much the small kindnesses mattered.",
            heard_about=NetworkMembership.HeardAbout.HOSPITAL,
            decided_at=self.moment(400),
            decided_by=self.lead,
            decision_message="Welcome, Siân! Lovely to have you with us.",
            status_changed_at=self.moment(400),
        )
        for name in ("primary breast cancer", "radiotherapy", "mastectomy"):
            self.tag_links.append((profile.pk, self.tags[A][name].pk))
        for weekday, part in [
            (1, PartOfDay.MORNING),
            (1, PartOfDay.AFTERNOON),
            (3, PartOfDay.MORNING),
            (4, PartOfDay.MORNING),
        ]:
            self.slots.append(WeeklyAvailability(volunteer=profile, weekday=weekday, part_of_day=part))
        self.add_standard_checks(membership, joined_days_ago=400)
        self.checks.append(
            OnboardingCheck(
                membership=membership,
                kind=OnboardingCheck.Kind.ROLE_CHECK,
                name="DBS check",
                completed_on=self.today - datetime.timedelta(days=410),
                expires_on=self.today + datetime.timedelta(days=685),
            )
        )
        for code in ("health-information", "quotes-teaching", "share-with-charity", "photographs"):
            self.grant(profile, A, code, days_ago=399)
        self.grant(profile, A, "share-story", days_ago=399, text=self.share_story_v1[A])
        self.grant(profile, A, "share-story", days_ago=SHARE_STORY_V2_DAYS_AGO - 3)
        TimeAway.objects.create(
            volunteer=profile,
            starts_on=self.today + datetime.timedelta(days=30),
            ends_on=self.today + datetime.timedelta(days=43),
            note="Family holiday in Pembrokeshire",
        )

    # The other volunteers -----------------------------------------------------------------------

    def seed_volunteer(self, index: int, spec: DemoVolunteer, user: User) -> None:
        rng = self.rng
        engaged = spec.status in (Status.ACTIVE, Status.PAUSED, Status.LEFT)
        tags = self.choose_tags(spec) if engaged else []
        fields = self.profile_fields(index, spec)
        if tags:
            template = rng.choice(BIOGRAPHIES[Perspective(spec.perspective)])
            fields["biography"] = template.format(
                tag=tags[0].name, tags=", ".join(tag.name for tag in tags), year=rng.randint(2012, 2024)
            )
        profile = VolunteerProfile.objects.create(user=user, **fields)
        self.tag_links += [(profile.pk, tag.pk) for tag in tags]
        joined_days_ago = rng.randint(60, 900)
        membership = self.join(profile, spec, spec.network, joined_days_ago)
        memberships = [membership]
        if spec.email == IN_BOTH:
            memberships.append(self.join(profile, spec, B, joined_days_ago - 30))
        if not engaged:
            return
        for joined in memberships:
            self.add_standard_checks(joined, joined_days_ago=joined_days_ago)
        if spec.email in DBS_CHECKED:
            self.add_dbs_check(membership, expiring=spec.email == DBS_EXPIRING_SOON)
        self.add_availability(profile)
        if spec.email == ADMISSIONS_REGULAR:
            # He comes to every admissions interview day, on Tuesday mornings, however many a month.
            if not any(
                slot.volunteer is profile and (slot.weekday, slot.part_of_day) == (1, PartOfDay.MORNING)
                for slot in self.slots
            ):
                self.slots.append(WeeklyAvailability(volunteer=profile, weekday=1, part_of_day=PartOfDay.MORNING))
            VolunteerProfile.objects.filter(pk=profile.pk).update(monthly_session_cap=None)
        self.add_consents(profile, index, spec, spec.network, joined_days_ago, self.rng)
        if spec.email == IN_BOTH:
            # His answers to his second network, given when he joined it. Its own random numbers,
            # so everyone else's demo data stays as it was.
            rng = random.Random(2027)  # noqa: S311 -- repeatable demo data, nothing secret
            self.add_consents(profile, index, spec, B, joined_days_ago - 30, rng)
        if index % 9 == 4:
            # Away after the sessions the demo invites people to, so who is invited is the same
            # whatever day the demo is seeded.
            start = self.today + datetime.timedelta(days=rng.randint(40, 45))
            TimeAway.objects.create(
                volunteer=profile,
                starts_on=start,
                ends_on=start + datetime.timedelta(days=rng.choice([7, 14, 21])),
                note=rng.choice(["Holiday", "Treatment", "Looking after my grandchildren"]),
            )

    def profile_fields(self, index: int, spec: DemoVolunteer) -> dict[str, object]:
        rng = self.rng
        channel = rng.choice(["email", "email", "email", "phone", "sms", "post"])
        payment = Payment.FEE_AND_EXPENSES
        reason = ""
        if index % 5 == 2:
            payment = Payment.EXPENSES_ONLY
            reason = rng.choice(EXPENSES_ONLY_REASONS)
        elif index % 11 == 7:
            payment = Payment.FEE_DONATED
        elif index % 13 == 9:
            payment = Payment.NOTHING
        elif index == 10:
            payment = Payment.REDUCED_FEE
        support = rng.choice([None, None, *SUPPORT_CONTACTS])
        interpreter = VolunteerProfile.Interpreter.NONE
        interpreter_language = ""
        if spec.email == "eilidh.macleod@example.org":
            interpreter = VolunteerProfile.Interpreter.BSL
        elif spec.email == "stanislaw.wrobel@example.org":
            interpreter, interpreter_language = VolunteerProfile.Interpreter.SPOKEN, "Polish"
        contact: dict[str, object] = {
            "preferred_name": spec.preferred_name,
            "contact_channel": channel,
            "phone": f"07700 900{100 + index:03d}" if channel in ("phone", "sms") else "",
            "postal_address": f"{index + 3} Station Road\nNorthbridge\nNB{index % 9 + 1} 4QT"
            if channel == "post"
            else "",
            "perspective": spec.perspective,
        }
        if spec.status == Status.APPLICANT:
            # Applicants have only told us what the application form asks.
            return contact
        return {
            **contact,
            "pronouns": rng.choice(["", "", "she/her", "he/him", "they/them"]),
            "topics_to_avoid": rng.choice(TOPICS_TO_AVOID) if index % 4 == 0 else "",
            "support_contact_name": support[0] if support else "",
            "support_contact_details": support[1] if support else "",
            "payment_preference": payment,
            "payment_preference_reason": reason,
            "naming_preference": rng.choice(list(VolunteerProfile.Naming.values)),
            "step_free_access": rng.random() < 0.2,
            "parking": rng.random() < 0.25,
            "interpreter": interpreter,
            "interpreter_language": interpreter_language,
            "hearing_loop": rng.random() < 0.1,
            "large_print": rng.random() < 0.15,
            "easy_read": index == 17,
            "companion_attending": rng.random() < 0.1,
            "rest_breaks": rng.random() < 0.3,
            "dietary_needs": rng.choice(DIETARY_NEEDS),
            "longest_session_minutes": rng.choice([None, None, 60, 90, 120]),
            "attendance_mode": rng.choice(["either", "either", "either", "in_person", "online"]),
            "monthly_session_cap": rng.choice([None, 1, 2, 2, 3, 4]),
            "travel_miles": rng.choice([None, 5, 10, 15, 20, 30, 50]),
        }

    def join(self, profile: VolunteerProfile, spec: DemoVolunteer, network: str, days_ago: int) -> NetworkMembership:
        status = spec.status
        fields: dict[str, object] = {}
        if status == Status.APPLICANT:
            statement, heard_about, done = APPLICATIONS[spec.email]
            days_ago = self.rng.randint(2, 12)
            fields = {"statement": statement, "heard_about": heard_about}
        else:
            fields = {
                "statement": "I would like to help students understand what it is really like.",
                "heard_about": self.rng.choice(NetworkMembership.HeardAbout.values),
                "decided_at": self.moment(days_ago),
                "decided_by": self.lead if network == A else None,
            }
        if status == Status.PAUSED:
            fields["paused_until"] = self.today + datetime.timedelta(days=PAUSED_RETURNS_IN_DAYS)
        changed = 20 if status in (Status.PAUSED, Status.LEFT) else days_ago
        membership = NetworkMembership.objects.create(
            volunteer=profile,
            network=self.networks[network],
            status=status,
            status_changed_at=self.moment(changed),
            **fields,
        )
        if status == Status.APPLICANT:
            for kind in done:
                self.checks.append(
                    OnboardingCheck(membership=membership, kind=kind, completed_on=self.today - datetime.timedelta(1))
                )
        return membership

    def add_standard_checks(self, membership: NetworkMembership, *, joined_days_ago: int) -> None:
        completed = self.today - datetime.timedelta(days=joined_days_ago + self.rng.randint(1, 14))
        for kind in (OnboardingCheck.Kind.INDUCTION, OnboardingCheck.Kind.CONFIDENTIALITY):
            self.checks.append(OnboardingCheck(membership=membership, kind=kind, completed_on=completed))

    def add_dbs_check(self, membership: NetworkMembership, *, expiring: bool) -> None:
        if expiring:
            expires = self.today + datetime.timedelta(days=DBS_EXPIRES_IN_DAYS)
        else:
            expires = self.today + datetime.timedelta(days=self.rng.randint(120, 900))
        self.checks.append(
            OnboardingCheck(
                membership=membership,
                kind=OnboardingCheck.Kind.ROLE_CHECK,
                name="DBS check",
                completed_on=expires - datetime.timedelta(days=3 * 365),
                expires_on=expires,
            )
        )

    def choose_tags(self, spec: DemoVolunteer) -> list[ExperienceTag]:
        rng = self.rng
        if spec.network == B:
            names = [(B, name) for name in rng.sample(CARERS_TAGS, rng.randint(1, 2))]
        elif spec.perspective == Perspective.CARER:
            names = [(A, "carer of a partner")]
        else:
            names = [(A, name) for name in rng.sample(PATIENT_TAGS, rng.randint(1, 3))]
            if spec.perspective == Perspective.BOTH:
                names.append((A, "carer of a partner"))
        if spec.email == IN_BOTH:
            names.append((B, "carer of a parent with dementia"))
        return [self.tags[network][name] for network, name in names]

    def add_availability(self, profile: VolunteerProfile) -> None:
        every_slot = [(day, part) for day in range(7) for part in PartOfDay.values]
        weekdays = [slot for slot in every_slot if slot[0] < 5]
        chosen = self.rng.sample(weekdays, self.rng.randint(2, 6))
        if self.rng.random() < 0.2:
            chosen.append((self.rng.choice([5, 6]), PartOfDay.MORNING))
        # Every other volunteer keeps Tuesday to Thursday daytimes free, when most teaching happens,
        # so the coordinators' matching pages have people to suggest.
        self.volunteers_seen += 1
        if self.volunteers_seen % 2 == 0:
            chosen += [(day, part) for day in (1, 2, 3) for part in (PartOfDay.MORNING, PartOfDay.AFTERNOON)]
        for weekday, part in sorted(set(chosen)):
            self.slots.append(WeeklyAvailability(volunteer=profile, weekday=weekday, part_of_day=part))

    # Consent --------------------------------------------------------------------------------------

    def grant(
        self,
        profile: VolunteerProfile,
        network: str,
        code: str,
        *,
        days_ago: int,
        text: ConsentText | None = None,
        action: str = Action.GRANTED,
        method: str = Method.ONLINE,
    ) -> None:
        text = text or self.texts[network][code]
        self.records.append(
            ConsentRecord(
                volunteer=profile,
                purpose=text.purpose,
                text=text,
                action=action,
                method=method,
                recorded_by=self.lead if method != Method.ONLINE else None,
                note="Signed form kept in the office." if method == Method.PAPER else "",
                created_at=self.moment(days_ago),
            )
        )

    def add_consents(
        self,
        profile: VolunteerProfile,
        index: int,
        spec: DemoVolunteer,
        network: str,
        joined_days_ago: int,
        rng: random.Random,
    ) -> None:
        """Their answers to ``network``'s wording. Most agree to most purposes; some are on the
        old "share-story" wording, some withdrew.

        Someone who left withdrew everything when they left, 20 days ago.
        """
        granted_on = joined_days_ago - 1
        left = spec.status == Status.LEFT
        texts = self.texts[network]
        # Paper consent, recorded by the lead, for a few people who prefer it (the lead's network only).
        method = Method.PAPER if network == A and index % 8 == 2 else Method.ONLINE
        wanted = [
            ("health-information", index % 7 != 3),
            ("recording", index % 2 == 0),
            ("photographs", index % 3 == 0),
            ("quotes-teaching", index % 4 != 3),
            ("quotes-publications", index % 5 == 1),
            ("share-with-charity", index % 6 != 5),
            ("research-contact", index % 3 == 1),
        ]
        agreed: dict[str, ConsentText] = {}
        for code, agrees in wanted:
            if agrees:
                self.grant(profile, network, code, days_ago=granted_on, method=method)
                agreed[code] = texts[code]
        if index % 6 != 5:
            # Everyone who agreed to share their story did so on version 1; most have since agreed
            # to version 2, the rest are asked again when they next sign in.
            v1 = self.share_story_v1[network]
            self.grant(profile, network, "share-story", days_ago=granted_on, text=v1, method=method)
            agreed["share-story"] = v1
            if index % 4 != 1 and not left:
                self.grant(profile, network, "share-story", days_ago=rng.randint(1, SHARE_STORY_V2_DAYS_AGO - 1))
                agreed["share-story"] = texts["share-story"]
        withdrawn = list(agreed) if left else list(agreed)[:1] if index % 5 == 3 else []
        for code in withdrawn:
            self.grant(profile, network, code, days_ago=20, text=agreed[code], action=Action.WITHDRAWN)
