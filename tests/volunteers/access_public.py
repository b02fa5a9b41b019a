"""Access-table entries for the volunteers app's public pages (see tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from tests.access import Access
from tests.conftest import World


def network_slug(world: World) -> dict[str, Any]:
    return {"slug": world.charity.slug}


ACCESS_PUBLIC: list[Access] = [
    Access("volunteers:networks", public=True, allowed="outsider"),
    Access("volunteers:network", network_slug, public=True, allowed="outsider"),
    Access("volunteers:apply", network_slug, public=True, allowed="outsider"),
    Access("volunteers:applied", network_slug, public=True, allowed="outsider"),
]
