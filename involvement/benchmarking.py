"""What ``make bench`` (scripts/bench.py) needs from the site, only when ``BENCH_MODE`` is on:
a header with the number of database queries each request ran, and two ceiling views to compare
every page with (a tiny response, and one query with the base layout). Never on in production:
the settings add the middleware and the URLs only in bench mode.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Organisation

QUERY_COUNT_HEADER = "X-Query-Count"


class QueryCountMiddleware:
    """Counts the queries of each request on every database connection, into ``X-Query-Count``.
    First in the middleware, so the session, the user and the two-factor check are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _Counter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(counter))
            response = self.get_response(request)
        response[QUERY_COUNT_HEADER] = str(counter.queries)
        return response


class _Counter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


def tiny(request: HttpRequest) -> HttpResponse:
    """The ceiling: the least a request can cost through the whole middleware stack."""
    return HttpResponse(b"ok", content_type="text/plain")


def layout(request: HttpRequest) -> HttpResponse:
    """The other ceiling: one query of its own, and the base layout with its navigation."""
    first = Organisation.objects.order_by("pk").values_list("name", flat=True).first()
    return render(request, "involvement/bench_layout.html", {"name": first or ""})
