"""The backup and restore in docs/OPERATIONS.md, run as written: scripts/backup.sh takes the
database and the uploaded files, scripts/restore.sh puts them into a new, empty database and
directory, and every table and file comes back exactly. A damaged backup and a database that is
not empty are refused."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.conftest import build_world
from tests.expenses.factories import ClaimFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def server_url(database: str) -> str:
    settings = connection.settings_dict
    user, host, port = settings["USER"] or "postgres", settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database}"


def table_checksums(url: str) -> dict[str, str]:
    """Every public table's row count and an md5 over its rows in a fixed order."""
    with psycopg.connect(url, autocommit=True) as database:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        found = {}
        for table in tables:
            row = database.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608
            ).fetchone()
            assert row is not None
            found[table] = f"{row[0]}:{row[1]}"
        return found


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"inv_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield server_url(name)
    with psycopg.connect(server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(script: str, *args: str, database: str, media: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database, "MEDIA_ROOT": str(media)}
    return subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / script), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_backup_restores_every_table_and_file_exactly(tmp_path: Path, empty_database: str) -> None:
    build_world()
    ClaimFactory.create_batch(3)
    media = tmp_path / "media"
    (media / "receipts" / "2026").mkdir(parents=True)
    receipt = media / "receipts" / "2026" / "train-ticket.pdf"
    receipt.write_bytes(b"%PDF-1.4 a receipt\n")
    source = server_url(connection.settings_dict["NAME"])

    backup = run("backup.sh", str(tmp_path / "backup"), database=source, media=media)
    restored_media = tmp_path / "restored-media"
    restore = run("restore.sh", str(tmp_path / "backup"), database=empty_database, media=restored_media)

    assert (backup.returncode, restore.returncode) == (0, 0), backup.stderr + restore.stderr
    before, after = table_checksums(source), table_checksums(empty_database)
    assert after == before
    assert int(before["expenses_claim"].split(":")[0]) == 3
    assert (restored_media / "receipts" / "2026" / "train-ticket.pdf").read_bytes() == receipt.read_bytes()


def test_a_damaged_backup_and_a_database_in_use_are_refused(tmp_path: Path, empty_database: str) -> None:
    build_world()
    media = tmp_path / "media"
    media.mkdir()
    source = server_url(connection.settings_dict["NAME"])
    assert run("backup.sh", str(tmp_path / "backup"), database=source, media=media).returncode == 0
    again = run("backup.sh", str(tmp_path / "backup"), database=source, media=media)

    onto_live = run("restore.sh", str(tmp_path / "backup"), database=source, media=tmp_path / "elsewhere")
    with (tmp_path / "backup" / "database.dump").open("ab") as dump:
        dump.write(b"damage")
    damaged = run("restore.sh", str(tmp_path / "backup"), database=empty_database, media=tmp_path / "restored")

    assert (again.returncode, "already exists" in again.stderr) == (1, True)
    assert (onto_live.returncode, "already has" in onto_live.stderr) == (1, True)
    assert damaged.returncode != 0
    assert "FAILED" in damaged.stderr + damaged.stdout
    assert table_checksums(empty_database) == {}
