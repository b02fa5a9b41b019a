"""The access table's entry type, shared by each app's list of entries (see tests/test_access.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import World


@dataclass(frozen=True)
class Access:
    name: str
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    public: bool = False
    # World attributes of users: who gets the page, who has the wrong role, who is elsewhere.
    allowed: str | None = None
    wrong_role: str | None = None
    other_org: str | None = None
    # What the allowed user gets (some public pages answer 400 to a bad token).
    allowed_status: int = 200
    # "post" for URLs that only take a POST; the request carries no form data, so leave
    # ``allowed`` empty where an empty POST would change something (the view tests cover it).
    method: str = "get"
