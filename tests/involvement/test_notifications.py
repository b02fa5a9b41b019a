from __future__ import annotations

import datetime
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection as db_connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from involvement import notifications
from involvement.models import Notification
from involvement.notifications import (
    Outgoing,
    deliver_notification,
    deliver_notifications,
    queue_notification,
    queue_notifications,
    sweep_pending_notifications,
)
from tests.factories import MemberInvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

INVITATION_CONTEXT = {
    "organisation": "University A",
    "role": "Coordinator",
    "invited_by": "Ada Lovelace",
    "accept_url": "https://involvement.example/invitations/abc/",
    "expires_in_days": 14,
}


def queue_invitation_email(unique_key: str = "member-invitation:1", email: str = "new@example.org") -> Notification:
    return queue_notification(
        template_key="accounts/member_invitation", unique_key=unique_key, email=email, context=INVITATION_CONTEXT
    )


def test_queue_notification_delivers_on_commit_with_text_and_html(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = queue_invitation_email()

    notification.refresh_from_db()
    assert len(callbacks) == 1
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.org"]
    assert message.subject == "You are invited to join University A on Involvement"
    assert "https://involvement.example/invitations/abc/" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert '<a href="https://involvement.example/invitations/abc/">' in message.alternatives[0][0]


def test_queue_notification_rolled_back_with_its_cause_sends_nothing(django_capture_on_commit_callbacks):
    def cause_that_fails() -> None:
        with transaction.atomic():
            queue_invitation_email()
            raise RuntimeError("the cause failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        cause_that_fails()

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_queue_notification_same_unique_key_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_invitation_email()
        second = queue_invitation_email()

    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_queue_notification_uses_recipient_address():
    user = UserFactory(email="siân@example.org")

    notification = queue_notification(
        template_key="accounts/member_invitation", unique_key="k", recipient=user, context=INVITATION_CONTEXT
    )

    assert notification.email == "siân@example.org"
    assert notification.recipient == user


def test_queue_notification_without_address_is_refused():
    with pytest.raises(ValueError, match="needs a recipient"):
        queue_notification(template_key="accounts/member_invitation", unique_key="k", context={})


def test_deliver_notification_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notification = queue_invitation_email()

    first = deliver_notification(notification_id=notification.pk)
    second = deliver_notification(notification_id=notification.pk)

    assert (first, second) == (Notification.Status.SENT, Notification.Status.SENT)
    assert len(mail.outbox) == 1


def test_deliver_notification_unknown_id_returns_none():
    assert deliver_notification(notification_id=999_999) is None


def test_deliver_notification_mail_failure_is_recorded_then_marked_failed(settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=False):
        notification = queue_invitation_email()

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("smtp down")):
        first = deliver_notification(notification_id=notification.pk)
        notification.refresh_from_db()
        assert first == Notification.Status.PENDING
        assert notification.attempts == 1
        assert notification.last_error == "ConnectionRefusedError: smtp down"
        second = deliver_notification(notification_id=notification.pk)

    notification.refresh_from_db()
    assert second == Notification.Status.FAILED
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 2
    assert mail.outbox == []


def test_broker_outage_leaves_row_pending_and_the_sweep_delivers_it(django_capture_on_commit_callbacks):
    broker_down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("involvement.tasks.task_deliver_notification.delay", side_effect=broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = queue_invitation_email()

    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert mail.outbox == []

    with time_machine.travel(datetime.timedelta(minutes=3)):
        queued = sweep_pending_notifications()

    notification.refresh_from_db()
    assert queued == 1
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1


def test_sweep_leaves_recent_and_sent_rows_alone(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_invitation_email(unique_key="sent")
    with django_capture_on_commit_callbacks(execute=False):
        queue_invitation_email(unique_key="recent")

    assert sweep_pending_notifications() == 0
    assert len(mail.outbox) == 1


def test_account_message_content_is_cleared_after_delivery(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = queue_notification(
            template_key="account.password_reset_key",
            unique_key="account:1",
            email="someone@example.org",
            context={"subject": "Reset your password", "text": "Your link: https://x/reset/secret/", "html": ""},
        )

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.context == {}
    assert mail.outbox[0].subject == "Reset your password"
    assert "https://x/reset/secret/" in mail.outbox[0].alternatives[0][0]


def test_invitation_email_queued_by_a_service_arrives(django_capture_on_commit_callbacks):
    invitation = MemberInvitationFactory()

    with django_capture_on_commit_callbacks(execute=True):
        queue_notification(
            template_key="accounts/member_invitation",
            unique_key=f"member-invitation:{invitation.pk}",
            email=invitation.email,
            context=INVITATION_CONTEXT,
        )

    assert [message.to for message in mail.outbox] == [[invitation.email]]


# In bulk: queued together, delivered over one connection, swept until done -----------------------


class CountingBackend(locmem.EmailBackend):
    """The test mail backend, counting the connections opened."""

    opened = 0

    def open(self) -> bool:
        CountingBackend.opened += 1
        return True


def test_queue_notifications_writes_each_once_and_publishes_per_batch(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(notifications, "DELIVERY_BATCH", 2)
    published: list[list[int]] = []
    monkeypatch.setattr("involvement.tasks.task_deliver_notifications.delay", published.append)
    queue_invitation_email(unique_key="invite:2")
    emails = [
        Outgoing(template_key="accounts/member_invitation", unique_key=f"invite:{n}", email=f"n{n}@example.org")
        for n in range(1, 6)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        written = queue_notifications(emails)

    assert written == 4
    assert Notification.objects.filter(unique_key__startswith="invite:").count() == 5
    assert [len(ids) for ids in published] == [1, 2, 1]
    assert Notification.objects.get(unique_key="invite:2").email == "new@example.org"


def test_deliver_notifications_sends_a_batch_over_one_connection(settings):
    settings.EMAIL_BACKEND = "tests.involvement.test_notifications.CountingBackend"
    CountingBackend.opened = 0
    with mock.patch("involvement.tasks.task_deliver_notification.delay"):
        rows = [queue_invitation_email(unique_key=f"invite:{n}", email=f"n{n}@example.org") for n in range(4)]

    outcomes = deliver_notifications(notification_ids=[row.pk for row in rows])

    assert outcomes == {Notification.Status.SENT: 4}
    assert CountingBackend.opened == 1
    assert sorted(message.to[0] for message in mail.outbox) == [f"n{n}@example.org" for n in range(4)]
    assert deliver_notifications(notification_ids=[row.pk for row in rows]) == {Notification.Status.SENT: 4}
    assert len(mail.outbox) == 4


def test_deliver_notifications_marks_each_row_in_one_statement(settings):
    with mock.patch("involvement.tasks.task_deliver_notification.delay"):
        rows = [queue_invitation_email(unique_key=f"invite:{n}", email=f"n{n}@example.org") for n in range(3)]

    with CaptureQueriesContext(db_connection) as queries:
        outcomes = deliver_notifications(notification_ids=[row.pk for row in rows])

    statements = [query["sql"] for query in queries.captured_queries if "involvement_notification" in query["sql"]]
    assert outcomes == {Notification.Status.SENT: 3}
    assert [sql.split()[0] for sql in statements] == ["SELECT", "UPDATE", "UPDATE", "UPDATE"]
    assert not any("FOR UPDATE" in sql for sql in statements)
    assert list(Notification.objects.order_by("pk").values_list("status", "attempts")) == [("sent", 1)] * 3
    assert len(mail.outbox) == 3


def test_deliver_notifications_records_a_failed_send_and_sends_the_rest(settings):
    settings.EMAIL_BACKEND = "tests.involvement.test_notifications.CountingBackend"
    CountingBackend.opened = 0
    with mock.patch("involvement.tasks.task_deliver_notification.delay"):
        rows = [queue_invitation_email(unique_key=f"invite:{n}", email=f"n{n}@example.org") for n in range(3)]
    real_send = locmem.EmailBackend.send_messages

    def refuse_the_second(self, messages):  # type: ignore[no-untyped-def]
        if messages[0].to == ["n1@example.org"]:
            raise ConnectionRefusedError("smtp down")
        return real_send(self, messages)

    with mock.patch.object(CountingBackend, "send_messages", refuse_the_second):
        outcomes = deliver_notifications(notification_ids=[row.pk for row in rows])

    assert outcomes == {Notification.Status.SENT: 2, Notification.Status.PENDING: 1}
    assert list(Notification.objects.order_by("pk").values_list("status", "attempts", "last_error")) == [
        ("sent", 1, ""),
        ("pending", 1, "ConnectionRefusedError: smtp down"),
        ("sent", 1, ""),
    ]
    assert sorted(message.to[0] for message in mail.outbox) == ["n0@example.org", "n2@example.org"]
    assert CountingBackend.opened == 2  # reopened after the failure


def test_deliver_notifications_sends_a_row_changed_since_the_batch_read_it_as_it_is_now():
    with mock.patch("involvement.tasks.task_deliver_notification.delay"):
        row = queue_invitation_email()
    real_render = notifications.render_notification
    changed = []

    def change_it_first(notification: Notification):  # type: ignore[no-untyped-def]
        if not changed:  # as if the row were edited between the batch's read and its mark
            changed.append(notification.pk)
            Notification.objects.filter(pk=notification.pk).update(
                context={**INVITATION_CONTEXT, "organisation": "University B"}, updated_at=timezone.now()
            )
        return real_render(notification)

    with mock.patch.object(notifications, "render_notification", change_it_first):
        outcomes = deliver_notifications(notification_ids=[row.pk])

    assert outcomes == {Notification.Status.SENT: 1}
    [message] = mail.outbox
    assert "University B" in message.body
    assert "University A" not in message.body
    assert Notification.objects.get(pk=row.pk).attempts == 1


def test_sweep_requeues_every_pending_row_in_batches_until_done(monkeypatch):
    monkeypatch.setattr(notifications, "DELIVERY_BATCH", 2)
    published: list[list[int]] = []
    with mock.patch("involvement.tasks.task_deliver_notification.delay"):
        rows = [queue_invitation_email(unique_key=f"invite:{n}", email=f"n{n}@example.org") for n in range(5)]
    monkeypatch.setattr("involvement.tasks.task_deliver_notifications.delay", published.append)

    with time_machine.travel(datetime.timedelta(minutes=3)):
        queued = sweep_pending_notifications(batch_size=3)

    assert queued == 5
    assert [len(ids) for ids in published] == [2, 1, 2]
    assert sorted(pk for ids in published for pk in ids) == sorted(row.pk for row in rows)
