"""accounts pages, through django.test.Client: members, invitations, home, organisations."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.test.html import Element, parse_html
from django.urls import reverse

from accounts.models import MemberInvitation, Membership, Organisation, User
from accounts.services import invitation_token
from involvement.models import Notification
from tests import factories
from tests.conftest import World, signed_in

Role = Membership.Role
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
LANDING_H1 = "People with lived experience, teaching the next generation of health professionals"
LAST_ADMIN = "An organisation needs at least one admin. Make someone else an admin first."


# Reading pages


def _elements(node: Element) -> list[Element]:
    found: list[Element] = []
    for child in node.children:
        if isinstance(child, Element):
            found.append(child)
            found.extend(_elements(child))
    return found


def text_of(node: Element) -> str:
    parts: list[str] = []
    for child in node.children:
        parts.append(child if isinstance(child, str) else text_of(child))
    return " ".join(" ".join(parts).split())


def find(source: HttpResponse | Element, tag: str, **attrs: str | None) -> list[Element]:
    """Every ``tag`` element with these attributes.

    ``class_`` matches when all its classes are present; ``None`` matches a boolean attribute.
    """
    root = source if isinstance(source, Element) else parse_html(source.content.decode())
    matches = []
    for element in _elements(root):
        if element.name != tag:
            continue
        have = dict(element.attributes)
        ok = True
        for key, wanted in attrs.items():
            name = key.rstrip("_").replace("_", "-")
            if name == "class":
                ok = set(wanted.split()) <= set((have.get("class") or "").split())
            elif wanted is None:  # a boolean attribute, such as selected
                ok = name in have
            else:
                ok = have.get(name) == wanted
            if not ok:
                break
        if ok:
            matches.append(element)
    return matches


def texts(source: HttpResponse | Element, tag: str, **attrs: str | None) -> list[str]:
    return [text_of(element) for element in find(source, tag, **attrs)]


def h1(response: HttpResponse) -> str:
    [heading] = texts(response, "h1")
    return heading


def messages_on(response: HttpResponse) -> list[str]:
    areas = find(response, "div", class_="messages")
    return [text for area in areas for text in texts(area, "div", class_="alert")]


def table_rows(response: HttpResponse) -> list[list[str]]:
    [body] = find(response, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


def field_error(response: HttpResponse, field: str) -> str:
    """The error shown under a form field, checking the input points at it for screen readers."""
    [field_input] = find(response, "input", id=f"id_{field}") or find(response, "select", id=f"id_{field}")
    [error] = texts(response, "div", id=f"id_{field}_error")
    described_by = (dict(field_input.attributes).get("aria-describedby") or "").split()
    assert f"id_{field}_error" in described_by
    return error


def role_line(member: User, role_label: str) -> str:
    return f"{role_label} Change {member}'s {role_label} role · Remove {member}'s {role_label} role"


def membership_of(user: User, role: str, organisation: Organisation) -> Membership:
    return Membership.objects.get(user=user, role=role, organisation=organisation)


def roles_of(user: User, organisation: Organisation) -> list[str]:
    return sorted(Membership.objects.filter(user=user, organisation=organisation).values_list("role", flat=True))


MEMBERS_URL = "/organisations/university-a/members/"
INVITE_URL = "/organisations/university-a/members/invite/"


# Member list


def test_member_list_shows_members_and_their_roles(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.university, role=Role.FINANCE)

    response = signed_in(world.admin).get(MEMBERS_URL)

    people = sorted([world.admin, world.coordinator, world.finance], key=lambda user: (user.name, user.email))
    labels = {
        world.admin: [role_line(world.admin, "Organisation admin")],
        world.coordinator: [
            role_line(world.coordinator, "Coordinator"),
            role_line(world.coordinator, "Finance officer"),
        ],
        world.finance: [role_line(world.finance, "Finance officer")],
    }
    assert response.status_code == 200
    assert h1(response) == "Members of University A"
    assert [row[:2] for row in table_rows(response)] == [[person.name, person.email] for person in people]
    [body] = find(response, "tbody")
    assert [texts(row, "li") for row in find(body, "tr")] == [labels[person] for person in people]


def test_member_list_shows_pending_invitations_only(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        factories.MemberInvitationFactory(organisation=world.university, email="ann@example.org", role=Role.LEAD)
    factories.MemberInvitationFactory(
        organisation=world.university, email="gone@example.org", status=MemberInvitation.Status.REVOKED
    )
    factories.MemberInvitationFactory(organisation=world.other_university, email="elsewhere@example.org")

    response = signed_in(world.admin).get(MEMBERS_URL)

    [main] = find(response, "main")
    [invitations] = [element for element in find(main, "ul") if "class" not in dict(element.attributes)]
    assert texts(invitations, "li") == [
        "ann@example.org, as lead, sent Monday 2 March 2026 Withdraw the invitation to ann@example.org"
    ]


def test_member_list_says_none_without_invitations(world: World) -> None:
    response = signed_in(world.admin).get(MEMBERS_URL)

    [main] = find(response, "main")
    assert texts(main, "h2") == ["Invitations waiting for an answer", "Invite someone"]
    assert texts(main, "p") == ["None. Invitations you send below wait here until they are accepted."]


def test_member_list_is_for_admins_only(world: World) -> None:
    response = signed_in(world.coordinator).get(MEMBERS_URL)

    assert (response.status_code, h1(response)) == (403, "You cannot open this page")


def test_member_list_of_another_organisation_is_not_found(world: World) -> None:
    response = signed_in(world.other_admin).get(MEMBERS_URL)

    assert (response.status_code, h1(response)) == (404, "We could not find that page")


def test_member_list_sends_anonymous_visitors_to_sign_in(world: World) -> None:
    response = Client().get(MEMBERS_URL)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={quote(MEMBERS_URL)}")


@pytest.mark.parametrize("extra", [1, 3])
def test_member_list_query_count_does_not_grow(world: World, django_assert_num_queries, extra: int) -> None:
    for _ in range(extra):
        member = factories.staff(Role.COORDINATOR, world.university, mfa=False)
        factories.MembershipFactory(user=member, organisation=world.university, role=Role.FINANCE)
        factories.MemberInvitationFactory(organisation=world.university, invited_by=member)
    client = signed_in(world.admin)

    with django_assert_num_queries(9):
        response = client.get(MEMBERS_URL)

    assert len(table_rows(response)) == 3 + extra


# Inviting


def test_invite_sends_the_email_and_redirects_with_a_message(world: World, django_capture_on_commit_callbacks) -> None:
    client = signed_in(world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE_URL, {"email": "Ann@Example.org", "role": Role.COORDINATOR}, follow=True)

    invitation = MemberInvitation.objects.get()
    [message] = mail.outbox
    assert response.redirect_chain == [(MEMBERS_URL, 302)]
    assert messages_on(response) == ["Invitation sent to Ann@example.org."]
    assert (invitation.organisation, invitation.email, invitation.role, invitation.invited_by) == (
        world.university,
        "Ann@example.org",
        "coordinator",
        world.admin,
    )
    assert (message.to, message.subject) == (["Ann@example.org"], "You are invited to join University A on Involvement")
    assert Notification.objects.get().context["accept_url"] in message.body


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("", "Please fill this in."),
        ("not-an-email", "Please give an email address in the form name@example.org."),
        ("someone@", "Please give an email address in the form name@example.org."),
        ("coordinator@a.example.org", "coordinator@a.example.org already holds this role at University A."),
    ],
)
def test_invite_bad_input_shows_the_error_by_the_field(
    world: World, django_capture_on_commit_callbacks, email: str, error: str
) -> None:
    client = signed_in(world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE_URL, {"email": email, "role": Role.COORDINATOR})

    assert (response.status_code, h1(response)) == (400, "Members of University A")
    assert field_error(response, "email") == error
    assert (MemberInvitation.objects.count(), Notification.objects.count(), mail.outbox) == (0, 0, [])


def test_invite_a_second_time_shows_the_error_and_sends_nothing_more(
    world: World, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(INVITE_URL, {"email": "ann@example.org", "role": Role.LEAD})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE_URL, {"email": "ann@example.org", "role": Role.LEAD})

    assert response.status_code == 400
    assert field_error(response, "email") == (
        "ann@example.org has already been invited to this role and has not answered yet."
    )
    assert (MemberInvitation.objects.count(), len(mail.outbox)) == (1, 1)


def test_invite_refuses_an_unknown_role(world: World) -> None:
    response = signed_in(world.admin).post(INVITE_URL, {"email": "ann@example.org", "role": "owner"})

    assert response.status_code == 400
    [error] = texts(response, "div", id="id_role_error")
    assert error == "Please choose one of the options given."
    assert MemberInvitation.objects.count() == 0


def test_invite_into_another_organisation_is_not_found(world: World) -> None:
    response = signed_in(world.other_admin).post(INVITE_URL, {"email": "ann@example.org", "role": Role.LEAD})

    assert (response.status_code, MemberInvitation.objects.count()) == (404, 0)


# Changing a role


def change_role_url(membership: Membership) -> str:
    return f"/organisations/{membership.organisation.slug}/members/{membership.pk}/role/"


def remove_url(membership: Membership) -> str:
    return f"/organisations/{membership.organisation.slug}/members/{membership.pk}/remove/"


def test_change_role_page_shows_the_current_role(world: World) -> None:
    membership = membership_of(world.coordinator, Role.COORDINATOR, world.university)

    response = signed_in(world.admin).get(change_role_url(membership))

    [select] = find(response, "select", id="id_role")
    assert response.status_code == 200
    assert h1(response) == f"Change {world.coordinator}'s role"
    assert texts(select, "option", selected=None) == ["Coordinator"]
    assert texts(select, "option") == ["Coordinator", "Lead", "Finance officer", "Organisation admin"]


def test_change_role_post_changes_the_role(world: World) -> None:
    membership = membership_of(world.coordinator, Role.COORDINATOR, world.university)

    response = signed_in(world.admin).post(change_role_url(membership), {"role": Role.LEAD}, follow=True)

    assert response.redirect_chain == [(MEMBERS_URL, 302)]
    assert messages_on(response) == [f"{world.coordinator} is now lead."]
    assert roles_of(world.coordinator, world.university) == ["lead"]


def test_change_role_to_a_role_already_held_shows_the_error(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.university, role=Role.LEAD)
    membership = membership_of(world.coordinator, Role.COORDINATOR, world.university)

    response = signed_in(world.admin).post(change_role_url(membership), {"role": Role.LEAD})

    assert response.status_code == 400
    assert field_error(response, "role") == f"{world.coordinator} already holds that role here."
    assert roles_of(world.coordinator, world.university) == ["coordinator", "lead"]


def test_change_role_of_the_last_admin_shows_the_error(world: World) -> None:
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    response = signed_in(world.admin).post(change_role_url(membership), {"role": Role.COORDINATOR})

    assert (response.status_code, field_error(response, "role")) == (400, LAST_ADMIN)
    assert roles_of(world.admin, world.university) == ["admin"]


def test_change_role_of_another_organisations_member_is_not_found(world: World) -> None:
    membership = membership_of(world.other_coordinator, Role.COORDINATOR, world.other_university)
    url = f"/organisations/university-a/members/{membership.pk}/role/"

    response = signed_in(world.admin).post(url, {"role": Role.LEAD})

    assert (response.status_code, roles_of(world.other_coordinator, world.other_university)) == (404, ["coordinator"])


# Removing a role


def test_remove_page_asks_for_confirmation(world: World) -> None:
    membership = membership_of(world.finance, Role.FINANCE, world.university)

    response = signed_in(world.admin).get(remove_url(membership))

    assert (response.status_code, h1(response)) == (200, f"Remove {world.finance}'s role?")
    assert roles_of(world.finance, world.university) == ["finance"]


def test_remove_post_removes_the_role(world: World) -> None:
    membership = membership_of(world.finance, Role.FINANCE, world.university)

    response = signed_in(world.admin).post(remove_url(membership), follow=True)

    assert response.redirect_chain == [(MEMBERS_URL, 302)]
    assert messages_on(response) == [f"{world.finance} no longer has the Finance officer role."]
    assert roles_of(world.finance, world.university) == []
    assert world.finance.email not in [row[1] for row in table_rows(response)]


def test_remove_the_last_admin_shows_an_error_and_changes_nothing(world: World) -> None:
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    response = signed_in(world.admin).post(remove_url(membership), follow=True)

    [error] = find(response, "div", class_="alert alert-danger")
    assert response.redirect_chain == [(MEMBERS_URL, 302)]
    assert messages_on(response) == [LAST_ADMIN]
    assert text_of(error) == LAST_ADMIN
    assert roles_of(world.admin, world.university) == ["admin"]


# Withdrawing an invitation


def revoke_url(invitation: MemberInvitation) -> str:
    return f"/organisations/{invitation.organisation.slug}/invitations/{invitation.pk}/withdraw/"


def test_withdraw_invitation_page_asks_for_confirmation(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university, email="ann@example.org")

    response = signed_in(world.admin).get(revoke_url(invitation))

    assert (response.status_code, h1(response)) == (200, "Withdraw the invitation to ann@example.org?")


def test_withdraw_invitation_post_withdraws_it(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university, email="ann@example.org")

    response = signed_in(world.admin).post(revoke_url(invitation), follow=True)

    invitation.refresh_from_db()
    assert response.redirect_chain == [(MEMBERS_URL, 302)]
    assert messages_on(response) == ["The invitation to ann@example.org was withdrawn."]
    assert invitation.status == MemberInvitation.Status.REVOKED


def test_withdraw_an_answered_invitation_shows_an_error(world: World) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university, email="ann@example.org", status=MemberInvitation.Status.REVOKED
    )

    response = signed_in(world.admin).post(revoke_url(invitation), follow=True)

    assert messages_on(response) == ["Only an invitation that has not been answered can be withdrawn."]


def test_withdraw_another_organisations_invitation_is_not_found(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.other_university)
    url = f"/organisations/university-a/invitations/{invitation.pk}/withdraw/"

    response = signed_in(world.admin).post(url)

    invitation.refresh_from_db()
    assert (response.status_code, invitation.status) == (404, "pending")


# The invitation page


@pytest.fixture
def invitation(world: World) -> MemberInvitation:
    return factories.MemberInvitationFactory(
        organisation=world.university, email="ann@example.org", role=Role.COORDINATOR, invited_by=world.admin
    )


def invitation_url(invitation: MemberInvitation) -> str:
    return f"/invitations/{invitation_token(invitation)}/"


def test_invitation_page_offers_anonymous_visitors_sign_in_and_sign_up(
    world: World, invitation: MemberInvitation
) -> None:
    url = invitation_url(invitation)

    response = Client().get(url)

    next_query = f"?next={quote(url, safe='/')}"
    assert (response.status_code, h1(response)) == (200, "Join University A")
    assert texts(response, "p")[:2] == [
        f"{world.admin} has invited ann@example.org to be coordinator at University A.",
        "To accept, sign in, or create an account, with ann@example.org.",
    ]
    assert [(text_of(link), dict(link.attributes)["href"]) for link in find(response, "a", class_="btn")] == [
        ("Sign in", f"/accounts/login/{next_query}"),
        ("Create an account", f"/accounts/signup/{next_query}"),
    ]


def test_invitation_page_with_a_tampered_token_says_so(world: World, invitation: MemberInvitation) -> None:
    token = invitation_token(invitation)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = Client().get(f"/invitations/{tampered}/")

    assert (response.status_code, h1(response)) == (400, "We could not open this invitation")
    assert texts(response, "div", class_="alert-danger") == [
        "This invitation link is not valid. Please check you copied all of it."
    ]


def test_invitation_page_with_an_expired_token_says_so(world: World, invitation: MemberInvitation) -> None:
    with time_machine.travel(NOW, tick=False):
        url = invitation_url(invitation)

    with time_machine.travel(NOW + datetime.timedelta(days=15), tick=False):
        response = Client().get(url)

    assert (response.status_code, h1(response)) == (400, "We could not open this invitation")
    assert texts(response, "div", class_="alert-danger") == [
        "This invitation link has expired. Please ask for a new invitation."
    ]


def test_invitation_page_of_a_withdrawn_invitation_says_so(world: World, invitation: MemberInvitation) -> None:
    url = invitation_url(invitation)
    invitation.status = MemberInvitation.Status.REVOKED
    invitation.save(update_fields=["status"])

    response = Client().get(url)

    assert response.status_code == 400
    assert texts(response, "div", class_="alert-danger") == ["This invitation has been withdrawn."]


def test_invitation_page_offers_the_invitee_an_accept_button(world: World, invitation: MemberInvitation) -> None:
    invitee = factories.UserFactory(email="ann@example.org")

    response = signed_in(invitee).get(invitation_url(invitation))

    [main] = find(response, "main")
    [form] = find(main, "form", method="post")
    assert (response.status_code, h1(response)) == (200, "Join University A")
    assert texts(form, "button", type="submit") == ["Accept the invitation"]


def test_invitation_accept_gives_the_membership(world: World, invitation: MemberInvitation) -> None:
    invitee = factories.with_totp(factories.UserFactory(email="ann@example.org", name="Ann Lee"))
    client = signed_in(invitee)

    response = client.post(invitation_url(invitation), follow=True)

    invitation.refresh_from_db()
    assert response.redirect_chain == [("/", 302), ("/sessions/", 302)]
    assert messages_on(response) == ["Welcome. You are now coordinator at University A."]
    assert (h1(response), roles_of(invitee, world.university)) == ("Sessions", ["coordinator"])
    assert (invitation.status, invitation.accepted_by) == ("accepted", invitee)


def test_invitation_accept_asks_new_staff_to_set_up_two_factor(world: World, invitation: MemberInvitation) -> None:
    invitee = factories.UserFactory(email="ann@example.org")
    client = signed_in(invitee)

    accepted = client.post(invitation_url(invitation))
    home = client.get(accepted["Location"])

    assert (accepted["Location"], home.status_code, home["Location"]) == ("/", 302, reverse("mfa_activate_totp"))
    assert roles_of(invitee, world.university) == ["coordinator"]


def test_invitation_page_after_accepting_says_accepted(world: World, invitation: MemberInvitation) -> None:
    invitee = factories.with_totp(factories.UserFactory(email="ann@example.org"))
    client = signed_in(invitee)
    url = invitation_url(invitation)
    client.post(url)

    response = client.get(url)

    [main] = find(response, "main")
    assert texts(main, "p") == [
        f"{world.admin} has invited ann@example.org to be coordinator at University A.",
        "This invitation has been accepted.",
    ]
    assert find(main, "form") == []


def test_invitation_accept_with_another_email_is_refused(world: World, invitation: MemberInvitation) -> None:
    response = signed_in(world.outsider).post(invitation_url(invitation))

    invitation.refresh_from_db()
    assert (response.status_code, h1(response)) == (400, "Join University A")
    assert texts(response, "div", class_="alert-danger") == [
        "This invitation was sent to ann@example.org. Please sign in with that address to accept it."
    ]
    assert (roles_of(world.outsider, world.university), invitation.status) == ([], "pending")


def test_invitation_accept_when_anonymous_goes_to_sign_in(world: World, invitation: MemberInvitation) -> None:
    url = invitation_url(invitation)

    response = Client().post(url)

    invitation.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    assert invitation.status == "pending"


# Home


def test_home_for_anonymous_visitors_is_the_landing_page(db: None) -> None:
    response = Client().get("/")

    assert (response.status_code, h1(response)) == (200, LANDING_H1)


def test_home_sends_an_admin_to_their_members_page(world: World) -> None:
    response = signed_in(world.admin).get("/")

    assert (response.status_code, response["Location"]) == (302, MEMBERS_URL)


def test_home_sends_a_volunteer_to_their_volunteering_page(world: World) -> None:
    response = signed_in(world.volunteer).get("/")

    assert (response.status_code, response["Location"]) == (302, "/my-sessions/")


def test_home_sends_a_lead_to_their_network(world: World) -> None:
    response = signed_in(world.lead).get("/")

    assert (response.status_code, response["Location"]) == (302, "/network/")


def test_home_shows_someone_without_a_role_or_profile_the_dashboard(world: World) -> None:
    response = signed_in(world.outsider).get("/")

    assert (response.status_code, h1(response)) == (200, f"Hello, {world.outsider.get_short_name()}")
    assert texts(response, "h2") == ["Would you like to volunteer?"]
    assert texts(response, "p", id="no-networks") == [
        "No network is taking applications here at the moment. If a charity or university has asked you to get "
        "involved, they can send you a link to their application form."
    ]


def test_home_without_a_role_lists_the_networks_taking_applications(world: World) -> None:
    Organisation.objects.filter(pk__in=[world.charity.pk, world.other_charity.pk]).update(takes_applications=True)

    response = signed_in(world.outsider).get("/")

    assert texts(response, "h3") == ["Charity A", "Charity B"]
    assert [
        dict(link.attributes)["href"] for link in find(response, "a") if "/apply/" in dict(link.attributes)["href"]
    ] == ["/networks/charity-a/apply/", "/networks/charity-b/apply/"]


# Organisations


def test_organisation_list_shows_the_users_organisations(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.charity, role=Role.LEAD)

    response = signed_in(world.coordinator).get("/organisations/")

    assert (response.status_code, h1(response)) == (200, "Your organisations")
    assert table_rows(response) == [
        ["Charity A", "Charity", "Lead"],
        ["University A", "University", "Coordinator"],
    ]


def test_organisation_list_is_for_staff_only(world: World) -> None:
    response = signed_in(world.volunteer).get("/organisations/")

    assert (response.status_code, h1(response)) == (403, "You cannot open this page")


def test_organisation_detail_shows_partnerships(world: World) -> None:
    factories.PartnershipFactory(
        network=world.other_charity,
        university=world.university,
        starts_on=datetime.date(2023, 9, 1),
        ends_on=datetime.date(2024, 7, 31),
    )

    response = signed_in(world.coordinator).get("/organisations/university-a/")

    assert (response.status_code, h1(response)) == (200, "University A")
    assert table_rows(response) == [
        ["Charity A", "University A", "Monday 1 January 2024", "No end date", "Active"],
        ["Charity B", "University A", "Friday 1 September 2023", "Wednesday 31 July 2024", "Not active"],
    ]
    assert find(response, "a", href=MEMBERS_URL) == []


def test_organisation_detail_links_admins_to_members(world: World) -> None:
    response = signed_in(world.admin).get("/organisations/university-a/")

    assert texts(response, "a", href=MEMBERS_URL) == ["Members and roles"]


def test_organisation_detail_without_partnerships_says_so(world: World) -> None:
    lonely = factories.UniversityFactory(name="University C", slug="university-c")
    user = factories.staff(Role.COORDINATOR, lonely)

    response = signed_in(user).get("/organisations/university-c/")

    [main] = find(response, "main")
    assert texts(main, "p")[-1] == "University C has no partnerships yet."
    assert find(response, "table") == []


def test_organisation_detail_of_another_organisation_is_not_found(world: World) -> None:
    response = signed_in(world.coordinator).get("/organisations/university-b/")

    assert (response.status_code, h1(response)) == (404, "We could not find that page")


# Navigation


def organisation_links(response: HttpResponse) -> list[tuple[str, str]]:
    [nav] = find(response, "ul", class_="navbar-nav me-auto")
    return [
        (text_of(link), dict(link.attributes)["href"])
        for link in find(nav, "a")
        if dict(link.attributes)["href"] == "/organisations/"
    ]


@pytest.mark.parametrize("person", ["admin", "coordinator", "lead", "finance"])
def test_navigation_shows_organisations_to_staff(world: World, person: str) -> None:
    response = signed_in(getattr(world, person)).get("/organisations/")

    assert organisation_links(response) == [("Organisations", "/organisations/")]


@pytest.mark.parametrize("person", ["volunteer", "outsider"])
def test_navigation_hides_organisations_from_others(world: World, person: str) -> None:
    response = signed_in(getattr(world, person)).get(reverse("account_email"))

    assert organisation_links(response) == []


def test_navigation_is_empty_for_anonymous_visitors(db: None) -> None:
    response = Client().get("/")

    [nav] = find(response, "ul", class_="navbar-nav me-auto")
    assert find(nav, "a") == []


# Admins changing their own roles


def test_remove_own_admin_role_lands_on_a_page_the_admin_can_open(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.university, role=Role.ADMIN)
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    response = signed_in(world.admin).post(remove_url(membership), follow=True)

    assert roles_of(world.admin, world.university) == []
    assert (response.status_code, messages_on(response)) == (
        200,
        [f"{world.admin} no longer has the Organisation admin role."],
    )


def test_change_own_admin_role_lands_on_a_page_the_admin_can_open(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.university, role=Role.ADMIN)
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    response = signed_in(world.admin).post(change_role_url(membership), {"role": Role.COORDINATOR}, follow=True)

    assert roles_of(world.admin, world.university) == ["coordinator"]
    assert (response.status_code, messages_on(response)) == (200, [f"{world.admin} is now coordinator."])
