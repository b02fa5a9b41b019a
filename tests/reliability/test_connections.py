"""The connection budget: what the configured processes can hold stays under PostgreSQL's
max_connections; the development server (`make run`) keeps no connection after a request, so a
burst of 20 concurrent requests leaves none behind; the compose stack reaches PostgreSQL through
pgbouncer. docs/RELIABILITY.md has the figures."""

from __future__ import annotations

import json
import os
import runpy
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.db import connection, connections

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
BURST = 20


def settings_as(**env: str) -> dict[str, Any]:
    """The connection settings a fresh process computes with ``env``."""
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        "print(json.dumps({'CONN_MAX_AGE': s.DATABASES['default'].get('CONN_MAX_AGE'), "
        "'WEB_CONCURRENCY': s.WEB_CONCURRENCY, 'WEB_THREADS': s.WEB_THREADS, "
        "'CELERY_WORKER_CONCURRENCY': s.CELERY_WORKER_CONCURRENCY, "
        "'DATABASE_RESERVED_CONNECTIONS': s.DATABASE_RESERVED_CONNECTIONS}))"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CONN_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="involvement.settings",
        SECRET_KEY="a-production-like-secret-key-with-plenty-of-entropy-0123456789-abcdef",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/budget",
        **env,
    )
    result = subprocess.run(  # noqa: S603 -- our own settings, fixed code
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(result.stdout))


def test_make_run_keeps_no_connection_open() -> None:
    procfile = (ROOT / "Procfile.dev").read_text()

    assert settings_as(DEBUG="true")["CONN_MAX_AGE"] == 0
    assert "web: CONN_MAX_AGE=0 " in procfile


def test_production_keeps_connections_for_a_minute() -> None:
    assert settings_as(DEBUG="false")["CONN_MAX_AGE"] == 60


def test_gunicorn_reads_the_budget_the_settings_check() -> None:
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert (config["workers"], config["threads"]) == (settings.WEB_CONCURRENCY, settings.WEB_THREADS) == (3, 1)


def budget(numbers: dict[str, Any], web_containers: int = 1) -> int:
    """Connections the stack can hold at once: one per web thread, worker process and beat, and the reserve."""
    web = web_containers * numbers["WEB_CONCURRENCY"] * numbers["WEB_THREADS"]
    return web + numbers["CELERY_WORKER_CONCURRENCY"] + 1 + numbers["DATABASE_RESERVED_CONNECTIONS"]


@pytest.mark.postgres
def test_the_configured_budget_fits_postgresqls_max_connections(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        max_connections = int(cursor.fetchone()[0])
        cursor.execute("SHOW superuser_reserved_connections")
        reserved = int(cursor.fetchone()[0])
    production = settings_as(DEBUG="false")

    assert budget(production) == 3 * 1 + 2 + 1 + 10 == 16
    assert budget(production) <= max_connections - reserved
    # Without pgbouncer, this many web containers fit; the compose file puts pgbouncer in front.
    assert max((n for n in range(1, 100) if budget(production, n) <= max_connections - reserved), default=0) >= 4


def test_compose_reaches_postgresql_through_pgbouncer() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app = compose["x-app"]["environment"]
    pool = compose["services"]["pgbouncer"]["environment"]

    assert app["DATABASE_URL"].startswith("postgres://involvement:involvement@pgbouncer:6432/")
    assert (app["CONN_MAX_AGE"], pool["POOL_MODE"]) == ("0", "session")
    assert int(pool["DEFAULT_POOL_SIZE"]) + 10 <= 100  # PostgreSQL's max_connections in the file
    assert {"web", "worker", "beat"} <= {name for name, service in compose["services"].items() if "build" in service}


# A burst at the development server ----------------------------------------------------------------


def open_connections() -> int:
    """Connections to the test database other than this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@pytest.fixture
def development_server() -> Iterator[str]:
    """The server `manage.py runserver` builds (Django's WSGIServer with a thread per request),
    on a free port, serving this project."""
    server_class = type("WSGIServer", (socketserver.ThreadingMixIn, WSGIServer), {"daemon_threads": True})
    server = server_class(("127.0.0.1", 0), WSGIRequestHandler, ipv6=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def burst(base: str, path: str) -> tuple[list[int], int]:
    """``BURST`` requests at once; their statuses and the most connections open meanwhile."""
    peak = 0
    done = threading.Event()

    def watch() -> None:  # in a thread of its own, so on a connection of its own (closed after)
        nonlocal peak
        try:
            while not done.is_set():
                peak = max(peak, open_connections() - 1)  # less the test's own, seen from here
                time.sleep(0.005)
        finally:
            connections["default"].close()

    def fetch(_: int) -> int:
        with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:  # noqa: S310 -- our own local server
            return int(response.status)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(fetch, range(BURST)))
    done.set()
    watcher.join()
    return statuses, peak


def settle(expected: int, seconds: float = 5) -> int:
    deadline = time.monotonic() + seconds
    count = open_connections()
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = open_connections()
    return count


@pytest.mark.postgres
def test_a_burst_of_twenty_requests_leaves_no_connection_behind(
    transactional_db: None, development_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.CharityFactory(name="Charity A", slug="charity-a", takes_applications=True)
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)  # what `make run` uses
    before = open_connections()

    statuses, peak = burst(development_server, "/networks/")

    assert statuses == [200] * BURST
    assert before <= peak <= before + BURST
    assert settle(before) == before
