from celery import shared_task

from expenses.services import execute_run, purge_expired_finance_records, resume_unfinished_runs


@shared_task(name="expenses.execute_run", acks_late=True, reject_on_worker_lost=True)
def task_execute_run(run_id: int) -> None:
    execute_run(run_id=run_id)


@shared_task(name="expenses.resume_unfinished_runs")
def task_resume_unfinished_runs() -> None:
    resume_unfinished_runs()


@shared_task(name="expenses.purge_expired_finance_records")
def task_purge_expired_finance_records() -> None:
    purge_expired_finance_records()
