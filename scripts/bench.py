"""``make bench``: the key pages of every role and the background jobs, measured against a large
data set in the production profile. docs/PERFORMANCE.md says what it measures and why.

1. A PostgreSQL database of its own (``--db``, default ``involvement_bench``; the name must
   contain "bench"), cloned from a template that is migrated and loaded once by ``seed_demo`` and
   ``seed_scale --volunteers N`` (``--reseed`` makes it again), then migrated again in case of new
   migrations.
2. gunicorn, two sync workers as in production, on 127.0.0.1 and a free port, with DEBUG off, a
   throwaway SECRET_KEY, whitenoise serving the collected static files, emails to Django's dummy
   backend, and ``BENCH_MODE`` on: every response carries ``X-Query-Count`` and two ceiling views
   answer under /bench/. Requests carry ``X-Forwarded-Proto: https``, as a TLS proxy in front
   would, so the production security settings stay as they are.
3. Each demo role signs in through the real sign-in and two-factor pages; every key page is
   requested a fixed number of times with 1 and then 8 concurrent clients (threads on 127.0.0.1),
   in rounds that interleave the pages with the two ceiling views, bounded in count and in time.
4. The background jobs are timed in a separate process in the production profile.
5. The table is printed and written, with the machine's description, into ``--output``
   (docs/PERFORMANCE.md) between the ``bench:start`` and ``bench:end`` markers.

``--size small`` (``make bench-small``) runs everything at 300 volunteers and a few requests a
page, to prove it works (tests/involvement/test_bench.py runs it that way, with no timing checks).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import platform
import re
import secrets
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SIZES = {
    # volunteers, requests per page per concurrency level, warm-up requests
    "full": (10_000, 48, 4),
    "small": (300, 6, 1),
}
CONCURRENCY = (1, 8)
ROUNDS = 3
# No batch of one page runs longer than this, whatever its count.
BATCH_SECONDS = 30.0
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
# The demo accounts (accounts/demo.py): the password and the demo-only TOTP secret.
DEMO_PASSWORD = "involve-demo-2026"  # noqa: S105 -- the published demo password
DEMO_TOTP_SECRET = "INVOLVEDEMOTOTPSECRETFORDEMOONLY"  # noqa: S105 -- the published demo-only secret
ROLES = {
    "volunteer": ("volunteer@example.org", False),
    "coordinator": ("coordinator@example.org", True),
    "lead": ("lead@example.org", True),
    "finance": ("finance@example.org", True),
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# The database ---------------------------------------------------------------------------------------


def admin_url(base: str) -> str:
    return base.rstrip("/") + "/postgres"


def execute_admin(base: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(base), autocommit=True) as connection:
        connection.execute(sql)  # our own statements; the names are checked by the caller


def database_exists(base: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url(base), autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 -- our own manage.py with our own arguments
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def prepare_database(args: argparse.Namespace, env: dict[str, str], log: Callable[[str], None]) -> dict[str, Any]:
    """Clone the bench database from its seeded template, making the template first if needed."""
    server = args.server.rstrip("/")
    name = args.db
    template = f"{name}_seed_{args.volunteers}"
    for database in (name, template):
        if "bench" not in database or not re.fullmatch(r"[a-z0-9_]+", database):
            raise SystemExit(f"Refusing database name {database!r}: it must contain 'bench' (letters, digits, _).")
    seeded: dict[str, Any] = {}
    template_env = {**env, "DATABASE_URL": f"{server}/{template}", "DEBUG": "true"}
    if args.reseed or not database_exists(server, template):
        log(f"Seeding the template database {template} ({args.volunteers:,} volunteers)...")
        execute_admin(server, f"DROP DATABASE IF EXISTS {template}")
        execute_admin(server, f"CREATE DATABASE {template}")
        began = time.monotonic()
        manage(template_env, "migrate", "--no-input", "-v0")
        migrated = time.monotonic()
        manage(template_env, "seed_demo", "--force")
        demo = time.monotonic()
        output = manage(template_env, "seed_scale", "--volunteers", str(args.volunteers), "--force")
        seeded = {
            "migrate_s": migrated - began,
            "seed_demo_s": demo - migrated,
            "seed_scale_s": time.monotonic() - demo,
            "seed_scale_output": output,
        }
        log(output)
    log(f"Cloning {template} into {name}...")
    execute_admin(server, f"DROP DATABASE IF EXISTS {name}")
    execute_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    manage({**env, "DATABASE_URL": f"{server}/{name}", "DEBUG": "true"}, "migrate", "--no-input", "-v0")
    return seeded


# The server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_available(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def production_env(args: argparse.Namespace, port: int) -> dict[str, str]:
    """The production profile, on 127.0.0.1, against the bench database."""
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "CACHE_URL"}}
    env.update(
        DEBUG="false",
        SECRET_KEY=args.secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=f"{args.server.rstrip('/')}/{args.db}",
        EMAIL_URL="dummymail://",
        BENCH_MODE="true",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="involvement.settings",
        PYTHONPATH=str(ROOT),
    )
    env.pop("EMAIL_FILE_PATH", None)
    if args.redis_url and redis_available(args.redis_url):
        env["REDIS_URL"] = args.redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(env: dict[str, str], port: int, workers: int) -> Server:
    process = subprocess.Popen(  # noqa: S603 -- gunicorn from our virtual environment
        [
            GUNICORN,
            "involvement.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    server = Server(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped while starting.")
        try:
            status, _headers, _body = Client(port).request("GET", "/bench/tiny/")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise SystemExit("gunicorn did not answer within a minute.")


# The client -----------------------------------------------------------------------------------------


def totp(secret: str, at: float) -> str:
    """RFC 6238 with SHA-1, six digits, 30 seconds: what authenticator apps (and allauth) compute."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


@dataclass
class Client:
    """A browser's cookies over plain HTTP/1.1 to 127.0.0.1 (one connection per request, as
    gunicorn's sync workers close each connection). Cookies are kept by hand: the production
    profile marks them Secure, and the requests carry the header a TLS proxy would add."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(
        self, method: str, path: str, form: dict[str, str] | list[tuple[str, str]] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        origin = f"https://127.0.0.1:{self.port}"
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", "Connection": "close"}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers.update(
                {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + path}
            )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            with self.lock:
                for name, value in response.getheaders():
                    if name.lower() == "set-cookie":
                        cookie, _, _attributes = value.partition(";")
                        key, _, cookie_value = cookie.partition("=")
                        if cookie_value and "max-age=0" not in value.lower():
                            self.cookies[key.strip()] = cookie_value.strip()
                        else:
                            self.cookies.pop(key.strip(), None)
            return response.status, {name.lower(): value for name, value in response.getheaders()}, content
        finally:
            connection.close()

    def csrf_from(self, path: str) -> str:
        status, _headers, body = self.request("GET", path)
        found = CSRF.search(body.decode("utf-8", "replace"))
        if status != 200 or found is None:
            raise SystemExit(f"No form on {path} (status {status}).")
        return found.group(1)

    def sign_in(self, email: str, *, two_factor: bool) -> None:
        """The real sign-in page, then the two-factor page with the demo code for staff."""
        token = self.csrf_from("/accounts/login/")
        status, headers, _body = self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": DEMO_PASSWORD}
        )
        if status != 302:
            raise SystemExit(f"Signing in as {email} answered {status}.")
        if two_factor:
            step = urllib.parse.urlparse(headers["location"]).path
            token = self.csrf_from(step)
            left = 30 - time.time() % 30
            if left < 4:
                time.sleep(left + 0.5)
            status, headers, _body = self.request(
                "POST", step, {"csrfmiddlewaretoken": token, "code": totp(DEMO_TOTP_SECRET, time.time())}
            )
            if status != 302:
                raise SystemExit(f"The two-factor step for {email} answered {status}.")
        status, headers, _body = self.request("GET", "/")
        for _redirect in range(3):
            if status != 302:
                break
            home = urllib.parse.urlparse(headers["location"]).path
            if home.startswith("/accounts/"):
                raise SystemExit(f"{email} is not signed in (sent to {home}).")
            status, headers, _body = self.request("GET", home)
        if status != 200:
            raise SystemExit(f"{email} does not look signed in (home answered {status}).")


# Measuring ------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One thing measured: a page of one role (or a ceiling view)."""

    label: str
    role: str
    method: str
    path: str
    form: Callable[[], list[tuple[str, str]]] | None = None
    # Run before each batch (the lead's filters are kept in the session, not the address).
    before: Callable[[], None] | None = None
    # A different address for each request (each POST answers a different invitation).
    paths: list[str] | None = None
    ceiling: bool = False
    samples: dict[int, list[float]] = field(default_factory=dict)
    walls: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    queries: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)


class Counter:
    """Hands out 0, 1, 2, ... across threads (each POST answers a different invitation)."""

    def __init__(self) -> None:
        self.value = -1
        self.lock = threading.Lock()

    def next(self) -> int:
        with self.lock:
            self.value += 1
            return self.value


def run_batch(
    target: Target, client: Client, count: int, concurrency: int, counter: Counter, *, record: bool = True
) -> None:
    """``count`` requests of ``target`` over ``concurrency`` threads, at most BATCH_SECONDS.
    ``counter`` numbers the requests of a target with one address each (``Target.paths``)."""
    if target.before is not None:
        target.before()
    deadline = time.monotonic() + BATCH_SECONDS
    remaining = Counter()
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        while remaining.next() < count and time.monotonic() < deadline:
            path = target.paths[counter.next()] if target.paths else target.path
            form = target.form() if target.form else None
            began = time.perf_counter()
            status, headers, body = client.request(target.method, path, form)
            elapsed = time.perf_counter() - began
            with lock:
                times.append(elapsed)
                target.statuses[status] = target.statuses.get(status, 0) + 1
                target.sizes.append(len(body))
                if "x-query-count" in headers:
                    target.queries.append(int(headers["x-query-count"]))

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if record:
        target.samples.setdefault(concurrency, []).extend(times)
        target.walls.setdefault(concurrency, []).append((len(times), wall))
    else:
        target.queries.clear()
        target.statuses.clear()
        target.sizes.clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def throughput(target: Target, concurrency: int) -> float:
    done = sum(count for count, _wall in target.walls.get(concurrency, []))
    wall = sum(wall for _count, wall in target.walls.get(concurrency, []))
    return done / wall if wall else float("nan")


# The fixtures and the jobs (a Django process in the production profile) ------------------------------


def django_process(env: dict[str, str], what: str, args: argparse.Namespace) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 -- this script again, in a Django process
        [PYTHON, __file__, "--internal", what, "--volunteers", str(args.volunteers), "--requests", str(args.requests)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    if result.stderr.strip():
        print(result.stderr, file=sys.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def internal(what: str, args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import bench_django  # beside this script (its folder is first on the path)

    result = bench_django.fixtures(args.requests) if what == "fixtures" else bench_django.jobs(args.volunteers)
    print(json.dumps(result, default=str))


# Reporting ------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    memory = ""
    try:
        kib = int(
            next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
        )
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds == seconds else "–"


def page_table(targets: list[Target]) -> list[str]:
    layout = next(target for target in targets if target.label == "ceiling: one query, base layout")
    lines = [
        "| page | role | queries | median, 1 client (ms) | p95, 1 (ms) | req/s, 1 | median, 8 clients (ms) "
        "| p95, 8 (ms) | req/s, 8 | ratio to ceiling, 1 | ratio, 8 | KB | statuses |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for target in targets:
        queries = sorted(set(target.queries))
        row = [
            target.label,
            target.role,
            "–" if not queries else str(queries[0]) if len(queries) == 1 else f"{queries[0]}–{queries[-1]}",
        ]
        for concurrency in CONCURRENCY:
            samples = target.samples.get(concurrency, [])
            row += [
                fmt_ms(statistics.median(samples)) if samples else "–",
                fmt_ms(percentile(samples, 0.95)),
                f"{throughput(target, concurrency):,.1f}",
            ]
        row += [f"{throughput(target, c) / throughput(layout, c):.2f}" for c in CONCURRENCY]
        row.append(f"{statistics.median(target.sizes) / 1024:,.0f}" if target.sizes else "–")
        row.append(", ".join(f"{status}×{count}" for status, count in sorted(target.statuses.items())))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def job_table(jobs: dict[str, Any]) -> list[str]:
    lines = ["| job | measured | detail |", "| --- | ---: | --- |"]
    for name, result in jobs.items():
        lines.append(f"| {name} | {result.get('measured', '–')} | {result.get('detail', '')} |")
    return lines


def write_report(path: Path, section: list[str]) -> None:
    text = path.read_text() if path.exists() else f"# Performance\n\n{START_MARKER}\n{END_MARKER}\n"
    if START_MARKER not in text:
        text += f"\n{START_MARKER}\n{END_MARKER}\n"
    head, rest = text.split(START_MARKER, 1)
    _old, tail = rest.split(END_MARKER, 1) if END_MARKER in rest else ("", "")
    path.write_text(head + START_MARKER + "\n" + "\n".join(section) + "\n" + END_MARKER + tail)


# The run ----------------------------------------------------------------------------------------------


def targets_for(fixtures: dict[str, Any], clients: dict[str, Client]) -> list[Target]:
    lead = clients["lead"]
    network = fixtures["network_slug"]
    list_path = f"/networks/{network}/volunteers/"
    filters = [("status", "active"), ("weekday", "1"), ("part_of_day", "morning")]
    csrf: dict[str, str] = {}

    def set_filters() -> None:
        token = lead.csrf_from(list_path)
        lead.request("POST", list_path, [("csrfmiddlewaretoken", token), *filters])

    def clear_filters() -> None:
        token = lead.csrf_from(list_path)
        lead.request("POST", list_path, [("csrfmiddlewaretoken", token), ("clear", "1")])

    def accept_form() -> list[tuple[str, str]]:
        if "token" not in csrf:
            csrf["token"] = clients["answering"].csrf_from("/my-sessions/")
        return [("csrfmiddlewaretoken", csrf["token"]), ("answer", "accept")]

    year = fixtures["report_year"]
    return [
        Target("ceiling: tiny response", "volunteer", "GET", "/bench/tiny/", ceiling=True),
        Target("ceiling: one query, base layout", "volunteer", "GET", "/bench/layout/", ceiling=True),
        Target("home", "volunteer", "GET", "/me/"),
        Target("my sessions", "volunteer", "GET", "/my-sessions/"),
        Target("money", "volunteer", "GET", "/money/"),
        Target("calendar feed", "volunteer", "GET", fixtures["feed_path"]),
        Target(
            "accept an invitation (POST)",
            "answering",
            "POST",
            "",
            form=accept_form,
            paths=[f"/invitation/{token}/" for token in fixtures["invitation_tokens"]],
        ),
        Target("sessions to come", "coordinator", "GET", "/sessions/"),
        Target("past sessions", "coordinator", "GET", "/sessions/?show=past"),
        Target("sessions needing attention", "coordinator", "GET", "/sessions/?show=attention"),
        Target("a session's page", "coordinator", "GET", f"/sessions/{fixtures['big_session']}/"),
        Target("matching", "coordinator", "GET", f"/sessions/{fixtures['matching_session']}/matching/"),
        Target("claims queue", "coordinator", "GET", "/claims/"),
        Target("network list", "lead", "GET", list_path, before=clear_filters),
        Target("network list, filtered", "lead", "GET", list_path, before=set_filters),
        Target("a volunteer's page", "lead", "GET", f"/networks/{network}/volunteers/{fixtures['membership']}/"),
        Target("a year's report", "lead", "GET", f"/reports/{network}/annual/{year}/"),
        Target("claims queue (finance)", "finance", "GET", "/claims/"),
        Target("runs", "finance", "GET", "/runs/"),
        Target("a large run's page", "finance", "GET", f"/runs/{fixtures['large_run']}/"),
        Target("run preview", "finance", "GET", f"/runs/{fixtures['preview_run']}/"),
    ]


def measure(targets: list[Target], clients: dict[str, Client], requests: int, warmup: int, log: Any) -> None:
    """Warm every page up, then for 1 and then 8 clients, ROUNDS rounds of every target in turn."""
    counter = Counter()
    for target in targets:
        for _index in range(warmup):
            run_batch(target, clients[target.role], 1, 1, counter, record=False)
    per_round = max(1, requests // ROUNDS)
    for concurrency in CONCURRENCY:
        for round_number in range(ROUNDS):
            log(f"  {concurrency} client(s), round {round_number + 1} of {ROUNDS}")
            for target in targets:
                run_batch(target, clients[target.role], per_round, concurrency, counter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default=os.environ.get("BENCH_SIZE", "full"))
    parser.add_argument("--volunteers", type=int, help="Overrides the size's number of volunteers.")
    parser.add_argument("--requests", type=int, help="Requests per page at each concurrency level.")
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE", "involvement_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--output", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--reseed", action="store_true", help="Seed the template database again.")
    parser.add_argument("--no-jobs", action="store_true", help="Measure the pages only.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cleanup", action="store_true", help="Drop the bench database and its template afterwards.")
    parser.add_argument("--internal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    volunteers, requests, warmup = SIZES[args.size]
    args.volunteers = args.volunteers or volunteers
    args.requests = args.requests or requests
    if args.internal:
        internal(args.internal, args)
        return
    args.secret_key = secrets.token_urlsafe(50)

    def log(message: str) -> None:
        print(message, flush=True)

    started = datetime.datetime.now(datetime.UTC)
    load_before = machine()["load"]
    port = free_port()
    env = production_env(args, port)
    # gunicorn.conf.py and the settings' connection budget read these; the command line says the same.
    env.update(WEB_CONCURRENCY=str(args.workers), WEB_THREADS="1")
    seeded = prepare_database(args, env, log)
    log("Collecting static files...")
    manage(env, "collectstatic", "--no-input", "-v0")
    log("Preparing invitations and finding the pages' objects...")
    fixtures = django_process(env, "fixtures", args)
    log(f"Starting gunicorn on 127.0.0.1:{port}...")
    server = start_server(env, port, args.workers)
    try:
        clients = {role: Client(port) for role in [*ROLES, "answering"]}
        for role, (email, two_factor) in ROLES.items():
            clients[role].sign_in(email, two_factor=two_factor)
        # Another volunteer answers the invitations of the POSTs (scripts/bench_django.py).
        clients["answering"].sign_in(fixtures["answering_email"], two_factor=False)
        log("Signed in as each role through the sign-in and two-factor pages.")
        fixtures["feed_path"] = feed_path(clients["volunteer"])
        targets = targets_for(fixtures, clients)
        began = time.monotonic()
        measure(targets, clients, args.requests, warmup, log)
        pages_seconds = time.monotonic() - began
    finally:
        server.stop()
    jobs: dict[str, Any] = {}
    if not args.no_jobs:
        log("Timing the background jobs...")
        jobs = django_process(env, "jobs", args)
    section = report(args, started, load_before, fixtures, targets, jobs, seeded, pages_seconds, env)
    print("\n".join(section))
    write_report(Path(args.output), section)
    log(f"Written to {args.output}.")
    if args.cleanup:
        for database in (args.db, f"{args.db}_seed_{args.volunteers}"):
            execute_admin(args.server, f"DROP DATABASE IF EXISTS {database}")


def feed_path(client: Client) -> str:
    status, _headers, body = client.request("GET", "/my-sessions/calendar/")
    found = re.search(r"https?://[^\"<\s]+(/calendar/[A-Za-z0-9_-]+\.ics)", body.decode("utf-8", "replace"))
    if status != 200 or found is None:
        raise SystemExit("The volunteer's calendar page shows no feed address.")
    return found.group(1)


def report(
    args: argparse.Namespace,
    started: datetime.datetime,
    load_before: str,
    fixtures: dict[str, Any],
    targets: list[Target],
    jobs: dict[str, Any],
    seeded: dict[str, Any],
    pages_seconds: float,
    env: dict[str, str],
) -> list[str]:
    about = machine()
    counts = fixtures.get("counts", {})
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC by `scripts/bench.py --size {args.size}` "
        f"({args.volunteers:,} volunteers; {args.requests} requests per page at each of 1 and 8 clients, "
        f"in {ROUNDS} rounds interleaved with the ceiling views; gunicorn with {args.workers} sync workers; "
        f"broker {'Redis' if 'REDIS_URL' in env else 'filesystem'}).",
        "",
        f"- Machine: {about['cpu']}, {about['memory']}; {about['os']}; Python {about['python']}; "
        f"{fixtures.get('postgres', 'PostgreSQL')}.",
        f"- Load average (1, 5, 15 min) before: {load_before}; after: {about['load']} "
        "(the machine is shared with other work: read the ratios, measured in the same rounds, before the times).",
        "- Data: " + ", ".join(f"{count:,} {name}" for name, count in counts.items()) + ".",
    ]
    if seeded:
        lines.append(
            f"- Seeding the template: migrate {seeded['migrate_s']:.0f} s, seed_demo {seeded['seed_demo_s']:.0f} s, "
            f"seed_scale {seeded['seed_scale_s']:.0f} s."
        )
    lines += [f"- Pages measured in {pages_seconds:.0f} s.", "", *page_table(targets), ""]
    if jobs:
        lines += ["Background jobs (one process, production profile, the same database):", "", *job_table(jobs)]
    return lines


if __name__ == "__main__":
    main()
