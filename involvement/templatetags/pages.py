"""Template tags for the one pagination include (``includes/_pagination.html``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import template
from django.core.paginator import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], number: int) -> str:
    """The current address's query with ``page`` set to ``number`` (every other parameter kept)."""
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        return f"?page={number}"
    query["page"] = str(number)
    return f"?{query.urlencode()}"


@register.simple_tag
def page_numbers(page: Page) -> Iterator[int | str]:
    """The page numbers to offer, with an ellipsis where many are left out."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
