"""``make bench`` at its small size, end to end, to prove it works (scripts/bench.py): a seeded
database of its own, gunicorn in the production profile, every role signed in through the real
pages, every key page and the ceiling views measured, the background jobs timed, the table
written. No timing is checked: this machine's speed is not the code's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "home",
    "my sessions",
    "money",
    "calendar feed",
    "accept an invitation (POST)",
    "sessions to come",
    "past sessions",
    "sessions needing attention",
    "a session's page",
    "matching",
    "claims queue",
    "network list",
    "network list, filtered",
    "a volunteer's page",
    "a year's report",
    "claims queue (finance)",
    "runs",
    "a large run's page",
    "run preview",
]
JOBS = [
    "matching, one session",
    "largest annual report",
    "reminder sweep",
    "reminder sweep, nothing due",
    "outbox delivery",
    "pending sweep",
    "reimbursement runs",
]


@pytest.mark.postgres
def test_bench_small_measures_every_page_and_job(tmp_path: Path) -> None:
    database = settings.DATABASES["default"]
    server = f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    name = re.sub(r"[^a-z0-9_]", "_", f"{database['NAME']}_bench".lower())
    output = tmp_path / "PERFORMANCE.md"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}

    result = subprocess.run(  # noqa: S603 -- the project's own script
        [
            sys.executable,
            "scripts/bench.py",
            *("--size", "small", "--server", server, "--db", name, "--output", str(output)),
            *("--reseed", "--cleanup"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    table = output.read_text()
    rows = {
        line.split(" | ")[0].lstrip("| "): line.split(" | ") for line in table.splitlines() if line.startswith("| ")
    }
    for page in PAGES:
        cells = rows[page]
        # Queries (from the bench-mode header), then only successful answers.
        assert cells[2].isdigit() or re.fullmatch(r"\d+–\d+", cells[2]), (page, cells[2])
        assert re.fullmatch(r"(200|302)×\d+(, (200|302)×\d+)*", cells[-1].rstrip(" |")), (page, cells[-1])
    for job in JOBS:
        assert job in rows, job
    assert "ceiling: one query, base layout" in rows
