"""What is covered: what a volunteer will be paid, and what the university arranges, for a
session, said before they accept. A registry: ``expenses`` knows the rates and registers the
lines (``sessions_app`` builds below it and cannot ask it directly)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessions_app.models import Booking, TeachingSession
    from volunteers.models import VolunteerProfile


@dataclass(frozen=True)
class CoveredItem:
    """One sentence for the volunteer, with a link to read more (``url``, absolute) or none."""

    text: str
    url: str = ""


# (session, booking or None, the volunteer whose own preferences may be used or None) -> items.
CoveredProvider = Callable[["TeachingSession", "Booking | None", "VolunteerProfile | None"], list[CoveredItem]]
_PROVIDERS: list[CoveredProvider] = []


def register_covered(provider: CoveredProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def what_is_covered(
    session: TeachingSession, booking: Booking | None = None, *, for_volunteer: VolunteerProfile | None = None
) -> list[CoveredItem]:
    """Every registered line for ``session``. ``for_volunteer`` is given only when the volunteer
    themself reads it (their payment preference is special-category data: never shown to anyone
    else holding an invitation link)."""
    return [item for provider in _PROVIDERS for item in provider(session, booking, for_volunteer)]
