"""PostgreSQL stopped and restarted under traffic: the site under gunicorn, with the production
profile's persistent connections (CONN_MAX_AGE 60, CONN_HEALTH_CHECKS on), keeps answering.

The test starts a PostgreSQL 15 cluster of its own (port 55433, a throwaway data directory, run
as the postgres user when the tests run as root: initdb refuses root), copies the test database's
schema into it with a signed-in person and their session, and starts gunicorn on it (port 55434).
Four clients ask for /health/ and the signed-in home page without pause while the cluster is
stopped for two seconds and started again, then restarted with ``pg_ctl restart -m fast``.
During an outage each request must end within a bound with the health check's 503 or the 500
page; once the cluster is back, every request must succeed: each gunicorn worker's kept
connection is dead, and the health check Django makes before reusing it must replace it.
docs/RELIABILITY.md ("PostgreSQL restart") has the figures. Skipped when the PostgreSQL 15
binaries are not installed.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 55433
WEB_PORT = 55434
DATABASE = "involvement"
WORKERS = 2
CLIENTS = 4
OUTAGE_SECONDS = 2.0
# Requests that must all succeed once the cluster is back, after each outage.
AFTER = 40
# No request may take longer than this, outage or not (the clients give up at twice this).
BOUND = 5.0
# The production settings, with static files found where they are instead of collected first
# (the production storage needs `collectstatic`, which has nothing to do with the database).
SETTINGS_MODULE = """\
from involvement.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class Cluster:
    """A PostgreSQL 15 cluster in a directory of its own, run by ``user`` (None: the current user)."""

    def __init__(self, folder: Path, user: str | None) -> None:
        self.folder, self.user = folder, user
        self.data, self.log = folder / "data", folder / "postgresql.log"
        self.url = f"postgres://postgres@127.0.0.1:{PG_PORT}/{DATABASE}"

    def command(self, *args: str, timeout: float = 60) -> None:
        as_user = ["runuser", "-u", self.user, "--"] if self.user else []
        result = subprocess.run(  # noqa: S603 -- PostgreSQL's own tools, fixed arguments
            [*as_user, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout}{result.stderr}\n{self.tail()}"

    def ctl(self, *args: str) -> None:
        options = f"-p {PG_PORT} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=30"
        self.command(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", *args)

    def initialise(self) -> None:
        self.command(
            str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def stop(self) -> None:
        """Stop the cluster whatever state it is in (the finalizer)."""
        if (self.data / "postmaster.pid").exists():
            as_user = ["runuser", "-u", self.user, "--"] if self.user else []
            subprocess.run(  # noqa: S603 -- PostgreSQL's own tool, fixed arguments
                [*as_user, str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    missing = [tool for tool in ("initdb", "pg_ctl", "pg_dump", "psql") if not (BIN / tool).exists()]
    if missing:
        pytest.skip(f"needs PostgreSQL 15's {', '.join(missing)} in {BIN}")
    user = None
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run a PostgreSQL cluster as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is missing to run a PostgreSQL cluster as the postgres user")
        user = "postgres"
    if not port_free(PG_PORT) or not port_free(WEB_PORT):
        pytest.fail(f"port {PG_PORT} or {WEB_PORT} is taken: is a cluster of an earlier run still up?")
    # pytest's tmp_path is private to this user, so the postgres user could not reach it.
    folder = Path(tempfile.mkdtemp(prefix="involvement-restart-"))
    if user:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    made = Cluster(folder, user)
    try:
        made.initialise()
        made.ctl("start")
        yield made
    finally:
        made.stop()
        shutil.rmtree(folder, ignore_errors=True)


def copy_schema_and_rows(cluster: Cluster, rows: dict[str, tuple[str, object]]) -> None:
    """The test database's schema, then ``rows`` ({table: (key column, value)}) as they are in the
    test's transaction, into the cluster's database."""
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{PG_PORT}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {DATABASE}")
    source = connection.settings_dict
    dump = subprocess.run(  # noqa: S603 -- PostgreSQL's own tool, fixed arguments
        [
            str(BIN / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-h",
            str(source["HOST"] or "127.0.0.1"),
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            str(source["USER"] or "postgres"),
            str(source["NAME"]),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PGPASSWORD": str(source["PASSWORD"] or "")},
    )
    load = subprocess.run(  # noqa: S603 -- PostgreSQL's own tool, fixed arguments
        [
            str(BIN / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            "postgres",
            DATABASE,
        ],
        input=dump.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert load.returncode == 0, load.stderr
    with psycopg.connect(cluster.url, autocommit=True) as target:
        for table, (column, value) in rows.items():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE {column} = %s", [value])  # noqa: S608 -- our own table names
                [(row,)] = cursor.fetchall()
            target.execute(f"INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, %s)", [row])  # noqa: S608


def app_connections(cluster: Cluster) -> set[int]:
    """The backend processes serving the site's connections to the cluster's database."""
    with psycopg.connect(cluster.url) as probe:
        rows = probe.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DATABASE]
        ).fetchall()
    return {pid for (pid,) in rows}


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def gunicorn(cluster: Cluster, tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """Start gunicorn on the cluster in the production profile (when asked, once the data is in)."""
    (tmp_path / "restart_settings.py").write_text(SETTINGS_MODULE)
    started: list[Server] = []

    def start() -> Server:
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CONN_"))}
        environment.update(
            DJANGO_SETTINGS_MODULE="restart_settings",
            PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
            DEBUG="false",
            SECRET_KEY=settings.SECRET_KEY,  # the test's key, so the copied session is valid
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=cluster.url,
            EMAIL_URL="dummymail://",
            GUNICORN_BIND=f"127.0.0.1:{WEB_PORT}",
            WEB_CONCURRENCY=str(WORKERS),
            WEB_THREADS="1",
            LOG_LEVEL="WARNING",
        )
        log = tmp_path / "gunicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 -- gunicorn from our virtual environment
                [str(Path(sys.executable).with_name("gunicorn")), "involvement.wsgi:application"],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, log)
        started.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, f"gunicorn stopped while starting:\n{server.tail()}"
            if get("/health/").status == 200:
                return server
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within a minute:\n{server.tail()}")

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: no request is on the way
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=5)


@dataclass(frozen=True)
class Answer:
    path: str
    began: float
    seconds: float
    status: int  # 0: no answer (the connection failed or timed out)
    body: str


def get(path: str, cookie: str = "") -> Answer:
    began = time.monotonic()
    client = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=2 * BOUND)
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}  # as the proxy in front says
    if cookie:
        headers["Cookie"] = cookie
    try:
        client.request("GET", path, headers=headers)
        response = client.getresponse()
        status, body = response.status, response.read().decode(errors="replace")
    except OSError as error:
        status, body = 0, f"{type(error).__name__}: {error}"
    finally:
        client.close()
    return Answer(path, began, time.monotonic() - began, status, body)


class Traffic:
    """``CLIENTS`` threads asking, in turn, for /health/ and the signed-in page, until stopped."""

    def __init__(self, cookie: str) -> None:
        self.cookie = cookie
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._ask, args=(number,), daemon=True) for number in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def _ask(self, number: int) -> None:
        turn = number
        while not self.stopping.is_set():
            answer = get("/health/") if turn % 2 else get("/", self.cookie)
            with self.lock:
                self.answers.append(answer)
            turn += 1

    def since(self, moment: float) -> list[Answer]:
        with self.lock:
            return [answer for answer in self.answers if answer.began >= moment]

    def wait_for(self, count: int, moment: float, seconds: float = 60) -> list[Answer]:
        """The first ``count`` answers to requests begun after ``moment``."""
        deadline = time.monotonic() + seconds
        while len(self.since(moment)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        answers = sorted(self.since(moment), key=lambda answer: answer.began)
        assert len(answers) >= count, f"only {len(answers)} answers in {seconds} s"
        return answers[:count]

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=3 * BOUND)


def database_status(answer: Answer) -> str:
    """What the health check said of the database ("" when it did not answer in JSON)."""
    try:
        return str(json.loads(answer.body)["database"])
    except (ValueError, KeyError, TypeError):
        return ""


def served(answer: Answer) -> bool:
    """The page as it should be: the health check's ok, or the signed-in home page."""
    if answer.path == "/health/":
        return answer.status == 200 and database_status(answer) == "ok"
    return answer.status == 200 and "Hello, Robin" in answer.body


def failed_cleanly(answer: Answer) -> bool:
    """Refused as the site refuses when its database is down: the health check's 503 saying so,
    or the 500 page (never a hang, a dropped connection or gunicorn's bare error)."""
    if answer.seconds > BOUND:
        return False
    if answer.path == "/health/":
        return answer.status == 503 and database_status(answer) == "unavailable"
    return answer.status == 500 and "Sorry, something went wrong on our side" in answer.body


def summary(answers: list[Answer]) -> str:
    counts: dict[tuple[str, int], int] = {}
    for answer in answers:
        counts[answer.path, answer.status] = counts.get((answer.path, answer.status), 0) + 1
    return ", ".join(f"{path} {status}: {count}" for (path, status), count in sorted(counts.items()))


def test_postgresql_stopped_and_restarted_under_traffic(
    db: None, cluster: Cluster, gunicorn: Callable[[], Server]
) -> None:
    user = factories.UserFactory(name="Robin Reader", email="robin@example.org")
    client = signed_in(user)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    copy_schema_and_rows(cluster, {"accounts_user": ("id", user.pk), "django_session": ("session_key", session_key)})
    server = gunicorn()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    traffic = Traffic(cookie)
    try:
        # Before: every answer as it should be, and each worker holding a connection.
        before = traffic.wait_for(AFTER, 0)
        assert [answer for answer in before if not served(answer)] == []

        # Stopped for two seconds, then started.
        stopped = time.monotonic()
        cluster.ctl("-m", "fast", "stop")
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        starting = time.monotonic()
        cluster.ctl("start")
        back = time.monotonic()
        during = [answer for answer in traffic.since(stopped) if answer.began < back]
        after_start = traffic.wait_for(AFTER, back)

        # A restart (stop then start at once), with the workers' connections opened before it.
        restarting = time.monotonic()
        cluster.ctl("-m", "fast", "restart")
        restarted = time.monotonic()
        around_restart = [answer for answer in traffic.since(restarting) if answer.began < restarted]
        after_restart = traffic.wait_for(AFTER, restarted)
    finally:
        traffic.stop()
    # A restart with no request on the way: each worker's kept connection is dead when the next
    # request comes, and must be replaced before that request uses it.
    kept = app_connections(cluster)
    assert 1 <= len(kept) <= WORKERS  # the production profile keeps connections between requests
    cluster.ctl("-m", "fast", "restart")
    quiet = time.monotonic()
    traffic = Traffic(cookie)
    try:
        after_quiet_restart = traffic.wait_for(AFTER, quiet)
    finally:
        traffic.stop()

    outage = [answer for answer in during if answer.began >= down and answer.began + answer.seconds <= starting]
    print(
        f"outage {back - stopped:.1f} s: {summary(during)}; "
        f"slowest {max((answer.seconds for answer in during), default=0):.2f} s; "
        f"after start: {summary(after_start)}; restart {restarted - restarting:.1f} s: {summary(around_restart)}; "
        f"after restart: {summary(after_restart)}; after a quiet restart: {summary(after_quiet_restart)}"
    )
    # While it was down: refused cleanly, within the bound, both pages; meanwhile nothing else.
    assert {answer.path for answer in outage} == {"/", "/health/"}
    assert [answer for answer in outage if not failed_cleanly(answer)] == []
    assert [answer for answer in during + around_restart if not (served(answer) or failed_cleanly(answer))] == []
    # Once back: 0 errors, after the stop and start and after the restart alike.
    assert [answer for answer in after_start + after_restart + after_quiet_restart if not served(answer)] == []
    assert server.process.poll() is None, server.tail()
    # The workers connected again, at most one connection each, none of them from before.
    again = app_connections(cluster)
    assert 1 <= len(again) <= WORKERS
    assert again.isdisjoint(kept)
