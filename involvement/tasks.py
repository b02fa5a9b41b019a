from celery import shared_task

from involvement.notifications import deliver_notification, deliver_notifications, sweep_pending_notifications
from involvement.retention import apply_retention


@shared_task(name="involvement.deliver_notification")
def task_deliver_notification(notification_id: int) -> None:
    deliver_notification(notification_id=notification_id)


@shared_task(name="involvement.deliver_notifications")
def task_deliver_notifications(notification_ids: list[int]) -> None:
    deliver_notifications(notification_ids=notification_ids)


@shared_task(name="involvement.sweep_pending_notifications")
def task_sweep_pending_notifications() -> None:
    sweep_pending_notifications()


@shared_task(name="involvement.apply_retention")
def task_apply_retention() -> None:
    apply_retention()
