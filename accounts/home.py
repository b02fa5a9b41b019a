"""Where "home" sends each person. Apps register a route per role in ``AppConfig.ready``.

The first route (lowest order) that applies to the person wins; someone no route applies to
sees the account dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class HomeRoute:
    order: int
    name: str
    url_for: Callable[[User], str | None]


_ROUTES: list[HomeRoute] = []


def register_home(route: HomeRoute) -> None:
    if all(existing.name != route.name for existing in _ROUTES):
        _ROUTES.append(route)


def home_url_for(user: User) -> str | None:
    """The page this person came for, or None for the dashboard."""
    for route in sorted(_ROUTES, key=lambda route: route.order):
        url = route.url_for(user)
        if url:
            return url
    return None
