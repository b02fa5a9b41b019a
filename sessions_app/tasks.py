"""Periodic jobs for sessions: each calls one idempotent service (scheduled in settings)."""

from celery import shared_task

from sessions_app.services import expire_invitations, send_due_check_ins, send_due_reminders


@shared_task(name="sessions_app.send_due_reminders")
def task_send_due_reminders() -> None:
    send_due_reminders()


@shared_task(name="sessions_app.send_due_check_ins")
def task_send_due_check_ins() -> None:
    send_due_check_ins()


@shared_task(name="sessions_app.expire_invitations")
def task_expire_invitations() -> None:
    expire_invitations()
