"""Platform pages: the health check and the error pages."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from involvement.celery import app as celery_app
from involvement.models import Notification

logger = logging.getLogger(__name__)


def _broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # noqa: BLE001 -- any broker failure is reported as "unavailable"
        logger.warning("Health check: broker unavailable.", exc_info=True)
        return "unavailable"
    return "ok"


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Database and broker status and the outbox backlog, for monitoring. No secrets."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        pending: int | None = Notification.objects.pending().count()
        database = "ok"
    except DatabaseError:
        logger.exception("Health check: database unavailable.")
        database, pending = "unavailable", None
    broker = _broker_status()
    healthy = database == "ok"
    body = {
        "status": "ok" if healthy and broker == "ok" else ("degraded" if healthy else "unavailable"),
        "database": database,
        "broker": broker,
        "pending_notifications": pending,
    }
    return JsonResponse(body, status=200 if healthy else 503)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the database may be the thing that failed.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
