"""Access-table entries for the sessions coordinator pages (see tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from sessions_app.models import TeachingSession
from tests.access import Access
from tests.conftest import World
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory, session_at


def a_session(world: World) -> dict[str, Any]:
    return {"pk": session_at(world.university, world.coordinator, status=TeachingSession.Status.DRAFT).pk}


def a_programme(world: World) -> dict[str, Any]:
    return {"pk": ProgrammeFactory(university=world.university).pk}


def a_module(world: World) -> dict[str, Any]:
    return {"pk": ModuleFactory(programme=ProgrammeFactory(university=world.university)).pk}


def _coordinator_page(name: str, kwargs: Any = None) -> Access:
    if kwargs is None:
        return Access(name, allowed="coordinator", wrong_role="lead")
    return Access(name, kwargs, allowed="coordinator", wrong_role="lead", other_org="other_coordinator")


def _scoped_page(name: str, kwargs: Any, wrong_role: str) -> Access:
    return Access(name, kwargs, allowed="coordinator", wrong_role=wrong_role, other_org="other_coordinator")


ACCESS_COORDINATOR: list[Access] = [
    _coordinator_page("sessions_app:sessions"),
    _coordinator_page("sessions_app:month"),
    _coordinator_page("sessions_app:session_new"),
    _coordinator_page("sessions_app:session", a_session),
    _coordinator_page("sessions_app:session_edit", a_session),
    _coordinator_page("sessions_app:session_copy", a_session),
    _coordinator_page("sessions_app:session_open", a_session),
    _coordinator_page("sessions_app:session_cancel", a_session),
    Access("sessions_app:programmes", allowed="coordinator", wrong_role="finance"),
    Access("sessions_app:programme_new", allowed="coordinator", wrong_role="finance"),
    _scoped_page("sessions_app:programme", a_programme, wrong_role="volunteer"),
    _scoped_page("sessions_app:programme_edit", a_programme, wrong_role="finance"),
    _scoped_page("sessions_app:module_new", a_programme, wrong_role="admin"),
    _scoped_page("sessions_app:module_edit", a_module, wrong_role="lead"),
]
