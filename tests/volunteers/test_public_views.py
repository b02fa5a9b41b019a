"""The public network page and the application form, through django.test.Client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.test.html import Element

from accounts.models import Organisation, User
from involvement.models import ActivityLog
from tests import factories
from tests.accounts.test_views import find, h1, texts
from tests.conftest import World, signed_in
from volunteers.models import ConsentPurpose, NetworkMembership, VolunteerProfile

NETWORK_URL = "/networks/charity-a/"
APPLY_URL = "/networks/charity-a/apply/"
APPLIED_URL = "/networks/charity-a/applied/"
OTHER_APPLY_URL = "/networks/charity-b/apply/"
CODE_URL = "/accounts/login/code/"
CODE_CONFIRM_URL = "/accounts/login/code/confirm/"
STATEMENT = "I had radiotherapy in 2023 and would like students to hear what helped me."
EMAIL_IN_USE = "There is already an account with this email address. Please sign in first, then apply."


def application(**changes: str) -> dict[str, str]:
    data = {
        "name": "Siân O'Brien",
        "email": "sian.obrien@example.org",
        "contact_channel": "phone",
        "phone": "07700 900123",
        "postal_address": "",
        "perspective": "service_user",
        "statement": STATEMENT,
        "heard_about": "hospital",
    }
    data.update(changes)
    return data


def what_exists() -> dict[str, Any]:
    """Everything an application could create, to show that a refused one created nothing."""
    return {
        "users": sorted(User.objects.values_list("email", flat=True)),
        "addresses": EmailAddress.objects.count(),
        "profiles": VolunteerProfile.objects.count(),
        "memberships": sorted(NetworkMembership.objects.values_list("pk", "status")),
        "activity": ActivityLog.objects.count(),
        "outbox": len(mail.outbox),
    }


def field_error(response: HttpResponse, field: str) -> str:
    """The error shown under a field, checking the field points at it for screen readers."""
    [element] = [
        element for tag in ("input", "select", "textarea") for element in find(response, tag, id=f"id_{field}")
    ]
    [error] = texts(response, "div", id=f"id_{field}_error")
    assert f"id_{field}_error" in (dict(element.attributes).get("aria-describedby") or "").split()
    return error


def in_main(response: HttpResponse) -> Element:
    [main] = find(response, "main")
    return main


def emailed_code(message: mail.EmailMessage) -> str:
    [code] = re.findall(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE)
    return code


# The network page


def test_network_page_says_what_involvement_means_and_links_to_apply(world: World, consent_purposes) -> None:
    world.charity.description = "People who have lived with cancer, helping students."
    world.charity.save()
    for purpose in consent_purposes:
        factories.ConsentTextFactory(purpose=purpose, network=world.charity)

    response = Client().get(NETWORK_URL)

    assert response.status_code == 200
    assert h1(response) == "Get involved with Charity A"
    assert texts(response, "p", class_="lead") == ["People who have lived with cancer, helping students."]
    assert texts(response, "a", href=APPLY_URL) == ["Apply to join", "Apply to join Charity A"]
    assert texts(response, "h2") == [
        "What being involved means",
        "What we offer you",
        "What we will ask your permission for",
        "How joining works",
    ]
    [consents] = [
        section for section in find(response, "section") if dict(section.attributes)["aria-labelledby"] == "consents"
    ]
    assert [text.split(" Read the wording")[0] for text in texts(consents, "li")] == [
        "Store my health information (asked on its own, because it is about your health)",
        "Share my story with students",
        "Audio or video recording",
        "Photographs",
        "Quotes in teaching materials",
        "Quotes in publications",
        "Share my participation with my charity",
        "Contact about research",
    ]


def test_network_page_unknown_network_is_not_found(world: World) -> None:
    response = Client().get("/networks/no-such-network/")

    assert response.status_code == 404


def test_network_page_tells_a_member_they_already_belong(world: World) -> None:
    response = signed_in(world.volunteer).get(NETWORK_URL)

    assert texts(response, "p", class_="alert") == ["You are already part of Charity A. Go to your volunteering"]
    assert find(response, "a", href=APPLY_URL) == []


def test_apply_page_unknown_network_is_not_found(world: World) -> None:
    assert Client().get("/networks/no-such-network/apply/").status_code == 404
    assert Client().post("/networks/no-such-network/apply/", application()).status_code == 404


# Applying, signed out


def test_apply_page_asks_for_everything(world: World) -> None:
    response = Client().get(APPLY_URL)

    [email] = find(response, "input", id="id_email")
    assert response.status_code == 200
    assert h1(response) == "Apply to join Charity A"
    assert texts(response, "label", for_="id_name") == ["Your full name *"]
    assert texts(response, "legend") == ["How would you like us to contact you? *", "Which describes you best? *"]
    assert "readonly" not in dict(email.attributes)
    assert texts(response, "a", href=f"/accounts/login/?next={APPLY_URL}") == ["Sign in first"]


def test_apply_creates_the_account_profile_and_application(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(APPLY_URL, application())

    user = User.objects.get(email="sian.obrien@example.org")
    membership = NetworkMembership.objects.get(volunteer__user=user)
    profile = membership.volunteer
    [address] = EmailAddress.objects.filter(user=user)
    [message] = mail.outbox
    assert (response.status_code, response["Location"]) == (302, APPLIED_URL)
    assert (user.name, user.has_usable_password(), user.is_active) == ("Siân O'Brien", False, True)
    assert (address.email, address.verified, address.primary) == ("sian.obrien@example.org", False, True)
    assert (profile.contact_channel, profile.perspective) == ("phone", "service_user")
    assert (membership.network, membership.status, membership.statement, membership.heard_about) == (
        world.charity,
        "applicant",
        STATEMENT,
        "hospital",
    )
    assert (message.to, message.subject) == ([world.lead.email], "New application to Charity A from Siân O'Brien")
    assert list(ActivityLog.objects.values_list("action", "actor")) == [("volunteer.applied", user.pk)]


def test_apply_leaves_heard_about_empty_when_not_answered(world: World) -> None:
    Client().post(APPLY_URL, application(heard_about=""))

    assert NetworkMembership.objects.get(volunteer__user__email="sian.obrien@example.org").heard_about == ""


@pytest.mark.parametrize(
    "name",
    [
        "Siân O'Brien",
        "Zoë Adeyemi-Ōkubo",
        "Niamh Ó Briain",
        "Małgorzata Kowalczyk",
        "Chen Wei 陈伟",
        "Наталья Иванова",
        "محمد علي",
        "अनन्या शर्मा",
    ],
)
def test_apply_keeps_unicode_names_intact(world: World, name: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(APPLY_URL, application(name=f"  {name}  "))

    [message] = mail.outbox
    assert User.objects.get(email="sian.obrien@example.org").name == name
    assert message.subject == f"New application to Charity A from {name}"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": ""}, "name", "Please enter your name."),
        ({"name": "   \t "}, "name", "Please enter your name."),
        ({"name": "12345 !!"}, "name", "Please enter your name using letters."),
        ({"name": "x" * 151}, "name", "Please keep your name to 150 characters or fewer."),
        ({"email": ""}, "email", "Please enter your email address."),
        ({"email": "sian.obrien@"}, "email", "Please enter an email address in the form name@example.org."),
        ({"email": "not an email"}, "email", "Please enter an email address in the form name@example.org."),
        ({"statement": ""}, "statement", "Please tell us a little about why you would like to be involved."),
        ({"statement": "      "}, "statement", "Please tell us a little about why you would like to be involved."),
        (
            {"statement": "I would like to."},
            "statement",
            "Please write a little more: at least 20 characters (you wrote 16).",
        ),
        (
            {"statement": "a" * 2001},
            "statement",
            "Please shorten this to 2,000 characters or fewer (you wrote 2001).",
        ),
        (
            {"heard_about": "newspaper"},
            "heard_about",
            "Please choose one of the options given.",
        ),
    ],
)
def test_apply_refuses_bad_input(world: World, changes: dict[str, str], field: str, error: str) -> None:
    before = what_exists()

    response = Client().post(APPLY_URL, application(**changes))

    assert response.status_code == 400
    assert field_error(response, field) == error
    assert what_exists() == before


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("contact_channel", "", "Please choose how you would like us to contact you."),
        ("contact_channel", "pigeon", "Please choose one of the options given."),
        ("perspective", "", "Please choose the description that fits you best."),
    ],
)
def test_apply_refuses_a_missing_or_unknown_choice(world: World, field: str, value: str, error: str) -> None:
    before = what_exists()

    response = Client().post(APPLY_URL, application(**{field: value}))

    assert response.status_code == 400
    assert texts(response, "div", id=f"id_{field}_error") == [error]
    assert what_exists() == before


@pytest.mark.parametrize("email", ["outsider@example.org", "Outsider@EXAMPLE.org"])
def test_apply_with_an_email_already_in_use_asks_them_to_sign_in(world: World, email: str) -> None:
    before = what_exists()

    response = Client().post(APPLY_URL, application(email=email))

    assert response.status_code == 400
    assert field_error(response, "email") == EMAIL_IN_USE
    assert what_exists() == before


def test_apply_refused_keeps_what_they_typed(world: World) -> None:
    response = Client().post(APPLY_URL, application(statement="Too short."))

    [name] = find(response, "input", id="id_name")
    [statement] = texts(response, "textarea", id="id_statement")
    assert dict(name.attributes)["value"] == "Siân O'Brien"
    assert statement == "Too short."


# Applying, signed in


def test_apply_page_signed_in_shows_their_own_email_read_only(world: World) -> None:
    response = signed_in(world.outsider).get(OTHER_APPLY_URL)

    [email] = find(response, "input", id="id_email")
    [name] = find(response, "input", id="id_name")
    assert (dict(email.attributes)["value"], "readonly" in dict(email.attributes)) == (world.outsider.email, True)
    assert (dict(name.attributes)["value"], "readonly" in dict(name.attributes)) == (world.outsider.name, True)
    assert texts(response, "a", href=f"/accounts/login/?next={OTHER_APPLY_URL}") == []


def test_apply_signed_in_volunteer_joins_a_second_network_with_their_account(
    world: World, django_capture_on_commit_callbacks
) -> None:
    profile = world.volunteer.volunteer_profile
    users_before = User.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.volunteer).post(
            OTHER_APPLY_URL,
            application(name="Someone Else", email="someone.else@example.org", perspective="carer"),
        )

    memberships = sorted(profile.memberships.values_list("network__slug", "status"))
    [message] = mail.outbox
    profile.refresh_from_db()
    world.volunteer.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/networks/charity-b/applied/")
    assert memberships == [("charity-a", "active"), ("charity-b", "applicant")]
    assert User.objects.count() == users_before
    assert (world.volunteer.email, world.volunteer.name, profile.perspective) == (
        world.volunteer.email,
        world.volunteer.name,
        "carer",
    )
    assert message.to == [world.other_lead.email]


def test_apply_signed_in_without_a_name_sets_it(world: World) -> None:
    person = factories.UserFactory(name="")

    signed_in(person).post(OTHER_APPLY_URL, application(name="Dafydd ap Gwilym"))

    person.refresh_from_db()
    assert (person.name, NetworkMembership.objects.get(volunteer__user=person).status) == (
        "Dafydd ap Gwilym",
        "applicant",
    )


def test_apply_again_while_waiting_says_they_already_applied(world: World) -> None:
    client = signed_in(world.outsider)
    client.post(APPLY_URL, application())
    before = what_exists()

    response = client.post(APPLY_URL, application(statement="Applying a second time, just in case."))

    assert response.status_code == 400
    assert field_error(response, "email") == "You have already applied to Charity A. A lead will be in touch."
    assert what_exists() == before
    assert NetworkMembership.objects.get(volunteer__user=world.outsider).statement == STATEMENT


def test_apply_to_a_network_they_belong_to_is_refused(world: World) -> None:
    profile = world.volunteer.volunteer_profile
    before = what_exists()

    response = signed_in(world.volunteer).post(APPLY_URL, application(perspective="carer"))

    profile.refresh_from_db()
    assert response.status_code == 400
    assert field_error(response, "email") == "You are already part of Charity A."
    assert what_exists() == before
    assert profile.perspective == "service_user"


# After applying: what happens next, and signing in with an emailed code


def test_applied_page_says_what_happens_next(world: World) -> None:
    response = Client().get(APPLIED_URL)

    assert response.status_code == 200
    assert h1(response) == "Thank you for applying to Charity A"
    assert texts(response, "h2") == ["What happens next", "Signing in"]
    assert texts(response, "a", href=CODE_URL) == ["Sign in with an emailed code"]


def test_applied_page_signed_in_links_to_their_volunteering(world: World) -> None:
    response = signed_in(world.volunteer).get(APPLIED_URL)

    assert texts(response, "h2") == ["What happens next"]
    assert texts(in_main(response), "a", href="/me/") == ["your volunteering page"]


def test_applicant_signs_in_with_an_emailed_code_which_verifies_their_address(
    world: World, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.post(APPLY_URL, application())
    applied = client.get(APPLIED_URL)
    [hidden] = find(applied, "input", type="hidden", name="email")
    [form] = find(applied, "form", action=CODE_URL)

    with django_capture_on_commit_callbacks(execute=True):
        requested = client.post(CODE_URL, {"email": dict(hidden.attributes)["value"]})
    [code_email] = mail.outbox
    confirmed = client.post(CODE_CONFIRM_URL, {"code": emailed_code(code_email)})

    user = User.objects.get(email="sian.obrien@example.org")
    assert form is not None
    assert (requested.status_code, requested["Location"]) == (302, CODE_CONFIRM_URL)
    assert code_email.to == ["sian.obrien@example.org"]
    assert (confirmed.status_code, confirmed["Location"]) == (302, "/")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified is True


def test_purposes_listed_are_the_networks_current_wording(world: World) -> None:
    only = ConsentPurpose.objects.create(code="only-one", name="Only one purpose", order=1)
    factories.ConsentTextFactory(purpose=only, network=world.charity, text="Old words.")
    factories.ConsentTextFactory(
        purpose=only, network=world.charity, text="Our words.", organisations=[world.charity, world.university]
    )
    other = ConsentPurpose.objects.create(code="theirs", name="Another network's purpose", order=2)
    factories.ConsentTextFactory(
        purpose=other,
        network=world.other_charity,
        text="Charity B's words.",
        organisations=[world.other_charity, world.other_university],
    )

    response = Client().get(NETWORK_URL)

    [consents] = [
        section for section in find(response, "section") if dict(section.attributes)["aria-labelledby"] == "consents"
    ]
    assert texts(consents, "li") == [
        "Only one purpose Read the wording of “Only one purpose” Our words. Relied on by: Charity A, University A"
    ]
    assert ("Charity B" in response.content.decode(), "University B" in response.content.decode()) == (False, False)


def test_network_page_without_wording_says_so(world: World, consent_purposes) -> None:
    factories.ConsentTextFactory(network=world.other_charity)

    response = Client().get(NETWORK_URL)

    [consents] = [
        section for section in find(response, "section") if dict(section.attributes)["aria-labelledby"] == "consents"
    ]
    assert texts(consents, "li") == ["Charity A has not published what it will ask yet."]


@pytest.mark.parametrize(
    ("channel", "field", "message"),
    [
        ("phone", "phone", "Please give a phone number so we can call you or send you a text."),
        ("sms", "phone", "Please give a phone number so we can call you or send you a text."),
        ("post", "postal_address", "Please give your postal address so we can write to you."),
    ],
)
def test_apply_asks_for_what_the_chosen_contact_needs(
    client, world: World, channel: str, field: str, message: str
) -> None:
    before = what_exists()

    response = client.post(APPLY_URL, application(contact_channel=channel, phone="", postal_address=""))

    assert response.status_code == 400
    assert field_error(response, field) == message
    assert what_exists() == before


def test_apply_keeps_the_phone_number_and_address(client, world: World) -> None:
    client.post(APPLY_URL, application(contact_channel="post", postal_address="1 Leeds Road\nLS1 4DY"))

    profile = VolunteerProfile.objects.get(user__email="sian.obrien@example.org")
    assert (profile.contact_channel, profile.phone, profile.postal_address) == (
        "post",
        "07700 900123",
        "1 Leeds Road\nLS1 4DY",
    )


def test_networks_page_lists_the_networks_taking_applications(client, world: World) -> None:
    Organisation.objects.filter(pk=world.charity.pk).update(takes_applications=True)

    response = client.get("/networks/")

    assert response.status_code == 200
    assert texts(response, "h2") == ["Charity A"]
    links = [
        dict(link.attributes)["href"] for link in find(response, "a") if "/apply/" in dict(link.attributes)["href"]
    ]
    assert links == ["/networks/charity-a/apply/"]


def test_networks_page_without_any_says_what_to_do(client, world: World) -> None:
    response = client.get("/networks/")

    assert texts(response, "p", id="no-networks") == [
        "No network is taking applications here at the moment. If a charity or university has asked you to get "
        "involved, they can send you a link to their application form."
    ]
