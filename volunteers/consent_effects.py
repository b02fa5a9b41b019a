"""What withdrawing a consent does elsewhere: a registry that later apps add to.

Withdrawing "share my story" while booked into a session that needs it must cancel that place and
tell the coordinator. ``volunteers`` cannot know about sessions (they build on volunteers), so an
app registers, in its ``AppConfig.ready``, how to say beforehand what a withdrawal will change
(``preview``: sentences for the person confirming it) and how to carry it out (``apply``: called
by ``services.withdraw_consent`` in the same transaction, after the withdrawal is recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from volunteers.models import ConsentPurpose, VolunteerProfile


@dataclass(frozen=True)
class WithdrawalEffects:
    name: str
    preview: Callable[[VolunteerProfile, ConsentPurpose, Organisation], list[str]]
    apply: Callable[[VolunteerProfile, ConsentPurpose, Organisation, User], None]


_EFFECTS: dict[str, WithdrawalEffects] = {}


def register_withdrawal_effects(effects: WithdrawalEffects) -> None:
    _EFFECTS[effects.name] = effects


def withdrawal_consequences(profile: VolunteerProfile, purpose: ConsentPurpose, network: Organisation) -> list[str]:
    """What withdrawing ``purpose`` given to ``network`` would change, in words (empty: nothing)."""
    return [line for effects in _EFFECTS.values() for line in effects.preview(profile, purpose, network)]


def apply_withdrawal(profile: VolunteerProfile, purpose: ConsentPurpose, network: Organisation, actor: User) -> None:
    for effects in _EFFECTS.values():
        effects.apply(profile, purpose, network, actor)
