"""Who may do what: roles per organisation, looked up once per request.

A view that needs a role declares it with ``RoleRequiredMixin``. A user who holds none of the
roles anywhere gets 403; one who holds it in another organisation finds the object missing
(404), because objects come through querysets scoped to the user's organisations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from accounts.models import Membership, Organisation, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

Role = Membership.Role
STAFF_ROLES = frozenset(Role)

_CACHE_ATTR = "_involvement_roles"
_KINDS_ATTR = "_involvement_organisation_kinds"


def acting_user(request: HttpRequest) -> User:
    """The signed-in person making a request that RoleRequiredMixin has let through."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Please sign in.")
    return request.user


def roles_by_organisation(user: User | AnonymousUser) -> dict[int, set[str]]:
    """Every organisation id the user has a role in, with those roles (one query, then cached)."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = {}
        kinds: dict[int, str] = {}
        for organisation_id, role, kind in Membership.objects.filter(user=user).values_list(
            "organisation_id", "role", "organisation__kind"
        ):
            cached.setdefault(organisation_id, set()).add(role)
            kinds[organisation_id] = kind
        setattr(user, _CACHE_ATTR, cached)
        setattr(user, _KINDS_ATTR, kinds)
    return cached


def has_role_in_kind(user: User | AnonymousUser, roles: Iterable[str], kind: str) -> bool:
    """Whether the user holds any of ``roles`` in an organisation of ``kind`` (a university, say),
    from the same one cached query as ``roles_by_organisation``."""
    wanted = set(roles)
    by_org = roles_by_organisation(user)
    kinds: dict[int, str] = getattr(user, _KINDS_ATTR, {})
    return any(held & wanted and kinds.get(organisation_id) == kind for organisation_id, held in by_org.items())


def forget_roles(user: User) -> None:
    """Drop the cached roles after a change of membership."""
    for attribute in (_CACHE_ATTR, _KINDS_ATTR):
        if hasattr(user, attribute):
            delattr(user, attribute)


def has_role(user: User | AnonymousUser, roles: Iterable[str], organisation: Organisation | int | None = None) -> bool:
    """Whether the user holds any of ``roles``: in ``organisation`` if given, else anywhere."""
    wanted = set(roles)
    by_org = roles_by_organisation(user)
    if organisation is None:
        return any(held & wanted for held in by_org.values())
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    return bool(by_org.get(organisation_id, set()) & wanted)


def is_staff_member(user: User | AnonymousUser) -> bool:
    """Holds any staff role (coordinator, lead, finance, admin) anywhere."""
    return has_role(user, STAFF_ROLES)


def organisations_with_role(user: User, roles: Iterable[str]) -> list[int]:
    wanted = set(roles)
    return [org_id for org_id, held in roles_by_organisation(user).items() if held & wanted]


class RoleRequiredMixin(LoginRequiredMixin):
    """Sign-in required, then one of ``required_roles`` in some organisation (else 403)."""

    required_roles: Iterable[str] = ()
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, self.required_roles):
            raise PermissionDenied("Your role does not include this page.")
        return super().dispatch(request, *args, **kwargs)
