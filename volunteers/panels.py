"""Panels that later apps add to the volunteers' pages: a small registry owned by ``volunteers``.

The lead's network page, the lead's page about one volunteer and the volunteer's own home show
what other apps know (sessions taken part in, wellbeing follow-ups), though ``volunteers`` cannot
import them (they build on it). Each app registers a ``Panel`` in its ``AppConfig.ready``; the
page renders every panel that has something to show, in order, each from its own template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from volunteers.models import VolunteerProfile

# The pages that show panels.
LEAD_HOME = "lead_home"  # the lead's network list: (viewer, network, None)
LEAD_VOLUNTEER = "lead_volunteer"  # a lead's page about one volunteer: (viewer, network, profile)
VOLUNTEER_HOME = "volunteer_home"  # the volunteer's own home: (viewer, None, profile)

PanelContext = Callable[["User", "Organisation | None", "VolunteerProfile | None"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Panel:
    name: str
    page: str
    order: int
    template: str
    # What the template needs, or None to show nothing. A fixed number of queries, whatever the data.
    context: PanelContext


@dataclass(frozen=True)
class ShownPanel:
    template: str
    context: dict[str, Any]


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _PANELS[panel.name] = panel


def panels_for(
    page: str, viewer: User, *, network: Organisation | None = None, profile: VolunteerProfile | None = None
) -> list[ShownPanel]:
    """The panels of ``page`` with something to show, in order."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.name)):
        if panel.page != page:
            continue
        context = panel.context(viewer, network, profile)
        if context is not None:
            shown.append(ShownPanel(panel.template, context))
    return shown
