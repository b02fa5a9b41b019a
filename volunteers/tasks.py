from celery import shared_task

from volunteers.services import resume_returning_volunteers, warn_expiring_checks


@shared_task(name="volunteers.warn_expiring_checks")
def task_warn_expiring_checks() -> None:
    warn_expiring_checks()


@shared_task(name="volunteers.resume_returning_volunteers")
def task_resume_returning_volunteers() -> None:
    resume_returning_volunteers()
