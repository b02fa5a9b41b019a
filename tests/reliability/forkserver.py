"""Real Celery worker processes in milliseconds, for the tests that kill many of them.

``python -m tests.reliability.forkserver`` (with the worker's environment: ``DATABASE_URL``,
``REDIS_URL``, ...) sets Django up, loads the Celery app with every task and the URL
configuration once, then, for each JSON line read from stdin (``{"name": ..., "log": ...,
"settings": {...}}``), forks a child that runs a Celery worker (solo pool, no mingle, gossip or
heartbeat) and answers the child's process id on stdout. This is how Celery's own prefork pool
makes its processes: each child is a complete worker with its own broker and database connections
(this process opens none), killed with SIGKILL like any other; only the second or more it takes
a fresh interpreter to import Django, the project and WeasyPrint is saved (several seconds on a
loaded machine). ``settings`` are set in the child before it starts (``REIMBURSEMENT_RUN_BATCH``);
``name`` becomes its database session's ``application_name``. Children are reaped by the kernel
(SIGCHLD ignored), so a dead one disappears at once. End of stdin stops the children still
running, warmly, then this process.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
import time

# Every test worker's options. Solo pool: one task at a time, in the process that is killed. No
# mingle, gossip or heartbeats: they only talk to other workers, and skipping them makes a worker
# ready sooner.
WORKER_OPTIONS = ["--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip", "--without-heartbeat"]
# The modules a Celery worker imports as it starts (its command line, bootsteps and transport).
WORKER_MODULES = (
    "celery.apps.worker",
    "celery.bin.celery",
    "celery.bin.worker",
    "celery.app.amqp",
    "celery.app.control",
    "celery.app.events",
    "celery.app.log",
    "celery.backends.base",
    "celery.concurrency.solo",
    "celery.contrib.django.task",
    "celery.events",
    "celery.worker.autoscale",
    "celery.worker.components",
    "celery.worker.consumer",
    "celery.worker.loops",
    "celery.worker.pidbox",
    "celery.worker.strategy",
    "kombu.pidbox",
    "kombu.transport.redis",
)


def main() -> None:
    import django

    from involvement.celery import app  # sets DJANGO_SETTINGS_MODULE, as `celery -A involvement` does

    django.setup()
    from django.conf import settings
    from django.urls import reverse

    app.loader.import_default_modules()
    reverse("expenses:money")  # the URL configuration (and WeasyPrint, which it imports), once
    for module in WORKER_MODULES:  # what a worker imports as it starts: here once, not in every child
        importlib.import_module(module)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    children: list[int] = []
    for line in sys.stdin:
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_worker(app, settings, order)
        children.append(pid)
        print(pid, flush=True)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.05)


def _become_worker(app: object, settings: object, order: dict[str, object]) -> None:
    """In the child: its own log, its own session name and settings, then a Celery worker."""
    status = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(str(order["log"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.environ["PGAPPNAME"] = str(order["name"])
        for key, value in dict(order.get("settings") or {}).items():  # type: ignore[call-overload]
            setattr(settings, key, value)
        app.worker_main(["worker", *WORKER_OPTIONS, f"--hostname={order['name']}@%h"])  # type: ignore[attr-defined]
        status = 0
    finally:
        os._exit(status)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    main()
