from celery import shared_task

from involvement.notifications import deliver_notification, sweep_pending_notifications


@shared_task(name="involvement.deliver_notification")
def task_deliver_notification(notification_id: int) -> None:
    deliver_notification(notification_id=notification_id)


@shared_task(name="involvement.sweep_pending_notifications")
def task_sweep_pending_notifications() -> None:
    sweep_pending_notifications()
