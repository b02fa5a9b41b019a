"""factory_boy factories with valid, boring defaults."""

from __future__ import annotations

import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import MemberInvitation, Membership, Organisation, Partnership, User
from volunteers.models import (
    ConsentPurpose,
    ConsentText,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)

PASSWORD = "a-long-test-password-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def with_totp(user: User, secret: str = TOTP_SECRET) -> User:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return user


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organisation.Kind.UNIVERSITY


class UniversityFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"University {n}")
    slug = factory.Sequence(lambda n: f"university-{n}")
    kind = Organisation.Kind.UNIVERSITY


class CharityFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Charity {n}")
    slug = factory.Sequence(lambda n: f"charity-{n}")
    kind = Organisation.Kind.CHARITY


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(UniversityFactory)
    role = Membership.Role.COORDINATOR


class PartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partnership

    network = factory.SubFactory(CharityFactory)
    university = factory.SubFactory(UniversityFactory)
    starts_on = datetime.date(2024, 1, 1)


class MemberInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberInvitation

    organisation = factory.SubFactory(UniversityFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Membership.Role.COORDINATOR
    invited_by = factory.SubFactory(UserFactory)


class VolunteerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolunteerProfile

    user = factory.SubFactory(UserFactory)


class NetworkMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkMembership

    volunteer = factory.SubFactory(VolunteerProfileFactory)
    network = factory.SubFactory(CharityFactory)
    status = NetworkMembership.Status.ACTIVE


def staff(role: str, organisation: Organisation, *, mfa: bool = True, **user_fields: object) -> User:
    """A user holding ``role`` at ``organisation``, with TOTP set up unless ``mfa`` is False."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return with_totp(user) if mfa else user


class ExperienceTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExperienceTag

    network = factory.SubFactory(CharityFactory)
    name = factory.Sequence(lambda n: f"Experience {n}")


class WeeklyAvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyAvailability

    volunteer = factory.SubFactory(VolunteerProfileFactory)
    weekday = 1
    part_of_day = "morning"


class TimeAwayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeAway

    volunteer = factory.SubFactory(VolunteerProfileFactory)
    starts_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=7))
    ends_on = factory.LazyAttribute(lambda away: away.starts_on + datetime.timedelta(days=7))


class OnboardingCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OnboardingCheck

    membership = factory.SubFactory(NetworkMembershipFactory)
    kind = OnboardingCheck.Kind.INDUCTION
    completed_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=30))


class ConsentTextFactory(factory.django.DjangoModelFactory):
    """A version of a network's wording of a standard purpose (``purpose`` defaults to
    "share-story"), numbered after that network's versions of it. It names ``organisations``
    as relying on it, or only its network when none are given."""

    class Meta:
        model = ConsentText
        skip_postgeneration_save = True

    purpose = factory.LazyFunction(lambda: ConsentPurpose.objects.get(code="share-story"))
    network = factory.SubFactory(CharityFactory)
    version = factory.LazyAttribute(lambda text: text.purpose.texts.filter(network=text.network).count() + 1)
    text = factory.Sequence(lambda n: f"I agree that my story may be shared with students (wording {n}).")

    @factory.post_generation
    def organisations(self, create: bool, extracted: list[Organisation] | None, **kwargs: object) -> None:
        if create:
            self.organisations.set([self.network] if extracted is None else extracted)


def applicant_ready_to_accept(membership: NetworkMembership) -> NetworkMembership:
    """Record the induction and confidentiality agreement a lead needs before accepting."""
    OnboardingCheckFactory(membership=membership, kind=OnboardingCheck.Kind.INDUCTION)
    OnboardingCheckFactory(membership=membership, kind=OnboardingCheck.Kind.CONFIDENTIALITY)
    return membership


def pdf_document(*extra_objects: bytes, catalog: bytes = b"") -> bytes:
    """A small, well-formed one-page PDF (cross-reference table, trailer, startxref), built from
    bytes: objects 1 to 3 are the catalog (with ``catalog`` added to its dictionary), the pages and
    the page; ``extra_objects`` are numbered from 4 on."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


# A receipt PDF that passes expenses.receipts.check_receipt.
RECEIPT_PDF = pdf_document()
