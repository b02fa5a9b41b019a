from unittest import mock

import pytest
from django.db import DatabaseError

from tests.factories import MemberInvitationFactory

pytestmark = pytest.mark.django_db


def test_health_reports_database_broker_and_pending_notifications(client):
    with mock.patch("involvement.views._broker_status", return_value="ok"):
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "pending_notifications": 0}


def test_health_counts_pending_notifications(client, django_capture_on_commit_callbacks):
    from involvement.notifications import queue_notification

    invitation = MemberInvitationFactory()
    with django_capture_on_commit_callbacks(execute=False):
        queue_notification(
            template_key="accounts/member_invitation", unique_key="x", email=invitation.email, context={}
        )

    with mock.patch("involvement.views._broker_status", return_value="ok"):
        response = client.get("/health/")

    assert response.json()["pending_notifications"] == 1


def test_health_with_broker_down_is_degraded_but_up(client):
    with mock.patch("involvement.views._broker_status", return_value="unavailable"):
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "broker": "unavailable",
        "pending_notifications": 0,
    }


def test_health_with_database_down_is_503_without_details(client):
    with (
        mock.patch("involvement.views._broker_status", return_value="ok"),
        mock.patch("involvement.views.connection.cursor", side_effect=DatabaseError("password=hunter2 refused")),
    ):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unavailable",
        "broker": "ok",
        "pending_notifications": None,
    }
    assert b"hunter2" not in response.content


def test_broker_status_reports_unreachable_broker(settings):
    from involvement.celery import app
    from involvement.views import _broker_status

    with mock.patch.object(app, "connection_for_write", side_effect=ConnectionRefusedError("refused")):
        assert _broker_status() == "unavailable"
