"""`pip-audit --strict` over the virtual environment, where its vulnerability service can be reached.

pip-audit asks PyPI's JSON API about each installed package. Where that service cannot be reached (a
machine whose package index is a mirror, or no network), this says so and exits 0: the lack of a
network must not fail `make check`. Where it can, any known vulnerability, or any package it cannot
audit, fails (``--strict``). The project itself, installed editable, is not on PyPI and is skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

# What pip-audit's default ("pypi") service asks for each package: one release's JSON, with its
# known vulnerabilities. Asked here about pip-audit's own release. (A mirror may answer a project's
# JSON but not a release's, as on the machines this project is built on.)
SERVICE = f"https://pypi.org/pypi/pip-audit/{version('pip-audit')}/json"
BIN = Path(sys.executable).parent


def service_reachable() -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(SERVICE, timeout=10) as response:  # noqa: S310 -- a fixed https address
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        return False, str(getattr(error, "reason", error))
    if "info" not in body or "vulnerabilities" not in body:
        return False, "an answer that is not PyPI's"
    return True, "ok"


def main() -> int:
    reachable, why = service_reachable()
    if not reachable:
        print(f"pip-audit skipped: PyPI's vulnerability service cannot be reached from here ({why}).")
        return 0
    command = [str(BIN / "pip-audit"), "--strict", "--skip-editable", "--progress-spinner", "off"]
    return subprocess.run(command, check=False).returncode  # noqa: S603 -- a fixed command line


if __name__ == "__main__":
    sys.exit(main())
