"""The organisations, staff and volunteer accounts of ``manage.py seed_scale``: the demo's two
universities and two charities, two more of each, and the scaled data set's shared state.

``ScaleContext`` is what every app's part of the seed (``<app>/scale.py``) reads and adds to, in
dependency order: accounts, volunteers, sessions, feedback, expenses, then the platform's outbox
and audit trail. It holds ids and small tuples, never thousands of model instances. Everything is
deterministic (one ``random.Random`` seeded once) and written with ``bulk_create`` in batches.
Demo and benchmark data only: never in production.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from allauth.account.models import EmailAddress
from django.db import models
from django.utils import timezone

from accounts.demo import demo_password_hash
from accounts.models import Membership, Organisation, Partnership, User

BATCH = 5000
# The default size; every other count is in proportion to the number of volunteers.
DEFAULT_VOLUNTEERS = 10_000
ModelT = TypeVar("ModelT", bound=models.Model)

# Slugs of the demo's organisations (accounts.demo) and of the two added of each kind.
NORTHBRIDGE, SOUTHGATE = "northbridge", "southgate"
BREAST_CANCER_VOICES, CARERS_CIRCLE = "breast-cancer-voices", "carers-circle"
NEW_UNIVERSITIES = [
    ("eastmoor", "Eastmoor University", "Physiotherapy, paramedic science and occupational therapy."),
    ("westfield", "Westfield Institute of Health", "Medicine, pharmacy and dentistry."),
]
NEW_CHARITIES = [
    ("stroke-voices", "Stroke Voices", "People who have had a stroke, and their families."),
    ("mind-together", "Mind Together", "People with lived experience of mental ill health and their carers."),
]
# Which networks each university works with (besides the demo's own partnerships): Northbridge,
# the biggest, has three partner networks' volunteers to match from.
NEW_PARTNERSHIPS = [
    ("stroke-voices", NORTHBRIDGE),
    ("stroke-voices", "eastmoor"),
    ("mind-together", SOUTHGATE),
    ("mind-together", "westfield"),
]
# The marker that seed_scale has already run.
SCALE_MARKER_SLUG = "eastmoor"

FIRST_NAMES = [
    "Siân",
    "Zoë",
    "Aoife",
    "Niamh",
    "Dafydd",
    "Rhys",
    "Bronwen",
    "Ngozi",
    "Oluwaseun",
    "Priya",
    "Ananya",
    "Fatima",
    "Mohammed",
    "Chen",
    "Mei",
    "Yuki",
    "Kwame",
    "Amara",
    "Ingrid",
    "Hélène",
    "José",
    "Małgorzata",
    "Agnieszka",
    "Tomasz",
    "Stanisław",
    "Zofia",
    "Ciarán",
    "Tadhg",
    "Eilidh",
    "Morag",
    "Gráinne",
    "Mairéad",
    "Catrin",
    "Eluned",
    "Gwen",
    "Ruth",
    "Hannah",
    "Isabel",
    "Pilar",
    "Beatriz",
    "Dev",
    "Aisha",
    "Gareth",
    "Jo",
    "Sam",
    "Alex",
    "Chris",
    "Pat",
    "Lowri",
    "Owain",
    "Iolo",
    "Saoirse",
    "Róisín",
    "Émile",
    "Søren",
    "Björn",
    "Nuala",
    "Ikechukwu",
    "Adaeze",
    "Thandiwe",
    "Raj",
    "Sunita",
    "Farah",
    "Omar",
    "Leila",
    "Yusuf",
    "Mariam",
    "Kofi",
    "Abena",
    "Jun",
    "Hiroshi",
]
SURNAMES = [
    "O'Brien",
    "Adeyemi",
    "Ní Bhriain",
    "Ó Briain",
    "ap Gwilym",
    "Llewellyn",
    "Hughes",
    "Okafor",
    "Adebayo",
    "Shah",
    "Sharma",
    "Al-Sayed",
    "Iqbal",
    "Wei",
    "Ong",
    "Tanaka",
    "Mensah",
    "Nwosu",
    "Ødegård",
    "Dubois",
    "García",
    "Kowalczyk",
    "Wiśniewska",
    "Nowak",
    "Wróbel",
    "Nowicka",
    "Ó Dónaill",
    "Mac Carthaigh",
    "MacLeod",
    "Campbell",
    "O'Connell",
    "Nic Giolla Phádraig",
    "Jones",
    "Morgan-Price",
    "Parry",
    "Lévy",
    "Goldberg",
    "Fernández",
    "Muñoz",
    "Gonçalves",
    "Chaudhary",
    "Rahman",
    "Evans",
    "Whitfield",
    "Smith",
    "Taylor",
    "Brown",
    "Williams",
    "Davies",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Patel",
    "Khan",
    "Begum",
    "Ali",
    "Mahmood",
    "Osei",
    "Boateng",
    "Kim",
    "Nguyen",
    "Novak",
    "Kovács",
    "Öztürk",
    "Çelik",
    "Müller",
    "Schäfer",
]


@dataclass
class ScaleContext:
    """The seed's shared state: its size, its random numbers, its clock and what each part made."""

    volunteers: int
    rng: random.Random
    now: datetime.datetime
    today: datetime.date
    universities: list[Organisation] = field(default_factory=list)
    charities: list[Organisation] = field(default_factory=list)
    # University id -> ids of the networks partnered with it (now or ever).
    partners: dict[int, list[int]] = field(default_factory=dict)
    # Organisation id -> its staff by role.
    coordinators: dict[int, list[int]] = field(default_factory=dict)
    finance: dict[int, list[int]] = field(default_factory=dict)
    leads: dict[int, list[int]] = field(default_factory=dict)
    demo_users: dict[str, User] = field(default_factory=dict)
    # What the parts made, for those after them (filled in by each app's part).
    data: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def factor(self) -> float:
        return self.volunteers / DEFAULT_VOLUNTEERS

    def scaled(self, count: int, *, minimum: int = 1) -> int:
        """``count`` at the default size, in proportion to this seed's size."""
        return max(minimum, round(count * self.factor))

    def moment(self, day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count


def insert(model: type[ModelT], rows: Iterable[ModelT], ctx: ScaleContext, name: str | None = None) -> list[ModelT]:
    """``bulk_create`` in batches (the primary keys are set on the rows), counted under ``name``."""
    created: list[ModelT] = []
    batch: list[ModelT] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            created += model.objects.bulk_create(batch)  # type: ignore[attr-defined]  # every model here has objects
            batch = []
    if batch:
        created += model.objects.bulk_create(batch)  # type: ignore[attr-defined]
    ctx.add(name or model._meta.label, len(created))
    return created


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def weighted_pick(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def seed_accounts_scale(ctx: ScaleContext) -> None:
    """The two added universities and charities, their partnerships, and staff for each
    organisation: coordinators who own the sessions, finance officers, leads. The demo's
    organisations come first in ``ctx.universities`` and ``ctx.charities``."""
    by_slug = {org.slug: org for org in Organisation.objects.filter(slug__in=[NORTHBRIDGE, SOUTHGATE])}
    by_slug |= {org.slug: org for org in Organisation.objects.filter(slug__in=[BREAST_CANCER_VOICES, CARERS_CIRCLE])}
    added = Organisation.objects.bulk_create(
        [
            Organisation(
                slug=slug,
                name=name,
                kind=Organisation.Kind.UNIVERSITY,
                description=description,
                contact_email=f"involvement@{slug}.example.ac.uk",
            )
            for slug, name, description in NEW_UNIVERSITIES
        ]
        + [
            Organisation(
                slug=slug,
                name=name,
                kind=Organisation.Kind.CHARITY,
                description=description,
                contact_email=f"volunteers@{slug}.example.org",
                takes_applications=True,
            )
            for slug, name, description in NEW_CHARITIES
        ]
    )
    ctx.add("accounts.Organisation", len(added))
    by_slug |= {org.slug: org for org in added}
    ctx.universities = [by_slug[NORTHBRIDGE], by_slug[SOUTHGATE]] + [by_slug[slug] for slug, _n, _d in NEW_UNIVERSITIES]
    ctx.charities = [by_slug[BREAST_CANCER_VOICES], by_slug[CARERS_CIRCLE]] + [
        by_slug[slug] for slug, _n, _d in NEW_CHARITIES
    ]
    start = datetime.date(ctx.today.year - 3, 9, 1)
    insert(
        Partnership,
        (
            Partnership(network=by_slug[network], university=by_slug[university], starts_on=start)
            for network, university in NEW_PARTNERSHIPS
        ),
        ctx,
    )
    for partnership in Partnership.objects.filter(university__in=ctx.universities):
        ctx.partners.setdefault(partnership.university_id, []).append(partnership.network_id)
    ctx.demo_users = {user.email: user for user in User.objects.filter(email__endswith="@example.org")}
    _seed_staff(ctx)


def _seed_staff(ctx: ScaleContext) -> None:
    """Three coordinators and a finance officer per university, two leads per charity (the demo's
    own staff are among them), with verified email addresses; no two-factor device, so they are
    data, not accounts to sign in with."""
    Role = Membership.Role
    demo = ctx.demo_users
    password = demo_password_hash()
    wanted: list[tuple[Organisation, str, int]] = []
    for university in ctx.universities:
        wanted += [(university, Role.COORDINATOR, 3), (university, Role.FINANCE, 1)]
    wanted += [(charity, Role.LEAD, 2) for charity in ctx.charities]
    existing: dict[tuple[int, str], list[int]] = {}
    for organisation_id, role, user_id in Membership.objects.filter(
        organisation__in=[*ctx.universities, *ctx.charities]
    ).values_list("organisation_id", "role", "user_id"):
        existing.setdefault((organisation_id, role), []).append(user_id)
    users: list[User] = []
    roles: list[tuple[Organisation, str]] = []
    for organisation, role, count in wanted:
        for index in range(count - len(existing.get((organisation.pk, role), []))):
            users.append(
                User(
                    email=f"{role}{index + 1}@{organisation.slug}.scale.example.org",
                    name=person_name(ctx.rng),
                    password=password,
                )
            )
            roles.append((organisation, role))
    users = insert(User, users, ctx)
    insert(EmailAddress, (EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users), ctx)
    insert(
        Membership,
        (Membership(user=user, organisation=org, role=role) for user, (org, role) in zip(users, roles, strict=True)),
        ctx,
    )
    for user, (organisation, role) in zip(users, roles, strict=True):
        existing.setdefault((organisation.pk, role), []).append(user.pk)
    demo_ids = {user.pk for user in demo.values()}
    for (organisation_id, role), user_ids in existing.items():
        # The demo's own staff first: their pages are the ones measured.
        ordered = sorted(user_ids, key=lambda pk: (pk not in demo_ids, pk))
        by_role: dict[str, dict[int, list[int]]] = {
            Role.COORDINATOR: ctx.coordinators,
            Role.FINANCE: ctx.finance,
            Role.LEAD: ctx.leads,
        }
        target = by_role.get(role)
        if target is not None:
            target[organisation_id] = ordered
