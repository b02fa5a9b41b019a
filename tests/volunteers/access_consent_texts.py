"""Access-table entries for the volunteers app's consent texts pages (see tests/test_access.py).

Consent wording belongs to the organisation whose volunteers give it: an org admin opens the
list (their organisations' wording) and publishes for an organisation they administer. Another
organisation's admin finds that organisation's publishing page missing (404).
"""

from __future__ import annotations

from typing import Any

from tests.access import Access
from tests.conftest import World
from volunteers.services import ensure_consent_purposes


def own_wording(world: World) -> dict[str, Any]:
    """University A's wording (``world.admin`` administers it; ``world.other_admin`` does not)."""
    ensure_consent_purposes()
    return {"network": world.university.slug, "code": "share-story"}


ACCESS_CONSENT_TEXTS: list[Access] = [
    # Every org admin has a list (of their own organisations): there is no other organisation's list.
    Access("volunteers:consent_purposes", allowed="admin", wrong_role="coordinator", other_org=None),
    Access("volunteers:consent_text_new", own_wording, allowed="admin", wrong_role="lead", other_org="other_admin"),
]
