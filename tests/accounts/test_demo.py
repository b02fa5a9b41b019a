"""The demo data (``manage.py seed_demo``) and the demo two-factor code (``manage.py demo_code``)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_accounts_table, demo_totp_code
from accounts.models import Membership, Organisation, Partnership, User
from involvement.models import Notification
from volunteers.models import NetworkMembership, VolunteerProfile

NOW = datetime.datetime(2026, 3, 2, 9, 30, 5, tzinfo=datetime.UTC)
STAFF_EMAILS = [
    "admin.carers@example.org",
    "admin@example.org",
    "coordinator.b@example.org",
    "coordinator@example.org",
    "finance@example.org",
    "lead@example.org",
]
# The seven documented accounts; the demo also has 40 more volunteers (volunteers/demo.py).
DEMO_EMAILS = [*STAFF_EMAILS, "volunteer@example.org"]
CREATED_OUTPUT = (
    "Demo data created.\n"
    "\n"
    f"{demo_accounts_table()}\n"
    "\n"
    "Password for every account: involve-demo-2026\n"
    "Staff accounts use the demo-only TOTP secret INVOLVEDEMOTOTPSECRETFORDEMOONLY; "
    "`python manage.py demo_code` prints the current code.\n"
)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def debug(settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Organisation,
            Membership,
            Partnership,
            EmailAddress,
            Authenticator,
            VolunteerProfile,
            NetworkMembership,
        )
    }


def test_seed_demo_creates_the_seven_demo_accounts(db: None, debug: None, frozen: time_machine.Traveller) -> None:
    output = seed()

    assert output == CREATED_OUTPUT
    assert sorted(User.objects.filter(email__in=DEMO_EMAILS).values_list("email", "name")) == [
        ("admin.carers@example.org", "Morag Campbell"),
        ("admin@example.org", "Aisha Rahman"),
        ("coordinator.b@example.org", "Tomasz Nowak"),
        ("coordinator@example.org", "Priya Shah"),
        ("finance@example.org", "Gareth Evans"),
        ("lead@example.org", "Zoë Adeyemi"),
        ("volunteer@example.org", "Siân O'Brien"),
    ]
    assert sorted(Membership.objects.values_list("user__email", "role", "organisation__name")) == [
        ("admin.carers@example.org", "admin", "Carers' Circle"),
        ("admin@example.org", "admin", "University of Northbridge"),
        ("coordinator.b@example.org", "coordinator", "Southgate University"),
        ("coordinator@example.org", "coordinator", "University of Northbridge"),
        ("finance@example.org", "finance", "University of Northbridge"),
        ("lead@example.org", "admin", "Breast Cancer Voices"),
        ("lead@example.org", "lead", "Breast Cancer Voices"),
    ]


def test_seed_demo_accounts_are_verified_with_the_demo_password(db: None, debug: None) -> None:
    seed()

    assert sorted(EmailAddress.objects.filter(email__in=DEMO_EMAILS).values_list("email", "verified", "primary")) == [
        (email, True, True) for email in sorted(DEMO_EMAILS)
    ]
    assert [user.check_password(DEMO_PASSWORD) for user in User.objects.filter(email__in=DEMO_EMAILS)] == [True] * 7


def test_seed_demo_volunteer_is_active_in_one_network(db: None, debug: None) -> None:
    seed()

    assert list(
        NetworkMembership.objects.filter(volunteer__user__email="volunteer@example.org").values_list(
            "volunteer__user__email", "network__name", "status"
        )
    ) == [("volunteer@example.org", "Breast Cancer Voices", "active")]
    assert list(Membership.objects.filter(user__email="volunteer@example.org")) == []


def test_seed_demo_creates_two_universities_and_two_charities(db: None, debug: None) -> None:
    seed()

    assert list(Organisation.objects.values_list("name", "slug", "kind")) == [
        ("Breast Cancer Voices", "breast-cancer-voices", "charity"),
        ("Carers' Circle", "carers-circle", "charity"),
        ("Southgate University", "southgate", "university"),
        ("University of Northbridge", "northbridge", "university"),
    ]


def test_seed_demo_partnerships_only_some_active(db: None, debug: None, frozen: time_machine.Traveller) -> None:
    seed()

    partnerships = Partnership.objects.select_related("network", "university").order_by("starts_on")
    assert [(p.university.name, p.network.name, p.starts_on, p.ends_on, p.is_active()) for p in partnerships] == [
        ("University of Northbridge", "Carers' Circle", datetime.date(2023, 9, 1), datetime.date(2025, 7, 31), False),
        ("University of Northbridge", "Breast Cancer Voices", datetime.date(2024, 9, 1), None, True),
        ("Southgate University", "Carers' Circle", datetime.date(2025, 1, 6), None, True),
    ]


def test_seed_demo_gives_staff_the_demo_authenticator(db: None, debug: None, frozen: time_machine.Traveller) -> None:
    seed()

    authenticators = Authenticator.objects.select_related("user").order_by("user__email")
    assert [(a.user.email, a.type) for a in authenticators] == [(email, "totp") for email in STAFF_EMAILS]
    assert [TOTP(a).validate_code(demo_totp_code()) for a in authenticators] == [True] * 6


def test_seed_demo_gives_the_volunteer_no_authenticator(db: None, debug: None) -> None:
    seed()

    assert list(Authenticator.objects.filter(user__email="volunteer@example.org")) == []


def test_seed_demo_twice_duplicates_nothing(db: None, debug: None) -> None:
    seed()
    after_first = counts()

    output = seed()

    assert counts() == after_first
    assert after_first == {
        "User": 47,
        "Organisation": 4,
        "Membership": 7,
        "Partnership": 3,
        "EmailAddress": 47,
        "Authenticator": 6,
        "VolunteerProfile": 41,
        "NetworkMembership": 42,
    }
    assert output == CREATED_OUTPUT.replace("Demo data created.", "Demo data is already there; nothing to do.")


def test_seed_demo_sends_no_email(db: None, debug: None, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seed()

    assert (callbacks, Notification.objects.count()) == ([], 0)


def test_seed_demo_refuses_to_run_without_debug(db: None, settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]

    with pytest.raises(CommandError) as raised:
        seed()

    assert str(raised.value) == "DEBUG is off: this looks like production. Use --force to seed demo data anyway."
    assert counts() == dict.fromkeys(counts(), 0)


def test_seed_demo_runs_without_debug_when_forced(db: None, settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]

    output = seed("--force")

    assert (output, User.objects.count(), Organisation.objects.count()) == (CREATED_OUTPUT, 47, 4)


def test_demo_code_prints_the_current_code(frozen: time_machine.Traveller) -> None:
    out = StringIO()

    call_command("demo_code", stdout=out)

    expected = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))
    assert out.getvalue() == f"{demo_totp_code()}\n"
    assert demo_totp_code() == expected


def test_demo_code_changes_every_thirty_seconds(frozen: time_machine.Traveller) -> None:
    start = time.time() - time.time() % 30

    assert demo_totp_code(start) == demo_totp_code(start + 29.9)
    assert demo_totp_code(start + 30) == format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(start) // 30 + 1))


def test_demo_staff_sign_in_with_the_demo_code(db: None, debug: None, frozen: time_machine.Traveller) -> None:
    seed()
    client = Client()
    client.post("/accounts/login/", {"login": "coordinator@example.org", "password": DEMO_PASSWORD})
    code = StringIO()
    call_command("demo_code", stdout=code)

    response = client.post("/accounts/2fa/authenticate/", {"code": code.getvalue().strip()})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.session["_auth_user_id"] == str(User.objects.get(email="coordinator@example.org").pk)
