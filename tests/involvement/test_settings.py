import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    unwanted = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {key: value for key, value in os.environ.items() if key not in unwanted}
    environment.update(env)
    return subprocess.run(  # noqa: S603 -- fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_profile_passes_deploy_checks():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-like-secret-key-with-plenty-of-entropy-0123456789-abcdef",
        ALLOWED_HOSTS="involvement.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_profile_refuses_to_start_without_secret_key():
    result = run_manage("check", DEBUG="false", SECRET_KEY="")

    assert result.returncode == 1
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_seed_demo_refuses_without_debug_unless_forced():
    result = run_manage(
        "seed_demo",
        DEBUG="false",
        SECRET_KEY="a-production-like-secret-key-with-plenty-of-entropy-0123456789-abcdef",
        DATABASE_URL="sqlite:///:memory:",
    )

    assert result.returncode == 1
    assert "DEBUG is off" in result.stderr
