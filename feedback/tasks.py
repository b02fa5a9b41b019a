"""Periodic jobs for feedback: each calls one idempotent service (scheduled in settings)."""

from celery import shared_task

from feedback.services import send_feedback_reminders


@shared_task(name="feedback.send_feedback_reminders")
def task_send_feedback_reminders() -> None:
    send_feedback_reminders()
