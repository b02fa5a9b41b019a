"""accounts.services: invitations, memberships and the rules that guard them."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from pytest_django.asserts import assertInHTML

from accounts.models import MemberInvitation, Membership, User
from accounts.permissions import has_role, roles_by_organisation
from accounts.services import (
    INVITATION_MAX_AGE_DAYS,
    AccountsError,
    accept_invitation,
    change_membership_role,
    invitation_from_token,
    invitation_token,
    invite_member,
    remove_membership,
    revoke_invitation,
)
from involvement.models import ActivityLog, Notification
from tests import factories
from tests.conftest import World

Role = Membership.Role
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)

TAMPERED_MESSAGE = "This invitation link is not valid. Please check you copied all of it."
EXPIRED_MESSAGE = "This invitation link has expired. Please ask for a new invitation."
WITHDRAWN_MESSAGE = "This invitation has been withdrawn."


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    """Time stands still, so tokens and timestamps made in a test are predictable."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def activity(action: str) -> list[ActivityLog]:
    return list(ActivityLog.objects.filter(action=action).order_by("pk"))


def roles_of(user: User, organisation: object) -> list[str]:
    return sorted(Membership.objects.filter(user=user, organisation=organisation).values_list("role", flat=True))


# invite_member


def test_invite_member_creates_pending_invitation(world: World, frozen: object) -> None:
    invitation = invite_member(
        organisation=world.university, email="ann@example.org", role=Role.COORDINATOR, invited_by=world.admin
    )

    invitation.refresh_from_db()
    assert (
        invitation.organisation,
        invitation.email,
        invitation.role,
        invitation.invited_by,
        invitation.status,
        invitation.accepted_by,
        invitation.answered_at,
        invitation.created_at,
    ) == (world.university, "ann@example.org", Role.COORDINATOR, world.admin, "pending", None, None, NOW)


def test_invite_member_queues_the_invitation_notification(world: World, frozen: object) -> None:
    invitation = invite_member(
        organisation=world.university, email="ann@example.org", role=Role.FINANCE, invited_by=world.admin
    )

    notification = Notification.objects.get()
    token = invitation_token(invitation)
    assert (
        notification.template_key,
        notification.unique_key,
        notification.email,
        notification.recipient,
        notification.status,
    ) == ("accounts/member_invitation", f"member-invitation:{invitation.pk}", "ann@example.org", None, "pending")
    assert notification.context == {
        "organisation": "University A",
        "role": "Finance officer",
        "invited_by": world.admin.get_full_name(),
        "accept_url": f"{settings.SITE_URL}/invitations/{token}/",
        "expires_in_days": 14,
    }


def test_invite_member_links_the_notification_to_an_existing_account(world: World) -> None:
    invite_member(organisation=world.university, email="Outsider@Example.org", role=Role.LEAD, invited_by=world.admin)

    notification = Notification.objects.get()
    assert (notification.recipient, notification.email) == (world.outsider, "Outsider@example.org")


def test_invite_member_accept_url_names_the_invitation(world: World) -> None:
    invitation = invite_member(
        organisation=world.university, email="ann@example.org", role=Role.COORDINATOR, invited_by=world.admin
    )

    accept_url = Notification.objects.get().context["accept_url"]
    prefix = f"{settings.SITE_URL}/invitations/"
    assert accept_url.startswith(prefix)
    assert invitation_from_token(accept_url.removeprefix(prefix).removesuffix("/")) == invitation


def test_invite_member_records_activity(world: World) -> None:
    invitation = invite_member(
        organisation=world.university, email="ann@example.org", role=Role.ADMIN, invited_by=world.admin
    )

    [log] = activity("membership.invited")
    assert (log.actor, log.content_type, log.object_id, log.organisation, log.data) == (
        world.admin,
        ContentType.objects.get_for_model(MemberInvitation),
        str(invitation.pk),
        world.university,
        {"role": "admin"},
    )


def test_invite_member_delivers_the_email_on_commit(world: World, django_capture_on_commit_callbacks) -> None:
    world.admin.name = "Aisha Rahman"
    world.admin.save(update_fields=["name"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invite_member(
            organisation=world.university, email="ann@example.org", role=Role.COORDINATOR, invited_by=world.admin
        )

    accept_url = Notification.objects.get().context["accept_url"]
    [message] = mail.outbox
    [(html, mimetype)] = message.alternatives
    assert len(callbacks) == 1
    assert (message.to, message.from_email, message.subject, mimetype) == (
        ["ann@example.org"],
        settings.DEFAULT_FROM_EMAIL,
        "You are invited to join University A on Involvement",
        "text/html",
    )
    assert message.body == (
        "Hello,\n"
        "\n"
        "Aisha Rahman has invited you to be coordinator at University A on Involvement.\n"
        "\n"
        "To accept, open this link (it works for 14 days):\n"
        f"{accept_url}\n"
        "\n"
        "If you were not expecting this, you can ignore this email.\n"
    )
    assertInHTML(f'<a href="{accept_url}">Accept the invitation</a>', html)
    assert Notification.objects.get().status == Notification.Status.SENT


def test_invite_member_sends_nothing_before_commit(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite_member(
            organisation=world.university, email="ann@example.org", role=Role.COORDINATOR, invited_by=world.admin
        )

    assert (len(callbacks), mail.outbox, Notification.objects.get().status) == (1, [], "pending")


def test_invite_member_email_keeps_apostrophes_in_plain_text(django_capture_on_commit_callbacks, db: None) -> None:
    organisation = factories.CharityFactory(name="Carers' Circle")
    admin = factories.staff(Role.ADMIN, organisation, name="Siân O'Brien")

    with django_capture_on_commit_callbacks(execute=True):
        invite_member(organisation=organisation, email="ann@example.org", role=Role.LEAD, invited_by=admin)

    [message] = mail.outbox
    assert message.subject == "You are invited to join Carers' Circle on Involvement"
    assert message.body.splitlines()[2] == "Siân O'Brien has invited you to be lead at Carers' Circle on Involvement."


def test_invite_member_normalises_the_email(world: World) -> None:
    invitation = invite_member(
        organisation=world.university, email="  Ann.Smith@EXAMPLE.Org ", role=Role.COORDINATOR, invited_by=world.admin
    )

    assert (invitation.email, Notification.objects.get().email) == ("Ann.Smith@example.org", "Ann.Smith@example.org")


def test_invite_member_refuses_someone_already_holding_the_role(world: World) -> None:
    with pytest.raises(AccountsError) as raised:
        invite_member(
            organisation=world.university,
            email="COORDINATOR@A.example.org",
            role=Role.COORDINATOR,
            invited_by=world.admin,
        )

    assert str(raised.value) == "COORDINATOR@a.example.org already holds this role at University A."
    assert (MemberInvitation.objects.count(), Notification.objects.count(), activity("membership.invited")) == (
        0,
        0,
        [],
    )


def test_invite_member_allows_another_role_for_an_existing_member(world: World) -> None:
    invitation = invite_member(
        organisation=world.university, email="coordinator@a.example.org", role=Role.FINANCE, invited_by=world.admin
    )

    assert (invitation.role, Notification.objects.get().recipient) == (Role.FINANCE, world.coordinator)


def test_invite_member_allows_the_same_role_elsewhere(world: World) -> None:
    invitation = invite_member(
        organisation=world.other_university,
        email="coordinator@a.example.org",
        role=Role.COORDINATOR,
        invited_by=world.other_admin,
    )

    assert invitation.organisation == world.other_university


def test_invite_member_refuses_a_duplicate_pending_invitation(world: World) -> None:
    invite_member(organisation=world.university, email="ann@example.org", role=Role.LEAD, invited_by=world.admin)

    with pytest.raises(AccountsError) as raised:
        invite_member(organisation=world.university, email="ANN@example.ORG", role=Role.LEAD, invited_by=world.admin)

    assert str(raised.value) == "ANN@example.org has already been invited to this role and has not answered yet."
    assert (MemberInvitation.objects.count(), Notification.objects.count(), len(activity("membership.invited"))) == (
        1,
        1,
        1,
    )


def test_invite_member_allows_a_new_invitation_after_a_withdrawn_one(world: World) -> None:
    first = factories.MemberInvitationFactory(
        organisation=world.university, email="ann@example.org", status=MemberInvitation.Status.REVOKED
    )

    second = invite_member(
        organisation=world.university, email="ann@example.org", role=first.role, invited_by=world.admin
    )

    assert sorted(MemberInvitation.objects.values_list("pk", "status")) == [
        (first.pk, "revoked"),
        (second.pk, "pending"),
    ]


# invitation_token and invitation_from_token


def test_invitation_token_round_trips(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university)

    assert invitation_from_token(invitation_token(invitation)) == invitation


def test_invitation_from_token_refuses_a_tampered_token(world: World) -> None:
    token = invitation_token(factories.MemberInvitationFactory(organisation=world.university))
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(AccountsError) as raised:
        invitation_from_token(tampered)

    assert str(raised.value) == TAMPERED_MESSAGE


def test_invitation_from_token_refuses_garbage(db: None) -> None:
    with pytest.raises(AccountsError) as raised:
        invitation_from_token("not-a-token")

    assert str(raised.value) == TAMPERED_MESSAGE


def test_invitation_from_token_refuses_a_token_signed_for_something_else(world: World) -> None:
    from django.core import signing

    invitation = factories.MemberInvitationFactory(organisation=world.university)
    token = signing.dumps({"invitation": invitation.pk}, salt="another.purpose", compress=True)

    with pytest.raises(AccountsError) as raised:
        invitation_from_token(token)

    assert str(raised.value) == TAMPERED_MESSAGE


def test_invitation_from_token_works_until_the_last_day(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        invitation = factories.MemberInvitationFactory(organisation=world.university)
        token = invitation_token(invitation)

    with time_machine.travel(NOW + datetime.timedelta(days=INVITATION_MAX_AGE_DAYS), tick=False):
        assert invitation_from_token(token) == invitation


def test_invitation_from_token_refuses_an_expired_token(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        token = invitation_token(factories.MemberInvitationFactory(organisation=world.university))

    with (
        time_machine.travel(NOW + datetime.timedelta(days=14, seconds=1), tick=False),
        pytest.raises(AccountsError) as raised,
    ):
        invitation_from_token(token)

    assert str(raised.value) == EXPIRED_MESSAGE


def test_invitation_from_token_refuses_a_revoked_invitation(world: World) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university, status=MemberInvitation.Status.REVOKED
    )

    with pytest.raises(AccountsError) as raised:
        invitation_from_token(invitation_token(invitation))

    assert str(raised.value) == WITHDRAWN_MESSAGE


def test_invitation_from_token_refuses_a_deleted_invitation(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university)
    token = invitation_token(invitation)
    invitation.delete()

    with pytest.raises(AccountsError) as raised:
        invitation_from_token(token)

    assert str(raised.value) == WITHDRAWN_MESSAGE


def test_invitation_from_token_still_opens_an_accepted_invitation(world: World) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university,
        email=world.outsider.email,
        status=MemberInvitation.Status.ACCEPTED,
        accepted_by=world.outsider,
    )

    assert invitation_from_token(invitation_token(invitation)) == invitation


# accept_invitation


def test_accept_invitation_creates_the_membership(world: World, frozen: object) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university, email="outsider@example.org", role=Role.FINANCE
    )

    membership = accept_invitation(invitation=invitation, user=world.outsider)

    invitation.refresh_from_db()
    assert (membership.user, membership.organisation, membership.role) == (world.outsider, world.university, "finance")
    assert roles_of(world.outsider, world.university) == ["finance"]
    assert (invitation.status, invitation.accepted_by, invitation.answered_at) == ("accepted", world.outsider, NOW)


def test_accept_invitation_matches_the_email_without_regard_to_case(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university, email="OUTSIDER@example.org")

    membership = accept_invitation(invitation=invitation, user=world.outsider)

    assert membership.user == world.outsider


def test_accept_invitation_records_joined_once(world: World) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university, email="outsider@example.org", role=Role.LEAD
    )

    membership = accept_invitation(invitation=invitation, user=world.outsider)
    accept_invitation(invitation=invitation, user=world.outsider)

    [log] = activity("membership.joined")
    assert (log.actor, log.content_type, log.object_id, log.organisation, log.data) == (
        world.outsider,
        ContentType.objects.get_for_model(Membership),
        str(membership.pk),
        world.university,
        {"role": "lead", "invitation": invitation.pk},
    )


def test_accept_invitation_is_idempotent_for_the_same_user(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university, email="outsider@example.org")
    with time_machine.travel(NOW, tick=False):
        first = accept_invitation(invitation=invitation, user=world.outsider)

    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        second = accept_invitation(invitation=invitation, user=world.outsider)

    invitation.refresh_from_db()
    assert second == first
    assert Membership.objects.filter(user=world.outsider).count() == 1
    assert (invitation.status, invitation.answered_at) == ("accepted", NOW)


def test_accept_invitation_refuses_another_email(world: World) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university, email="ann@example.org")

    with pytest.raises(AccountsError) as raised:
        accept_invitation(invitation=invitation, user=world.outsider)

    invitation.refresh_from_db()
    assert str(raised.value) == (
        "This invitation was sent to ann@example.org. Please sign in with that address to accept it."
    )
    assert (roles_of(world.outsider, world.university), invitation.status, activity("membership.joined")) == (
        [],
        "pending",
        [],
    )


def test_accept_invitation_refuses_a_revoked_invitation(world: World) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university, email="outsider@example.org", status=MemberInvitation.Status.REVOKED
    )

    with pytest.raises(AccountsError) as raised:
        accept_invitation(invitation=invitation, user=world.outsider)

    invitation.refresh_from_db()
    assert str(raised.value) == WITHDRAWN_MESSAGE
    assert (roles_of(world.outsider, world.university), invitation.status, invitation.accepted_by) == (
        [],
        "revoked",
        None,
    )


def test_accept_invitation_refuses_one_used_by_someone_else(world: World) -> None:
    # The first person accepted, then changed their address; someone new now has the old one.
    earlier = factories.UserFactory(email="earlier@example.org")
    invitation = factories.MemberInvitationFactory(
        organisation=world.university,
        email="outsider@example.org",
        status=MemberInvitation.Status.ACCEPTED,
        accepted_by=earlier,
    )

    with pytest.raises(AccountsError) as raised:
        accept_invitation(invitation=invitation, user=world.outsider)

    invitation.refresh_from_db()
    assert str(raised.value) == "This invitation has already been used."
    assert (roles_of(world.outsider, world.university), invitation.accepted_by) == ([], earlier)


def test_accept_invitation_refreshes_the_cached_roles(world: World) -> None:
    invitation = factories.MemberInvitationFactory(
        organisation=world.university, email="outsider@example.org", role=Role.COORDINATOR
    )
    assert roles_by_organisation(world.outsider) == {}

    accept_invitation(invitation=invitation, user=world.outsider)

    assert has_role(world.outsider, [Role.COORDINATOR], world.university) is True


# revoke_invitation


def test_revoke_invitation_withdraws_a_pending_invitation(world: World, frozen: object) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university)
    token = invitation_token(invitation)

    revoke_invitation(invitation=invitation, actor=world.admin)

    invitation.refresh_from_db()
    [log] = activity("membership.invitation_revoked")
    assert (invitation.status, invitation.answered_at) == ("revoked", NOW)
    assert (log.actor, log.object_id, log.organisation, log.data) == (
        world.admin,
        str(invitation.pk),
        world.university,
        {},
    )
    with pytest.raises(AccountsError) as raised:
        invitation_from_token(token)
    assert str(raised.value) == WITHDRAWN_MESSAGE


@pytest.mark.parametrize("status", [MemberInvitation.Status.ACCEPTED, MemberInvitation.Status.REVOKED])
def test_revoke_invitation_refuses_an_answered_invitation(world: World, status: str) -> None:
    invitation = factories.MemberInvitationFactory(organisation=world.university, status=status)

    with pytest.raises(AccountsError) as raised:
        revoke_invitation(invitation=invitation, actor=world.admin)

    invitation.refresh_from_db()
    assert str(raised.value) == "Only an invitation that has not been answered can be withdrawn."
    assert (invitation.status, invitation.answered_at, activity("membership.invitation_revoked")) == (status, None, [])


# change_membership_role


def membership_of(user: User, role: str, organisation: object) -> Membership:
    return Membership.objects.get(user=user, role=role, organisation=organisation)


def test_change_membership_role_changes_the_role(world: World) -> None:
    membership = membership_of(world.coordinator, Role.COORDINATOR, world.university)

    changed = change_membership_role(membership=membership, role=Role.FINANCE, actor=world.admin)

    [log] = activity("membership.role_changed")
    assert (changed.pk, changed.role) == (membership.pk, "finance")
    assert roles_of(world.coordinator, world.university) == ["finance"]
    assert (log.actor, log.object_id, log.organisation, log.data) == (
        world.admin,
        str(membership.pk),
        world.university,
        {"from": "coordinator", "to": "finance", "user": world.coordinator.pk},
    )


def test_change_membership_role_same_role_is_a_no_op(world: World) -> None:
    membership = membership_of(world.coordinator, Role.COORDINATOR, world.university)

    changed = change_membership_role(membership=membership, role=Role.COORDINATOR, actor=world.admin)

    assert (changed.role, roles_of(world.coordinator, world.university), activity("membership.role_changed")) == (
        "coordinator",
        ["coordinator"],
        [],
    )


def test_change_membership_role_refuses_a_role_already_held(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.university, role=Role.FINANCE)
    membership = membership_of(world.coordinator, Role.COORDINATOR, world.university)

    with pytest.raises(AccountsError) as raised:
        change_membership_role(membership=membership, role=Role.FINANCE, actor=world.admin)

    membership.refresh_from_db()
    assert str(raised.value) == f"{world.coordinator} already holds that role here."
    assert (membership.role, roles_of(world.coordinator, world.university)) == (
        "coordinator",
        ["coordinator", "finance"],
    )
    assert activity("membership.role_changed") == []


def test_change_membership_role_refuses_to_demote_the_last_admin(world: World) -> None:
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    with pytest.raises(AccountsError) as raised:
        change_membership_role(membership=membership, role=Role.COORDINATOR, actor=world.admin)

    membership.refresh_from_db()
    assert str(raised.value) == "An organisation needs at least one admin. Make someone else an admin first."
    assert (membership.role, activity("membership.role_changed")) == ("admin", [])


def test_change_membership_role_demotes_an_admin_when_another_remains(world: World) -> None:
    factories.MembershipFactory(user=world.finance, organisation=world.university, role=Role.ADMIN)
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    change_membership_role(membership=membership, role=Role.COORDINATOR, actor=world.admin)

    assert roles_of(world.admin, world.university) == ["coordinator"]


def test_change_membership_role_ignores_admins_of_other_organisations(world: World) -> None:
    membership = membership_of(world.admin, Role.ADMIN, world.university)
    factories.MembershipFactory(user=world.admin, organisation=world.other_university, role=Role.ADMIN)

    with pytest.raises(AccountsError) as raised:
        change_membership_role(membership=membership, role=Role.COORDINATOR, actor=world.admin)

    assert str(raised.value) == "An organisation needs at least one admin. Make someone else an admin first."


# remove_membership


def test_remove_membership_removes_the_role(world: World) -> None:
    membership = membership_of(world.finance, Role.FINANCE, world.university)

    remove_membership(membership=membership, actor=world.admin)

    [log] = activity("membership.removed")
    assert roles_of(world.finance, world.university) == []
    assert User.objects.filter(pk=world.finance.pk).exists() is True
    assert (log.actor, log.object_id, log.organisation, log.data) == (
        world.admin,
        str(membership.pk),
        world.university,
        {"role": "finance", "user": world.finance.pk},
    )


def test_remove_membership_refuses_the_last_admin(world: World) -> None:
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    with pytest.raises(AccountsError) as raised:
        remove_membership(membership=membership, actor=world.admin)

    assert str(raised.value) == "An organisation needs at least one admin. Make someone else an admin first."
    assert (roles_of(world.admin, world.university), activity("membership.removed")) == (["admin"], [])


def test_remove_membership_removes_an_admin_when_another_remains(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.university, role=Role.ADMIN)
    membership = membership_of(world.admin, Role.ADMIN, world.university)

    remove_membership(membership=membership, actor=world.coordinator)

    assert (roles_of(world.admin, world.university), len(activity("membership.removed"))) == ([], 1)
