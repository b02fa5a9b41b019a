"""Role navigation. Apps register their entries in ``AppConfig.ready``; accounts imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

from accounts.permissions import has_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    order: int
    roles: frozenset[str] = frozenset()
    # Shown when this returns True (for people without a staff role, such as volunteers).
    visible: Callable[[User], bool] | None = None

    def shows_for(self, user: User) -> bool:
        if self.visible is not None and self.visible(user):
            return True
        return bool(self.roles) and has_role(user, self.roles)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str


_REGISTRY: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry not in _REGISTRY:
        _REGISTRY.append(entry)


def navigation_for(user: User | AnonymousUser) -> list[NavLink]:
    """The links this person's roles give them, in order."""
    if not user.is_authenticated:
        return []
    entries = sorted((entry for entry in _REGISTRY if entry.shows_for(user)), key=lambda entry: entry.order)
    return [NavLink(entry.label, reverse(entry.url_name)) for entry in entries]
