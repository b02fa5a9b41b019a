"""Demo organisations and accounts for ``manage.py seed_demo``. Demo only: never in production."""

from __future__ import annotations

import datetime
import functools
import time
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.hashers import make_password

from accounts.models import Membership, Organisation, Partnership, User

DEMO_PASSWORD = "involve-demo-2026"  # noqa: S105 -- published demo password, demo data only
# A published demo-only TOTP secret (base32), so newcomers can sign in as staff without an app.
DEMO_TOTP_SECRET = "INVOLVEDEMOTOTPSECRETFORDEMOONLY"  # noqa: S105 -- demo data only
TOTP_PERIOD_SECONDS = 30


def demo_totp_code(at: float | None = None) -> str:
    """The current six-digit code for the demo secret."""
    counter = int(time.time() if at is None else at) // TOTP_PERIOD_SECONDS
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))


@dataclass
class DemoWorld:
    """What the demo seed made, passed on to each app's seed in turn."""

    university_a: Organisation
    university_b: Organisation
    charity_a: Organisation
    charity_b: Organisation
    users: dict[str, User] = field(default_factory=dict)

    @property
    def volunteer(self) -> User:
        return self.users["volunteer@example.org"]


# email, name, organisation attribute, role (None for the volunteer), who they are
DEMO_ACCOUNTS: list[tuple[str, str, str | None, str | None, str]] = [
    ("volunteer@example.org", "Siân O'Brien", None, None, "active volunteer in Breast Cancer Voices' network"),
    (
        "coordinator@example.org",
        "Priya Shah",
        "university_a",
        "coordinator",
        "coordinator at University of Northbridge",
    ),
    ("coordinator.b@example.org", "Tomasz Nowak", "university_b", "coordinator", "coordinator at Southgate University"),
    ("lead@example.org", "Zoë Adeyemi", "charity_a", "lead", "lead and org admin at Breast Cancer Voices"),
    ("finance@example.org", "Gareth Evans", "university_a", "finance", "finance officer at University of Northbridge"),
    ("admin@example.org", "Aisha Rahman", "university_a", "admin", "org admin at University of Northbridge"),
    ("admin.carers@example.org", "Morag Campbell", "charity_b", "admin", "org admin at Carers' Circle"),
]
# Second roles: consent wording belongs to each charity, so someone there must be its admin.
EXTRA_ROLES: list[tuple[str, str, str]] = [("lead@example.org", "charity_a", "admin")]


@functools.cache
def demo_password_hash() -> str:
    """The demo password hashed once: hashing is deliberately slow, and every demo account shares it."""
    return make_password(DEMO_PASSWORD)


def create_demo_user(email: str, name: str, *, staff: bool) -> User:
    """A verified account with the demo password; staff get the demo authenticator."""
    user = User.objects.create(email=User.objects.normalize_email(email), name=name, password=demo_password_hash())
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if staff and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def seed_accounts(today: datetime.date) -> DemoWorld:
    world = DemoWorld(
        university_a=Organisation.objects.create(
            name="University of Northbridge",
            slug="northbridge",
            kind=Organisation.Kind.UNIVERSITY,
            description="Radiography and nursing programmes with service users at their heart.",
            contact_email="involvement@northbridge.example.ac.uk",
        ),
        university_b=Organisation.objects.create(
            name="Southgate University",
            slug="southgate",
            kind=Organisation.Kind.UNIVERSITY,
            description="Nursing, midwifery and allied health professions.",
            contact_email="public.involvement@southgate.example.ac.uk",
        ),
        charity_a=Organisation.objects.create(
            name="Breast Cancer Voices",
            slug="breast-cancer-voices",
            kind=Organisation.Kind.CHARITY,
            description=(
                "People who have lived with breast cancer, and those who care for them, helping future "
                "radiographers, nurses and doctors understand what good care feels like."
            ),
            contact_email="volunteers@breastcancervoices.example.org",
            takes_applications=True,
        ),
        charity_b=Organisation.objects.create(
            name="Carers' Circle",
            slug="carers-circle",
            kind=Organisation.Kind.CHARITY,
            description="Unpaid carers sharing what caring is really like with the professionals of tomorrow.",
            contact_email="hello@carerscircle.example.org",
            takes_applications=True,
        ),
    )
    Partnership.objects.create(
        network=world.charity_a, university=world.university_a, starts_on=datetime.date(2024, 9, 1)
    )
    Partnership.objects.create(
        network=world.charity_b, university=world.university_b, starts_on=datetime.date(2025, 1, 6)
    )
    # A partnership that has ended: Northbridge and Carers' Circle no longer see each other's people.
    Partnership.objects.create(
        network=world.charity_b,
        university=world.university_a,
        starts_on=datetime.date(2023, 9, 1),
        ends_on=datetime.date(2025, 7, 31),
        notes="Pilot year, not renewed.",
    )
    for email, name, organisation_attr, role, _who in DEMO_ACCOUNTS:
        user = create_demo_user(email, name, staff=role is not None)
        world.users[email] = user
        if organisation_attr and role:
            Membership.objects.create(user=user, organisation=getattr(world, organisation_attr), role=role)
    for email, organisation_attr, role in EXTRA_ROLES:
        Membership.objects.create(user=world.users[email], organisation=getattr(world, organisation_attr), role=role)
    return world


def demo_accounts_table() -> str:
    lines = [f"{'email':<28} who", f"{'-' * 28} {'-' * 50}"]
    lines += [f"{email:<28} {who}" for email, _name, _org, _role, who in DEMO_ACCOUNTS]
    return "\n".join(lines)
