"""Access-table entries for the volunteers app's consent texts pages (see tests/test_access.py).

The purposes are shared by every organisation, so any org admin may open these pages: there is
no "other organisation" to be refused.
"""

from __future__ import annotations

from typing import Any

from tests.access import Access
from tests.conftest import World
from volunteers.services import ensure_consent_purposes


def purpose_code(world: World) -> dict[str, Any]:
    ensure_consent_purposes()
    return {"code": "share-story"}


ACCESS_CONSENT_TEXTS: list[Access] = [
    Access("volunteers:consent_purposes", allowed="admin", wrong_role="coordinator", other_org=None),
    Access("volunteers:consent_text_new", purpose_code, allowed="admin", wrong_role="lead", other_org=None),
]
