"""Options of the reliability tests.

``--runs N``: how many times tests/reliability/test_worker_kill.py kills the reimbursement worker
(50 by default, as CI runs it). A long soak: ``pytest tests/reliability/test_worker_kill.py
--runs 1000``. pytest reads this option only when it loads this file at start-up, that is when
the command line names tests/reliability or a file in it.
"""

from __future__ import annotations

import argparse

import pytest

DEFAULT_RUNS = 50


def at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--runs",
        type=at_least_one,
        default=DEFAULT_RUNS,
        metavar="N",
        help=f"kill cycles of tests/reliability/test_worker_kill.py (default {DEFAULT_RUNS}; 1000 for a long soak)",
    )


@pytest.fixture
def runs(request: pytest.FixtureRequest) -> int:
    """The kill cycles asked for with ``--runs``."""
    return int(request.config.getoption("runs"))
