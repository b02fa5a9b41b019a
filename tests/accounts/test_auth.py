"""Signing in, two-factor authentication, emailed codes, password reset and signup (allauth)."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Iterator

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import authenticate
from django.core import mail
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.html import Element, parse_html
from django.urls import reverse

from accounts.adapter import MFAAdapter
from accounts.models import Membership, User
from involvement.models import Notification
from tests import factories
from tests.conftest import World, signed_in

Role = Membership.Role
# Five seconds into a 30-second TOTP period, so a code stays valid for the whole test.
NOW = datetime.datetime(2026, 3, 2, 9, 30, 5, tzinfo=datetime.UTC)
WRONG_CREDENTIALS = "The email address and/or password you specified are not correct."
LOGIN_URL = "/accounts/login/"
CODE_URL = "/accounts/login/code/"
CODE_CONFIRM_URL = "/accounts/login/code/confirm/"
MFA_URL = "/accounts/2fa/authenticate/"


# Reading pages and emails


def _elements(node: Element) -> list[Element]:
    found: list[Element] = []
    for child in node.children:
        if isinstance(child, Element):
            found.append(child)
            found.extend(_elements(child))
    return found


def text_of(node: Element) -> str:
    parts = [child if isinstance(child, str) else text_of(child) for child in node.children]
    return " ".join(" ".join(parts).split())


def texts(response: HttpResponse, tag: str, **attrs: str) -> list[str]:
    """Text of every ``tag`` with these attributes (``class_`` matches when all its classes are present)."""
    matches = []
    for element in _elements(parse_html(response.content.decode())):
        have = dict(element.attributes)
        if element.name == tag and all(
            set(wanted.split()) <= set((have.get("class") or "").split())
            if key == "class_"
            else have.get(key.replace("_", "-")) == wanted
            for key, wanted in attrs.items()
        ):
            matches.append(text_of(element))
    return matches


def h1(response: HttpResponse) -> str:
    [heading] = texts(response, "h1")
    return heading


def alerts(response: HttpResponse) -> list[str]:
    return texts(response, "div", class_="alert")


def code_error(response: HttpResponse) -> list[str]:
    return texts(response, "p", id="error_1_id_code")


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def totp_code(secret: str = factories.TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def emailed_code(message: mail.EmailMessage) -> str:
    [code] = re.findall(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE)
    return code


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sign_in_with_password(client: Client, email: str, password: str = factories.PASSWORD) -> HttpResponse:
    return client.post(LOGIN_URL, {"login": email, "password": password})


# Password


def test_sign_in_with_password_signs_a_volunteer_in(world: World) -> None:
    client = Client()

    response = sign_in_with_password(client, world.volunteer.email)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == str(world.volunteer.pk)
    assert client.get("/")["Location"] == reverse("sessions_app:my_sessions")


def test_sign_in_with_password_ignores_the_case_of_the_email(world: World) -> None:
    client = Client()

    response = sign_in_with_password(client, world.volunteer.email.upper())

    assert (response["Location"], signed_in_user_id(client)) == ("/", str(world.volunteer.pk))


@pytest.mark.parametrize(
    ("email", "password"),
    [("outsider@example.org", "not-the-password"), ("nobody@example.org", factories.PASSWORD)],
    ids=["wrong password", "unknown email"],
)
def test_sign_in_with_bad_credentials_shows_an_error(world: World, email: str, password: str) -> None:
    client = Client()

    response = sign_in_with_password(client, email, password)

    assert (response.status_code, h1(response)) == (200, "Sign In")
    assert alerts(response) == [WRONG_CREDENTIALS]
    assert signed_in_user_id(client) is None


def test_sign_in_with_an_unverified_email_asks_for_verification(django_capture_on_commit_callbacks, db: None) -> None:
    user = factories.UserFactory(email="new@example.org", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in_with_password(client, "new@example.org")

    assert (response["Location"], signed_in_user_id(client)) == ("/accounts/confirm-email/", None)
    assert [message.to for message in mail.outbox] == [["new@example.org"]]


# Two-factor authentication for staff


def test_sign_in_asks_staff_for_their_code(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()

    response = sign_in_with_password(client, world.coordinator.email)
    page = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    assert (page.status_code, h1(page)) == (200, "Two-Factor Authentication")
    assert signed_in_user_id(client) is None


def test_sign_in_with_the_right_code_signs_staff_in(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()
    sign_in_with_password(client, world.coordinator.email)

    response = client.post(MFA_URL, {"code": totp_code()})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == str(world.coordinator.pk)
    assert h1(client.get("/", follow=True)) == "Sessions"


def test_sign_in_with_a_wrong_code_is_refused(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()
    sign_in_with_password(client, world.coordinator.email)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"

    response = client.post(MFA_URL, {"code": wrong})

    assert (response.status_code, code_error(response)) == (200, ["Incorrect code."])
    assert signed_in_user_id(client) is None


def test_sign_in_with_the_previous_periods_code_is_refused(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()
    sign_in_with_password(client, world.coordinator.email)
    previous = format_hotp_value(hotp_value(factories.TOTP_SECRET, int(time.time()) // 30 - 1))

    response = client.post(MFA_URL, {"code": previous})

    assert (code_error(response), signed_in_user_id(client)) == (["Incorrect code."], None)


def test_sign_in_with_a_reused_code_is_refused(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()
    code = totp_code()
    sign_in_with_password(client, world.coordinator.email)
    client.post(MFA_URL, {"code": code})
    client.post("/accounts/logout/")
    sign_in_with_password(client, world.coordinator.email)

    response = client.post(MFA_URL, {"code": code})

    assert (response.status_code, code_error(response)) == (200, ["Incorrect code."])
    assert signed_in_user_id(client) is None


def test_sign_in_by_emailed_code_still_asks_staff_for_their_code(
    world: World, frozen: time_machine.Traveller, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CODE_URL, {"email": world.coordinator.email})

    response = client.post(CODE_CONFIRM_URL, {"code": emailed_code(mail.outbox[0])})
    signed_in_before_totp = signed_in_user_id(client)
    client.post(MFA_URL, {"code": totp_code()})

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    assert (signed_in_before_totp, signed_in_user_id(client)) == (None, str(world.coordinator.pk))


# Sign in by emailed code


def test_login_code_is_delivered_through_the_outbox(world: World, django_capture_on_commit_callbacks) -> None:
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CODE_URL, {"email": world.volunteer.email})

    notification = Notification.objects.get()
    [message] = mail.outbox
    assert (response.status_code, response["Location"]) == (302, CODE_CONFIRM_URL)
    assert (notification.template_key, notification.email, notification.recipient, notification.status) == (
        "account.login_code",
        world.volunteer.email,
        world.volunteer,
        Notification.Status.SENT,
    )
    assert notification.context == {}
    assert (message.to, message.subject) == ([world.volunteer.email], "Involvement: Sign-In Code")
    assert len(emailed_code(message)) == 9


def test_login_code_signs_the_volunteer_in(world: World, django_capture_on_commit_callbacks) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CODE_URL, {"email": world.volunteer.email})

    response = client.post(CODE_CONFIRM_URL, {"code": emailed_code(mail.outbox[0])})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == str(world.volunteer.pk)


def test_login_code_wrong_code_is_refused(world: World, django_capture_on_commit_callbacks) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CODE_URL, {"email": world.volunteer.email})

    response = client.post(CODE_CONFIRM_URL, {"code": "AAAA-AAAA"})

    assert (response.status_code, code_error(response)) == (200, ["Incorrect code."])
    assert signed_in_user_id(client) is None


def test_login_code_still_works_after_one_mistake(world: World, django_capture_on_commit_callbacks) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CODE_URL, {"email": world.volunteer.email})
    client.post(CODE_CONFIRM_URL, {"code": "AAAA-AAAA"})

    response = client.post(CODE_CONFIRM_URL, {"code": emailed_code(mail.outbox[0])})

    assert (response["Location"], signed_in_user_id(client)) == ("/", str(world.volunteer.pk))


def test_login_code_cannot_be_used_twice(world: World, django_capture_on_commit_callbacks) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CODE_URL, {"email": world.volunteer.email})
    code = emailed_code(mail.outbox[0])
    client.post(CODE_CONFIRM_URL, {"code": code})
    client.post("/accounts/logout/")

    response = client.post(CODE_CONFIRM_URL, {"code": code})

    assert (response.status_code, response["Location"]) == (302, CODE_URL)
    assert signed_in_user_id(client) is None


def test_login_code_cannot_be_used_from_another_browser(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(CODE_URL, {"email": world.volunteer.email})
    other = Client()

    response = other.post(CODE_CONFIRM_URL, {"code": emailed_code(mail.outbox[0])})

    assert (response["Location"], signed_in_user_id(other)) == (CODE_URL, None)


def test_account_emails_name_the_site(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(CODE_URL, {"email": world.volunteer.email})

    [message] = mail.outbox
    assert message.body.splitlines()[0] == "Hello from Involvement!"


# Staff must set up two-factor authentication


@pytest.fixture
def staff_without_totp(world: World) -> User:
    return factories.staff(Role.COORDINATOR, world.university, mfa=False, email="new.coordinator@a.example.org")


@pytest.mark.parametrize(
    "path",
    ["/", "/organisations/", "/organisations/university-a/", "/organisations/university-a/members/", "/support/"],
)
def test_staff_without_totp_are_sent_to_set_it_up(staff_without_totp: User, path: str) -> None:
    response = signed_in(staff_without_totp).get(path)

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/email/", "Email Address"),
        ("/accounts/password/change/", "Change Password"),
        ("/accounts/2fa/", "Two-Factor Authentication"),
    ],
)
def test_staff_without_totp_may_open_account_pages(staff_without_totp: User, path: str, heading: str) -> None:
    response = signed_in(staff_without_totp).get(path)

    assert (response.status_code, h1(response)) == (200, heading)


def test_people_without_a_staff_role_are_not_asked_for_two_factor(world: World) -> None:
    response = signed_in(world.outsider).get("/")

    assert (response.status_code, h1(response)) == (200, f"Hello, {world.outsider.get_short_name()}")


def test_staff_with_totp_are_not_asked_for_it_again(world: World) -> None:
    response = signed_in(world.finance).get("/", follow=True)

    assert (response.redirect_chain, h1(response)) == ([("/claims/", 302)], "Claims")


def test_volunteers_are_not_asked_for_two_factor(world: World) -> None:
    response = signed_in(world.volunteer).get("/")

    assert (response.status_code, response["Location"]) == (302, reverse("sessions_app:my_sessions"))


def test_staff_can_set_up_totp_and_then_open_pages(staff_without_totp: User, frozen: time_machine.Traveller) -> None:
    client = Client()
    signed_in_response = client.post(
        LOGIN_URL, {"login": staff_without_totp.email, "password": factories.PASSWORD}, follow=True
    )
    # allauth asks for the password again before changing two-factor settings.
    reauthenticate_url = signed_in_response.redirect_chain[-1][0]
    client.post(reauthenticate_url, {"password": factories.PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]

    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert signed_in_response.redirect_chain[:2] == [("/", 302), (reverse("mfa_activate_totp"), 302)]
    assert alerts(signed_in_response)[-1] == (
        "Your role at an organisation needs two-factor authentication. Please set up an authenticator app to continue."
    )
    assert (activated.status_code, activated["Location"]) == (302, reverse("mfa_view_recovery_codes"))
    authenticators = Authenticator.objects.filter(user=staff_without_totp)
    assert sorted(authenticators.values_list("type", flat=True)) == ["recovery_codes", "totp"]
    assert h1(client.get("/", follow=True)) == "Sessions"


def test_staff_two_factor_rule_can_be_switched_off(staff_without_totp: User, settings: object) -> None:
    settings.STAFF_ROLES_REQUIRE_MFA = False  # type: ignore[attr-defined]

    response = signed_in(staff_without_totp).get("/", follow=True)

    assert (response.status_code, h1(response)) == (200, "Sessions")


# Staff keep their authenticator


def test_mfa_adapter_refuses_to_delete_a_staff_authenticator(world: World) -> None:
    authenticator = Authenticator.objects.get(user=world.coordinator, type=Authenticator.Type.TOTP)

    assert MFAAdapter().can_delete_authenticator(authenticator) is False


def test_mfa_adapter_lets_a_volunteer_delete_their_authenticator(world: World) -> None:
    factories.with_totp(world.volunteer)
    authenticator = Authenticator.objects.get(user=world.volunteer, type=Authenticator.Type.TOTP)

    assert MFAAdapter().can_delete_authenticator(authenticator) is True


def test_staff_cannot_deactivate_totp_through_the_page(world: World, frozen: time_machine.Traveller) -> None:
    client = Client()
    sign_in_with_password(client, world.coordinator.email)
    client.post(MFA_URL, {"code": totp_code()})
    client.post(f"/accounts/reauthenticate/?next={reverse('mfa_deactivate_totp')}", {"password": factories.PASSWORD})

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert texts(response, "div", class_="alert-danger") == ["You cannot deactivate two-factor authentication."]
    assert Authenticator.objects.filter(user=world.coordinator, type=Authenticator.Type.TOTP).count() == 1


# Password reset


def test_password_reset_email_is_queued_then_emptied_once_sent(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = Client().post("/accounts/password/reset/", {"email": world.volunteer.email})

    queued = Notification.objects.get()
    [reset_url] = re.findall(r"^https?://testserver(/accounts/password/reset/key/\S+/)$", queued.context["text"], re.M)
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/done/")
    assert (queued.template_key, queued.email, queued.recipient, queued.status) == (
        "account.password_reset_key",
        world.volunteer.email,
        world.volunteer,
        Notification.Status.PENDING,
    )
    assert (sorted(queued.context), queued.context["subject"]) == (
        ["html", "subject", "text"],
        "Involvement: Password Reset Email",
    )

    for callback in callbacks:
        callback()

    queued.refresh_from_db()
    [message] = mail.outbox
    assert (queued.status, queued.context) == (Notification.Status.SENT, {})
    assert (message.to, message.subject) == ([world.volunteer.email], "Involvement: Password Reset Email")
    assert reset_url in message.body
    [(html, mimetype)] = message.alternatives
    assert (mimetype, reset_url in html) == ("text/html", True)


def test_password_reset_link_sets_a_new_password(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"email": world.volunteer.email})
    [reset_url] = re.findall(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    client = Client()
    form_url = client.get(reset_url)["Location"]

    response = client.post(form_url, {"password1": "a-brand-new-password-7", "password2": "a-brand-new-password-7"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/key/done/")
    assert authenticate(email=world.volunteer.email, password="a-brand-new-password-7") == world.volunteer


def test_password_reset_for_an_unknown_email_reveals_nothing(db: None, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/done/")
    assert list(Notification.objects.values_list("template_key", "email", "context")) == [
        ("account.unknown_account", "nobody@example.org", {})
    ]


# Signup


def signup(client: Client, email: str) -> HttpResponse:
    return client.post(
        "/accounts/signup/", {"email": email, "password1": "a-fresh-password-93", "password2": "a-fresh-password-93"}
    )


def test_signup_creates_an_unverified_user_and_sends_a_code(db: None, django_capture_on_commit_callbacks) -> None:
    client = Client()

    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "Ann.Lee@Example.org")

    user = User.objects.get()
    notification = Notification.objects.get()
    [message] = mail.outbox
    assert (response.status_code, response["Location"], signed_in_user_id(client)) == (
        302,
        "/accounts/confirm-email/",
        None,
    )
    assert (user.email, user.check_password("a-fresh-password-93")) == ("ann.lee@example.org", True)
    assert list(EmailAddress.objects.values_list("user", "email", "verified", "primary")) == [
        (user.pk, "ann.lee@example.org", False, True)
    ]
    assert (notification.template_key, notification.recipient, notification.status, notification.context) == (
        "account.email_confirmation_signup",
        user,
        Notification.Status.SENT,
        {},
    )
    assert (message.to, message.subject) == (["ann.lee@example.org"], "Involvement: Please Confirm Your Email Address")


def test_signup_code_verifies_the_email_and_signs_in(db: None, django_capture_on_commit_callbacks) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, "ann@example.org")

    response = client.post("/accounts/confirm-email/", {"code": emailed_code(mail.outbox[0])})

    user = User.objects.get()
    assert (response["Location"], signed_in_user_id(client)) == ("/", str(user.pk))
    assert list(EmailAddress.objects.values_list("verified", flat=True)) == [True]


def test_signup_with_a_taken_email_creates_no_second_account(world: World, django_capture_on_commit_callbacks) -> None:
    users_before = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = signup(Client(), "OUTSIDER@example.org")

    assert (response["Location"], User.objects.count()) == ("/accounts/confirm-email/", users_before)
    assert list(Notification.objects.values_list("template_key", "email")) == [
        ("account.account_already_exists", "outsider@example.org")
    ]


# The custom User


def test_create_user_uses_email_as_the_login(db: None) -> None:
    user = User.objects.create_user(email="Siân.OBrien@EXAMPLE.org", password="a-long-test-password-42")

    assert User.USERNAME_FIELD == "email"
    assert "username" not in [field.name for field in User._meta.get_fields()]
    assert (user.email, user.is_staff, user.is_superuser, user.name) == ("Siân.OBrien@example.org", False, False, "")
    assert authenticate(email="Siân.OBrien@example.org", password="a-long-test-password-42") == user


def test_create_user_requires_an_email(db: None) -> None:
    with pytest.raises(ValueError, match=r"^An email address is required\.$"):
        User.objects.create_user(email="", password="a-long-test-password-42")

    assert User.objects.count() == 0


def test_create_superuser_is_staff_and_superuser(db: None) -> None:
    user = User.objects.create_superuser(email="support@example.org", password="a-long-test-password-42")

    assert (user.is_staff, user.is_superuser) == (True, True)


def test_user_names_are_unicode(db: None) -> None:
    named = factories.UserFactory(name="Siân O'Brien", email="sian@example.org")
    unnamed = factories.UserFactory(name="", email="zoe@example.org")

    assert (str(named), named.get_full_name(), named.get_short_name()) == ("Siân O'Brien", "Siân O'Brien", "Siân")
    assert (str(unnamed), unnamed.get_full_name(), unnamed.get_short_name()) == (
        "zoe@example.org",
        "zoe@example.org",
        "zoe@example.org",
    )


def test_user_email_is_unique_without_regard_to_case(db: None) -> None:
    User.objects.create_user(email="a@x.org", password="a-long-test-password-42")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="A@x.org", password="a-long-test-password-42")

    assert list(User.objects.values_list("email", flat=True)) == ["a@x.org"]
