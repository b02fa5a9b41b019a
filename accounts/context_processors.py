from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.navigation import navigation_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The role navigation, computed only when a template uses it."""
    return {"nav": SimpleLazyObject(lambda: navigation_for(request.user))}
