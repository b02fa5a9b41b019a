"""The outbox: every email is first a ``Notification`` row, then delivered by a Celery task.

``queue_notification`` is called inside the transaction of the change that causes the email, so
the email exists exactly when the change does. The delivery task is queued on commit; if the
broker is unreachable the row stays pending and the periodic sweep queues it again. Delivery
locks the row and sends only a pending one, so an email is neither lost nor sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from involvement.models import Notification

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


def render_notification(notification: Notification) -> EmailMultiAlternatives:
    """Build the email, with a plain-text and an HTML part, from the row's templates."""
    if notification.template_key.startswith(REDACT_AFTER_SENDING_PREFIX):
        subject = notification.context["subject"]
        text = notification.context["text"]
        html = notification.context.get("html") or render_to_string(
            "emails/base_plain_html.html", {"text": text, "site_url": settings.SITE_URL}
        )
    else:
        context = {**notification.context, "site_url": settings.SITE_URL, "notification": notification}
        base = f"emails/{notification.template_key}"
        subject = render_to_string(f"{base}.subject.txt", context, using="text").strip()
        text = render_to_string(f"{base}.txt", context, using="text")
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.email]
    )
    message.attach_alternative(html, "text/html")
    builder = _ATTACHMENT_BUILDERS.get(notification.template_key)
    for filename, content, mimetype in builder(notification) if builder else []:
        message.attach(filename, content, mimetype)
    return message


def deliver_notification(*, notification_id: int) -> Notification.Status | None:
    """Send one pending notification and mark it sent; safe to call twice or concurrently.

    A failure is recorded on the row (attempts, last error); after
    ``NOTIFICATION_MAX_ATTEMPTS`` the row is marked failed. Returns the row's resulting status,
    or ``None`` when no such row exists.
    """
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.PENDING:
            return Notification.Status(notification.status) if notification else None
        notification.attempts += 1
        notification.last_attempt_at = timezone.now()
        try:
            render_notification(notification).send()
        except Exception as error:  # noqa: BLE001 -- any mail failure is recorded and retried
            notification.last_error = f"{type(error).__name__}: {error}"[:2000]
            if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_attempt_at", "last_error", "status", "updated_at"])
            logger.warning("Notification %s failed (attempt %s).", notification.pk, notification.attempts)
            return Notification.Status(notification.status)
        notification.status = Notification.Status.SENT
        notification.sent_at = notification.last_attempt_at
        notification.last_error = ""
        if notification.template_key.startswith(REDACT_AFTER_SENDING_PREFIX):
            notification.context = {}
        notification.save(
            update_fields=["attempts", "last_attempt_at", "last_error", "status", "sent_at", "context", "updated_at"]
        )
        return Notification.Status.SENT


def sweep_pending_notifications() -> int:
    """Queue delivery again for every pending row that should have been sent by now.

    Returns how many were queued.
    """
    ids = list(Notification.objects.due_for_sweep().values_list("pk", flat=True)[:1000])
    for notification_id in ids:
        enqueue_delivery(notification_id)
    return len(ids)
