"""Sign-in abuse: the throttles (per account strict, per address generous) and the used-code
check hold with Redis down, because they live in the database cache; a refusal is a 429 page
saying when to try again; staff sessions need the second factor and last a working day; common
passwords are refused; production cookies are Secure, HttpOnly and SameSite.

The figures are those stated in docs/RELIABILITY.md and settings.ACCOUNT_RATE_LIMITS.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.sign_in import STAFF_SINCE
from tests import factories
from tests.conftest import World, signed_in
from tests.security.conftest import closed_port, redis_cache, totp_code

ROOT = Path(__file__).resolve().parents[2]
LOGIN_URL = "/accounts/login/"
MFA_URL = "/accounts/2fa/authenticate/"
WRONG = "The email address and/or password you specified are not correct."
# Five seconds into a 30-second TOTP period, so one code stays valid through a test.
NOW = datetime.datetime(2026, 3, 2, 9, 30, 5, tzinfo=datetime.UTC)
CAMPUS = "192.0.2.10"


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sign_in(client: Client, email: str, password: str = factories.PASSWORD) -> Any:
    return client.post(LOGIN_URL, {"login": email, "password": password})


def user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def outcome(response: Any) -> str:
    """ "signed in", "wrong" (the form's error), "429" (throttled) or the status."""
    if response.status_code == 302:
        return "signed in"
    if response.status_code == 429:
        return "429"
    if response.status_code == 200 and WRONG in response.content.decode():
        return "wrong"
    return str(response.status_code)


# The stated limits ---------------------------------------------------------------------------------


def test_rate_limits_are_the_stated_ones_and_kept_in_the_database():
    production = production_setting("ACCOUNT_RATE_LIMITS", "CACHES", "STAFF_SESSION_HOURS")

    assert production["ACCOUNT_RATE_LIMITS"] == {
        "login": "300/m/ip",
        "login_failed": "60/m/ip,5/5m/key,20/1d/key",
        "request_login_code": "60/m/ip,3/m/key",
        "reset_password": "60/m/ip,5/m/key",
        "reset_password_from_key": "60/m/ip",
        "signup": "60/m/ip",
    }
    assert production["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert production["STAFF_SESSION_HOURS"] == 9


# With Redis down ------------------------------------------------------------------------------------


def test_fifteen_wrong_passwords_are_throttled_while_redis_is_down(
    world: World, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    client = Client()

    outcomes = [outcome(sign_in(client, world.volunteer.email, "not-the-password")) for _ in range(15)]
    right_password = sign_in(client, world.volunteer.email)

    assert outcomes == ["wrong"] * 5 + ["429"] * 10
    assert (right_password.status_code, user_id(client)) == (429, None)
    # Another account from the same address signs in.
    other = Client()
    assert (outcome(sign_in(other, world.outsider.email)), user_id(other)) == ("signed in", str(world.outsider.pk))
    # After the five minutes the right password works again.
    frozen.shift(datetime.timedelta(minutes=5, seconds=1))
    assert (outcome(sign_in(client, world.volunteer.email)), user_id(client)) == ("signed in", str(world.volunteer.pk))


def test_the_refusal_is_a_plain_429_page_saying_when_to_try_again(
    world: World, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    client = Client()
    for _ in range(5):
        sign_in(client, world.volunteer.email, "not-the-password")

    frozen.shift(60)
    response = sign_in(client, world.volunteer.email, "not-the-password")

    content = response.content.decode()
    # Five failures at 09:30:05, so the count frees at 09:35:05 UTC (09:35:05 in London in March).
    assert (response.status_code, response["Retry-After"]) == (429, "240")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert content.count("<h1>") == 1
    assert "<h1>Too many attempts</h1>" in content
    assert "Please try again after 09:35</strong>" in content
    assert "(in about 4 minutes)" in content


def test_a_totp_code_cannot_be_used_twice_while_redis_is_down(
    world: World, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    code = totp_code()
    first = Client()
    sign_in(first, world.coordinator.email)
    first_use = first.post(MFA_URL, {"code": code})
    second = Client()
    sign_in(second, world.coordinator.email)

    second_use = second.post(MFA_URL, {"code": code})

    assert (first_use.status_code, user_id(first)) == (302, str(world.coordinator.pk))
    assert (second_use.status_code, user_id(second)) == (200, None)
    assert "Incorrect code." in second_use.content.decode()
    # The used code is in the database cache, not in Redis.
    used = f"allauth.mfa.totp.used?user={world.coordinator.pk}&code={code}"
    assert caches["default"].get(used) == "y"


def test_wrong_totp_codes_are_throttled_per_account(
    world: World, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    client = Client()
    sign_in(client, world.coordinator.email)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"

    statuses = [client.post(MFA_URL, {"code": wrong}).status_code for _ in range(6)]
    right = client.post(MFA_URL, {"code": totp_code()})

    assert statuses == [200] * 5 + [429]
    assert (right.status_code, right["Retry-After"], user_id(client)) == (429, "300", None)


def test_wrong_totp_codes_when_confirming_it_is_you_are_throttled_with_the_429_page(
    world: World, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    client = Client()
    client.force_login(world.coordinator)  # a session that must confirm its second factor
    reauthenticate = "/accounts/2fa/reauthenticate/?next=%2Fsessions%2F"
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"

    statuses = [client.post(reauthenticate, {"code": wrong}).status_code for _ in range(6)]
    right = client.post(reauthenticate, {"code": totp_code()})

    assert statuses == [200] * 5 + [429]
    assert (right.status_code, right["Retry-After"]) == (429, "300")
    assert "Too many" in right.content.decode()
    assert client.get("/sessions/").status_code == 302


def _free_port_redis() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server on the PATH to start a Redis of the test's own")
    port = closed_port()
    process = subprocess.Popen(  # noqa: S603 -- our own fixed command line
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import redis

            if redis.Redis(port=port, socket_connect_timeout=0.2).ping():
                break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A Redis of this test's own, on its own port, which the test stops (never the shared one)."""
    yield from _free_port_redis()


def test_throttle_holds_when_the_redis_in_use_stops(
    world: World, settings: Any, own_redis: tuple[subprocess.Popen[bytes], int], frozen: time_machine.Traveller
) -> None:
    process, port = own_redis
    settings.CACHES = {"default": settings.CACHES["database"], "redis": redis_cache(port)}
    caches["default"].clear()
    caches["redis"].set("probe", "up")
    client = Client()
    before = [outcome(sign_in(client, world.volunteer.email, "not-the-password")) for _ in range(3)]

    process.terminate()
    process.wait(timeout=10)
    after = [outcome(sign_in(client, world.volunteer.email, "not-the-password")) for _ in range(12)]

    assert (before, after) == (["wrong"] * 3, ["wrong"] * 2 + ["429"] * 10)
    assert caches["redis"].get("probe", "gone") == "gone"  # Redis is really down
    other = Client()
    assert outcome(sign_in(other, world.outsider.email)) == "signed in"


# Per address generous, per account strict ------------------------------------------------------------


def test_a_campus_signing_in_from_one_address_is_not_locked_out(
    db: None, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    people = [factories.UserFactory(email=f"campus{n}@university-a.example.org") for n in range(120)]
    # A busy minute on one public address: 120 people sign in, and 50 of them mistype first.
    typos = [outcome(sign_in(Client(REMOTE_ADDR=CAMPUS), person.email, "mistyped")) for person in people[:50]]
    right = [outcome(sign_in(Client(REMOTE_ADDR=CAMPUS), person.email)) for person in people]

    assert (typos, right) == (["wrong"] * 50, ["signed in"] * 120)


def test_one_account_is_throttled_while_others_on_the_same_address_sign_in(
    db: None, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    target, *colleagues = [factories.UserFactory(email=f"staff{n}@university-a.example.org") for n in range(11)]
    attacker = Client(REMOTE_ADDR=CAMPUS)

    guesses = [outcome(sign_in(attacker, target.email, f"guess-{n}")) for n in range(10)]
    colleagues_in = [outcome(sign_in(Client(REMOTE_ADDR=CAMPUS), person.email)) for person in colleagues]

    assert (guesses, colleagues_in) == (["wrong"] * 5 + ["429"] * 5, ["signed in"] * 10)


def test_an_address_spraying_many_accounts_is_throttled_after_sixty_failures_a_minute(
    db: None, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    people = [factories.UserFactory(email=f"sprayed{n}@example.org") for n in range(62)]

    sprayed = [outcome(sign_in(Client(REMOTE_ADDR="198.51.100.7"), person.email, "Winter2026!")) for person in people]
    elsewhere = outcome(sign_in(Client(REMOTE_ADDR=CAMPUS), people[-1].email))

    assert (sprayed, elsewhere) == (["wrong"] * 60 + ["429"] * 2, "signed in")


def test_twenty_failures_in_a_day_lock_the_account_until_the_next_day(
    world: World, production_caches: dict[str, Any], frozen: time_machine.Traveller
) -> None:
    client = Client()
    failures = []
    for _ in range(4):  # 5 tries, then wait out the 5 minutes: 20 failures over 20 minutes
        failures += [outcome(sign_in(client, world.volunteer.email, "not-the-password")) for _ in range(5)]
        frozen.shift(datetime.timedelta(minutes=5, seconds=1))

    locked = sign_in(client, world.volunteer.email)
    frozen.shift(datetime.timedelta(days=1))
    next_day = outcome(sign_in(client, world.volunteer.email))

    assert failures == ["wrong"] * 20
    assert (locked.status_code, int(locked["Retry-After"]) > 23 * 3600) == (429, True)
    assert next_day == "signed in"


def test_the_per_address_limit_on_the_sign_in_page_answers_the_429_page(
    db: None, production_caches: dict[str, Any], settings: Any, frozen: time_machine.Traveller
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = Client()

    statuses = [client.post(LOGIN_URL, {"login": "x@example.org", "password": "y"}).status_code for _ in range(3)]
    refused = client.post(LOGIN_URL, {"login": "x@example.org", "password": "y"})

    assert statuses == [200, 200, 429]
    assert (refused["Retry-After"], "<h1>Too many attempts</h1>" in refused.content.decode()) == ("60", True)


# Staff sessions ----------------------------------------------------------------------------------------


def test_staff_sessions_end_after_a_working_day(world: World) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        client = Client()
        client.post(LOGIN_URL, {"login": world.coordinator.email, "password": factories.PASSWORD, "remember": "on"})
        client.post(MFA_URL, {"code": totp_code()})
        cookie_age = client.session.get_expiry_age()
        traveller.shift(datetime.timedelta(hours=8, minutes=59))
        during = client.get("/sessions/")
        traveller.shift(datetime.timedelta(minutes=2))
        after = client.get("/sessions/")
        signed_in_after = user_id(client)

    assert cookie_age == 9 * 3600  # "remember me" or not: the session itself ends then
    assert during.status_code == 200
    assert (after.status_code, after["Location"]) == (302, f"{LOGIN_URL}?next=/sessions/")
    assert signed_in_after is None


def test_a_staff_session_begun_before_the_role_also_ends_after_a_working_day(world: World) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        client = signed_in(world.coordinator)
        session = client.session
        del session[STAFF_SINCE]  # a session from before the role: counted from the first staff page
        session.save()
        first = client.get("/sessions/")
        traveller.shift(datetime.timedelta(hours=9, minutes=1))
        after = client.get("/sessions/")

    assert (first.status_code, after.status_code, after["Location"]) == (200, 302, f"{LOGIN_URL}?next=%2Fsessions%2F")


def test_volunteer_sessions_last_longer_than_a_working_day(world: World) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        client = Client()
        client.post(LOGIN_URL, {"login": world.volunteer.email, "password": factories.PASSWORD, "remember": "on"})
        traveller.shift(datetime.timedelta(days=3))
        response = client.get(reverse("sessions_app:my_sessions"))
        still_signed_in = user_id(client)

    assert (response.status_code, still_signed_in) == (200, str(world.volunteer.pk))
    assert django_settings.SESSION_COOKIE_AGE == 14 * 24 * 3600


def test_a_staff_session_that_never_passed_two_factor_reaches_no_staff_page(
    world: World, frozen: time_machine.Traveller
) -> None:
    client = Client()
    client.force_login(world.coordinator)  # a session made without allauth's sign-in

    refused = client.get("/sessions/")
    confirm = client.post("/accounts/2fa/reauthenticate/?next=%2Fsessions%2F", {"code": totp_code()})
    after = client.get("/sessions/")

    assert (refused.status_code, refused["Location"]) == (302, "/accounts/2fa/reauthenticate/?next=%2Fsessions%2F")
    assert (confirm.status_code, confirm["Location"]) == (302, "/sessions/")
    assert after.status_code == 200


def test_a_staff_password_only_session_reaches_no_staff_page(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()
    sign_in(client, world.coordinator.email)  # password, then the code page: not signed in yet

    assert user_id(client) is None
    assert client.get("/sessions/")["Location"] == f"{LOGIN_URL}?next=/sessions/"


# Passwords and cookies ----------------------------------------------------------------------------------


def test_common_passwords_are_refused(db: None) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password("password123")

    response = Client().post(
        "/accounts/signup/", {"email": "new@example.org", "password1": "password123", "password2": "password123"}
    )

    assert refused.value.messages == ["This password is too common."]
    assert "This password is too common." in response.content.decode()
    assert User.objects.filter(email="new@example.org").exists() is False


def production_setting(*names: str) -> dict[str, Any]:
    """These settings as the production profile (DEBUG off) computes them, in a fresh process."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}))"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="involvement.settings",
        DEBUG="false",
        SECRET_KEY="a-production-like-secret-key-with-plenty-of-entropy-0123456789-abcdef",
        ALLOWED_HOSTS="involvement.example.org",
    )
    result = subprocess.run(  # noqa: S603 -- our own settings, fixed code
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(result.stdout))


COOKIE_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
)


def test_production_cookies_are_secure_httponly_and_samesite():
    assert production_setting(*COOKIE_SETTINGS) == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


def test_production_cookies_are_sent_with_those_flags(world: World, settings: Any) -> None:
    for name, value in production_setting(*COOKIE_SETTINGS).items():
        setattr(settings, name, value)
    client = Client()

    page = client.get(LOGIN_URL)
    signed = sign_in(client, world.volunteer.email)

    csrf, session = page.cookies["csrftoken"], signed.cookies["sessionid"]
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
