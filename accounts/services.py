"""Changes to memberships and invitations. Views, the admin and commands call these."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import MemberInvitation, Membership, Organisation, User
from accounts.permissions import forget_roles
from involvement.activity import record_activity
from involvement.errors import DomainError
from involvement.links import absolute_url
from involvement.notifications import queue_notification
from involvement.retention import in_batches

INVITATION_SALT = "accounts.member-invitation"
INVITATION_MAX_AGE_DAYS = 14


class AccountsError(DomainError):
    """A rule about memberships was broken; the message is safe to show."""


def invitation_token(invitation: MemberInvitation) -> str:
    """A signed token for the invitation link; it expires after ``INVITATION_MAX_AGE_DAYS``."""
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT, compress=True)


def invitation_from_token(token: str) -> MemberInvitation:
    """The invitation a link names. Raises AccountsError when tampered with, expired or withdrawn."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE_DAYS * 24 * 60 * 60)
    except signing.SignatureExpired as error:
        raise AccountsError("This invitation link has expired. Please ask for a new invitation.") from error
    except signing.BadSignature as error:
        raise AccountsError("This invitation link is not valid. Please check you copied all of it.") from error
    invitation = (
        MemberInvitation.objects.select_related("organisation", "invited_by")
        .filter(pk=payload.get("invitation"))
        .first()
    )
    if invitation is None or invitation.status == MemberInvitation.Status.REVOKED:
        raise AccountsError("This invitation has been withdrawn.")
    return invitation


@transaction.atomic
def invite_member(*, organisation: Organisation, email: str, role: str, invited_by: User) -> MemberInvitation:
    """Invite ``email`` to hold ``role`` in ``organisation`` and email them a signed link.

    Raises AccountsError when that person already holds the role or has a pending invitation
    for it. Records ``membership.invited`` and queues the invitation email on commit.
    """
    email = User.objects.normalize_email(email).strip()
    if Membership.objects.filter(organisation=organisation, role=role, user__email__iexact=email).exists():
        raise AccountsError(f"{email} already holds this role at {organisation}.")
    if MemberInvitation.objects.filter(
        organisation=organisation, role=role, email__iexact=email, status=MemberInvitation.Status.PENDING
    ).exists():
        raise AccountsError(f"{email} has already been invited to this role and has not answered yet.")
    invitation = MemberInvitation.objects.create(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    record_activity(
        actor=invited_by,
        action="membership.invited",
        target=invitation,
        organisation=organisation,
        data={"role": role},
    )
    queue_notification(
        template_key="accounts/member_invitation",
        unique_key=f"member-invitation:{invitation.pk}",
        email=email,
        recipient=User.objects.filter(email__iexact=email).first(),
        context={
            "organisation": organisation.name,
            "role": invitation.get_role_display(),
            "invited_by": invited_by.get_full_name(),
            "accept_url": absolute_url(reverse("accounts:invitation", kwargs={"token": invitation_token(invitation)})),
            "expires_in_days": INVITATION_MAX_AGE_DAYS,
        },
    )
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: MemberInvitation, user: User) -> Membership:
    """Give ``user`` the invited role. Idempotent for the person who already accepted.

    Raises AccountsError when the invitation was withdrawn, accepted by someone else, or sent
    to a different email address. Records ``membership.joined``.
    """
    invitation = MemberInvitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    if invitation.status == MemberInvitation.Status.REVOKED:
        raise AccountsError("This invitation has been withdrawn.")
    if invitation.email.casefold() != user.email.casefold():
        raise AccountsError(
            f"This invitation was sent to {invitation.email}. Please sign in with that address to accept it."
        )
    if invitation.status == MemberInvitation.Status.ACCEPTED and invitation.accepted_by_id != user.pk:
        raise AccountsError("This invitation has already been used.")
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, role=invitation.role
    )
    if invitation.status == MemberInvitation.Status.PENDING:
        invitation.status = MemberInvitation.Status.ACCEPTED
        invitation.accepted_by = user
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["status", "accepted_by", "answered_at", "updated_at"])
    if created:
        record_activity(
            actor=user,
            action="membership.joined",
            target=membership,
            organisation=invitation.organisation,
            data={"role": invitation.role, "invitation": invitation.pk},
        )
    forget_roles(user)
    return membership


@transaction.atomic
def revoke_invitation(*, invitation: MemberInvitation, actor: User) -> MemberInvitation:
    """Withdraw a pending invitation so its link no longer works. Records ``membership.invitation_revoked``."""
    invitation = MemberInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != MemberInvitation.Status.PENDING:
        raise AccountsError("Only an invitation that has not been answered can be withdrawn.")
    invitation.status = MemberInvitation.Status.REVOKED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at", "updated_at"])
    record_activity(
        actor=actor, action="membership.invitation_revoked", target=invitation, organisation=invitation.organisation
    )
    return invitation


def _check_not_last_admin(membership: Membership) -> None:
    if membership.role != Membership.Role.ADMIN:
        return
    admins = Membership.objects.select_for_update().filter(
        organisation_id=membership.organisation_id, role=Membership.Role.ADMIN
    )
    if admins.exclude(pk=membership.pk).count() == 0:
        raise AccountsError("An organisation needs at least one admin. Make someone else an admin first.")


@transaction.atomic
def change_membership_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Change the role a membership gives. Raises AccountsError for a duplicate or the last admin."""
    membership = Membership.objects.select_for_update().select_related("organisation", "user").get(pk=membership.pk)
    if membership.role == role:
        return membership
    if Membership.objects.filter(user=membership.user, organisation=membership.organisation, role=role).exists():
        raise AccountsError(f"{membership.user} already holds that role here.")
    _check_not_last_admin(membership)
    previous = membership.role
    membership.role = role
    try:
        with transaction.atomic():
            membership.save(update_fields=["role", "updated_at"])
    except IntegrityError as error:
        raise AccountsError(f"{membership.user} already holds that role here.") from error
    record_activity(
        actor=actor,
        action="membership.role_changed",
        target=membership,
        organisation=membership.organisation,
        data={"from": previous, "to": role, "user": membership.user_id},
    )
    forget_roles(membership.user)
    return membership


@transaction.atomic
def remove_membership(*, membership: Membership, actor: User) -> None:
    """Remove a role from someone. Raises AccountsError for the organisation's last admin."""
    membership = Membership.objects.select_for_update().select_related("organisation", "user").get(pk=membership.pk)
    _check_not_last_admin(membership)
    record_activity(
        actor=actor,
        action="membership.removed",
        target=membership,
        organisation=membership.organisation,
        data={"role": membership.role, "user": membership.user_id},
    )
    membership.delete()
    forget_roles(membership.user)


# Retention ---------------------------------------------------------------------------------------


def delete_expired_sign_ins(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """The retention rule for sign-ins: every expired session (``django_session``: who was signed
    in, how and when) and every expired entry of a database cache (``involvement_cache``: the
    sign-in throttles, keyed by email hash or IP address, and the two-factor codes already used) is
    deleted. Each lasts only as long as it is needed (a session its ``expire_date``, a throttle its
    window of ``ACCOUNT_RATE_LIMITS``, at most a day), but neither Django nor its database cache
    removes them below a million rows. In batches; returns how many rows were deleted."""
    now = now or timezone.now()

    def delete_sessions(keys: list[str]) -> None:
        Session.objects.filter(pk__in=keys).delete()

    deleted = in_batches(Session.objects.filter(expire_date__lt=now), delete_sessions, batch_size=batch_size)
    for table in _database_cache_tables():
        deleted += _delete_expired_cache_entries(table, now, batch_size or settings.RETENTION_BATCH)
    return deleted


def _database_cache_tables() -> list[str]:
    return sorted(
        {
            str(cache["LOCATION"])
            for cache in settings.CACHES.values()
            if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
        }
    )


def _delete_expired_cache_entries(table: str, now: datetime.datetime, batch_size: int) -> int:
    """Delete ``table``'s entries expired before ``now``, ``batch_size`` keys per transaction (two
    statements each)."""
    quoted = connection.ops.quote_name(table)
    expires = connection.ops.adapt_datetimefield_value(now)
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT cache_key FROM {quoted} WHERE expires < %s ORDER BY cache_key LIMIT %s",  # noqa: S608 -- table name: a setting, quoted  # nosec B608
                [expires, batch_size],
            )
            keys = [row[0] for row in cursor.fetchall()]
            if not keys:
                return deleted
            placeholders = ", ".join(["%s"] * len(keys))
            # Only if still expired: an entry set again meanwhile (a new throttle window) stays.
            cursor.execute(
                f"DELETE FROM {quoted} WHERE cache_key IN ({placeholders}) AND expires < %s",  # noqa: S608 -- as above  # nosec B608
                [*keys, expires],
            )
        deleted += len(keys)
