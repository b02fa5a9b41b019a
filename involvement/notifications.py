"""The outbox: every email is first a ``Notification`` row, then delivered by a Celery task.

``queue_notification`` is called inside the transaction of the change that causes the email, so
the email exists exactly when the change does. The delivery task is queued on commit; if the
broker is unreachable the row stays pending and the periodic sweep queues it again. Delivery
locks the row and sends only a pending one, so an email is neither lost nor sent twice.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from involvement.models import Notification
from involvement.retention import in_batches

logger = logging.getLogger(__name__)

# Files attached to an email, built at delivery time from the row (an .ics for a booking, say).
Attachment = tuple[str, bytes, str]
_ATTACHMENT_BUILDERS: dict[str, Callable[[Notification], list[Attachment]]] = {}


def register_attachments(template_key: str, builder: Callable[[Notification], list[Attachment]]) -> None:
    """Let an app attach files to one kind of email (called from its ``AppConfig.ready``)."""
    _ATTACHMENT_BUILDERS[template_key] = builder


# Rows with these template keys carry a pre-rendered message holding a secret (a sign-in code,
# a password-reset link); their content is cleared once delivered.
REDACT_AFTER_SENDING_PREFIX = "account."
# Emails per delivery task (one mail connection each) and per insert of a bulk queue.
DELIVERY_BATCH = 100
# Ids the sweep reads at a time.
SWEEP_BATCH = 1000


def queue_notification(
    *,
    template_key: str,
    unique_key: str,
    context: dict[str, Any] | None = None,
    recipient: User | None = None,
    email: str | None = None,
    about: User | None = None,
) -> Notification:
    """Write the email to the outbox and queue its delivery on commit.

    Idempotent by ``unique_key``: queuing the same event twice returns the first row.
    Either ``recipient`` or ``email`` names who gets it; ``about`` is the person an email to
    someone else names (erasing that person redacts it).
    """
    address = email or (recipient.email if recipient else "")
    if not address:
        raise ValueError("A notification needs a recipient with an email address.")
    notification, created = Notification.objects.get_or_create(
        unique_key=unique_key,
        defaults={
            "recipient": recipient,
            "about": about,
            "email": address,
            "template_key": template_key,
            "context": context or {},
        },
    )
    if created:
        transaction.on_commit(lambda: enqueue_delivery(notification.pk))
    return notification


def enqueue_delivery(notification_id: int) -> None:
    """Hand a notification to the broker; a broker outage is logged, never raised.

    The row stays pending, so the sweep will try again.
    """
    from involvement.tasks import task_deliver_notification

    try:
        task_deliver_notification.delay(notification_id)
    except Exception:  # noqa: BLE001 -- any broker failure must leave the page working
        logger.warning("Could not queue notification %s; the sweep will retry it.", notification_id, exc_info=True)


@dataclass(frozen=True)
class Outgoing:
    """One email for ``queue_notifications``: the arguments of ``queue_notification``."""

    template_key: str
    unique_key: str
    recipient: User | None = None
    email: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    about: User | None = None


def queue_notifications(emails: Iterable[Outgoing]) -> int:
    """``queue_notification`` for many emails at once (a periodic job's): written to the outbox in
    one insert per ``DELIVERY_BATCH``, and handed to the broker on commit as one task per batch
    (``task_deliver_notifications``), so ten thousand emails are twenty inserts and twenty
    publishes. Idempotent by ``unique_key``: an email already in the outbox is left as it is, and
    not queued again. Returns how many were written."""
    written = 0
    batch: list[Outgoing] = []
    for outgoing in emails:
        batch.append(outgoing)
        if len(batch) >= DELIVERY_BATCH:
            written += _queue_batch(batch)
            batch = []
    if batch:
        written += _queue_batch(batch)
    return written


def _queue_batch(batch: list[Outgoing]) -> int:
    # Every row of this insert carries the same creation time, so the rows it wrote (not those a
    # concurrent run wrote first under the same keys) are found again by key and time.
    stamp = timezone.now()
    rows = []
    for outgoing in batch:
        address = outgoing.email or (outgoing.recipient.email if outgoing.recipient else "")
        if not address:
            raise ValueError("A notification needs a recipient with an email address.")
        rows.append(
            Notification(
                recipient=outgoing.recipient,
                about=outgoing.about,
                email=address,
                template_key=outgoing.template_key,
                unique_key=outgoing.unique_key,
                context=outgoing.context,
                created_at=stamp,
            )
        )
    # No savepoint inside a caller's transaction: nothing here is caught and carried on from.
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            Notification.objects.filter(unique_key__in=[row.unique_key for row in rows], created_at=stamp)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if ids:
            transaction.on_commit(lambda: enqueue_deliveries(ids))
    return len(ids)


def enqueue_deliveries(notification_ids: list[int]) -> None:
    """Hand a batch of notifications to the broker as one task; an outage is logged, never raised
    (the rows stay pending and the sweep tries again)."""
    from involvement.tasks import task_deliver_notifications

    try:
        task_deliver_notifications.delay(notification_ids)
    except Exception:  # noqa: BLE001 -- any broker failure must leave the job working
        logger.warning(
            "Could not queue %s notifications; the sweep will retry them.", len(notification_ids), exc_info=True
        )


def render_notification(notification: Notification) -> EmailMultiAlternatives:
    """Build the email, with a plain-text and an HTML part, from the row's templates."""
    if notification.template_key.startswith(REDACT_AFTER_SENDING_PREFIX):
        subject = " ".join(notification.context["subject"].split())
        text = notification.context["text"]
        html = notification.context.get("html") or render_to_string(
            "emails/base_plain_html.html", {"text": text, "site_url": settings.SITE_URL, "email_subject": subject}
        )
    else:
        context = {**notification.context, "site_url": settings.SITE_URL, "notification": notification}
        base = f"emails/{notification.template_key}"
        subject = " ".join(render_to_string(f"{base}.subject.txt", context, using="text").split())
        text = render_to_string(f"{base}.txt", context, using="text")
        # The HTML part's title is the subject (templates/emails/base.html).
        html = render_to_string(f"{base}.html", {**context, "email_subject": subject})
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.email]
    )
    message.attach_alternative(html, "text/html")
    builder = _ATTACHMENT_BUILDERS.get(notification.template_key)
    for filename, content, mimetype in builder(notification) if builder else []:
        message.attach(filename, content, mimetype)
    return message


def deliver_notification(
    *, notification_id: int, connection: BaseEmailBackend | None = None
) -> Notification.Status | None:
    """Send one pending notification and mark it sent; safe to call twice or concurrently.

    A failure is recorded on the row (attempts, last error); after
    ``NOTIFICATION_MAX_ATTEMPTS`` the row is marked failed. Returns the row's resulting status,
    or ``None`` when no such row exists. ``connection`` is an open mail connection to send over
    (``deliver_notifications`` shares one across a batch); by default the message opens its own.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.PENDING:
            return Notification.Status(notification.status) if notification else None
        notification.attempts += 1
        notification.last_attempt_at = timezone.now()
        try:
            message = render_notification(notification)
            if connection is not None:
                message.connection = connection
            message.send()
        except Exception as error:  # noqa: BLE001 -- any mail failure is recorded and retried
            return _record_failure(notification, error)
        notification.status = Notification.Status.SENT
        notification.sent_at = notification.last_attempt_at
        notification.last_error = ""
        if notification.template_key.startswith(REDACT_AFTER_SENDING_PREFIX):
            notification.context = {}
        notification.save(
            update_fields=["attempts", "last_attempt_at", "last_error", "status", "sent_at", "context", "updated_at"]
        )
        return Notification.Status.SENT


def _record_failure(notification: Notification, error: Exception) -> Notification.Status:
    """Record a failed attempt on the locked row (its ``attempts`` already counting this one)."""
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        notification.status = Notification.Status.FAILED
    notification.save(update_fields=["attempts", "last_attempt_at", "last_error", "status", "updated_at"])
    logger.warning("Notification %s failed (attempt %s).", notification.pk, notification.attempts)
    return Notification.Status(notification.status)


class _Changed(Exception):
    """The row is no longer as the batch read it: it is delivered the one-by-one way."""


def _deliver_as_read(notification: Notification, connection: BaseEmailBackend) -> Notification.Status | None:
    """``deliver_notification`` for a pending row the batch has read already, in one statement
    and its commit: the row is marked sent and so locked (``UPDATE`` of that row as it was read,
    still pending), the email sent, then the transaction committed. Another delivery of the same
    row waits on the lock and then finds it sent; a failed send rolls the mark back before the
    failure is recorded. A row changed since it was read goes the one-by-one way."""
    attempted_at = timezone.now()
    fields: dict[str, Any] = {
        "status": Notification.Status.SENT,
        "sent_at": attempted_at,
        "last_attempt_at": attempted_at,
        "attempts": F("attempts") + 1,
        "last_error": "",
        "updated_at": attempted_at,
    }
    if notification.template_key.startswith(REDACT_AFTER_SENDING_PREFIX):
        fields["context"] = {}
    try:
        message = render_notification(notification)
        message.connection = connection
        with transaction.atomic():
            as_read = Notification.objects.filter(
                pk=notification.pk, status=Notification.Status.PENDING, updated_at=notification.updated_at
            )
            if not as_read.update(**fields):
                raise _Changed
            message.send()
    except _Changed:
        return deliver_notification(notification_id=notification.pk, connection=connection)
    except Exception as error:  # noqa: BLE001 -- any failure is recorded on the row, as one by one
        with transaction.atomic():
            locked = Notification.objects.select_for_update().filter(pk=notification.pk).first()
            if locked is None or locked.status != Notification.Status.PENDING:
                return Notification.Status(locked.status) if locked else None
            locked.attempts += 1
            locked.last_attempt_at = attempted_at
            return _record_failure(locked, error)
    return Notification.Status.SENT


def deliver_notifications(*, notification_ids: list[int]) -> dict[str, int]:
    """``deliver_notification`` for each of a batch, over one mail connection (one SMTP session for
    the batch, not one per email). The pending rows are read in one query; each is then marked,
    sent and committed in its own transaction (``_deliver_as_read``: one statement an email), so
    a crash half-way sends nobody twice and loses nobody. A failure reopens the connection for
    the rest (a dropped session must not fail the whole batch). Returns how many ended in each
    status."""
    outcomes: dict[str, int] = {}
    connection = get_connection()
    _open(connection)
    try:
        with _commits_without_waiting():
            outcomes = _deliver_batch(notification_ids, connection)
    finally:
        connection.close()
    return outcomes


def _deliver_batch(notification_ids: list[int], connection: BaseEmailBackend) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    pending = {
        notification.pk: notification
        for notification in Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.PENDING)
    }
    for notification_id in notification_ids:
        read = pending.pop(notification_id, None)
        if read is not None:
            status = _deliver_as_read(read, connection)
        else:
            status = deliver_notification(notification_id=notification_id, connection=connection)
        if status is not None:
            outcomes[status] = outcomes.get(status, 0) + 1
        if status in (Notification.Status.PENDING, Notification.Status.FAILED):
            connection.close()
            _open(connection)
    return outcomes


@contextmanager
def _commits_without_waiting() -> Iterator[None]:
    """On PostgreSQL, the batch's commits do not wait for the write-ahead log to reach the disk
    (``synchronous_commit`` off for this connection until the batch ends). Each row is still
    committed after its email is sent and before the next, so a crash of the worker loses no row
    and sends nobody twice; only a crash of PostgreSQL itself (or of the machine) within a fraction of
    a second (three ``wal_writer_delay``) can forget that the last few were sent, and those are
    sent again. Nothing else is committed this way."""
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _open(connection: BaseEmailBackend) -> None:
    """Open the batch's connection; if the mail server is down, each message then tries on its
    own and its failure is recorded on its row."""
    try:
        connection.open()
    except Exception:  # noqa: BLE001 -- recorded per message by deliver_notification
        logger.warning("Could not open a mail connection for a batch.", exc_info=True)


def sweep_pending_notifications(*, batch_size: int = SWEEP_BATCH) -> int:
    """Queue delivery again for every pending row that should have been sent by now: read in
    primary-key order, ``batch_size`` ids at a time, until none is left (so 20,000 rows left by a
    broker outage go in one run, not one thousand every five minutes), handed to the broker as one
    task per ``DELIVERY_BATCH``. Returns how many were queued."""
    queued = 0
    after = 0
    while True:
        ids = list(
            Notification.objects.due_for_sweep()
            .filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return queued
        for start in range(0, len(ids), DELIVERY_BATCH):
            enqueue_deliveries(ids[start : start + DELIVERY_BATCH])
        queued += len(ids)
        after = ids[-1]


def remove_old_email_content(*, now: datetime.datetime | None = None, batch_size: int | None = None) -> int:
    """The retention rule for the outbox: what a sent or failed email said (its ``context``, from
    which the message is rendered, and any delivery error, which may quote the address) is removed
    ``RETENTION_EMAIL_CONTENT_DAYS`` after it was queued. The row stays, with its key (so the same
    email is never queued again), address, kind and times: the record that it was sent. A pending
    email is never touched. In batches (``involvement.retention.in_batches``); returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RETENTION_EMAIL_CONTENT_DAYS)
    Status = Notification.Status
    old = Notification.objects.filter(status__in=[Status.SENT, Status.FAILED], created_at__lt=cutoff).exclude(
        context={}
    )

    def clear(ids: list[int]) -> None:
        Notification.objects.filter(pk__in=ids).update(context={}, last_error="")

    return in_batches(old, clear, batch_size=batch_size)
