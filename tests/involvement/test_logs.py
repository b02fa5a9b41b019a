"""The log format: JSON lines with email addresses and capability tokens redacted, and a
traceback that keeps its frames but not the exception's message."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from involvement.logs import JsonFormatter, Redact, redact

Captured = tuple[logging.Logger, io.StringIO]


@pytest.fixture
def captured() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Redact())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_time_level_logger_and_message(captured: Captured) -> None:
    logger, stream = captured

    logger.warning("Notification %s failed (attempt %s).", 41, 2, extra={"notification": 41})

    (entry,) = lines(stream)
    assert set(entry) == {"time", "level", "logger", "message", "notification"}
    assert (entry["level"], entry["logger"], entry["message"], entry["notification"]) == (
        "WARNING",
        "tests.logs",
        "Notification 41 failed (attempt 2).",
        41,
    )
    assert str(entry["time"]).endswith("+00:00")


def test_email_addresses_and_capability_tokens_are_redacted(captured: Captured) -> None:
    logger, stream = captured

    logger.warning("Not Found: %s", "/calendar/k2Jd8sQpX0vLmN4tR7yBcZ1a.ics")
    logger.info("Sent to %s", "maria.jones+volunteer@example.org")

    assert [entry["message"] for entry in lines(stream)] == ["Not Found: /calendar/[token].ics", "Sent to [email]"]


def test_ordinary_words_ids_and_counts_are_left_alone() -> None:
    text = "Run 12 paid 2874 claims; reimbursement_run_payments_export_finished in 3.5 s"

    assert redact(text) == text


def test_a_traceback_keeps_its_frames_but_not_the_message(captured: Captured) -> None:
    logger, stream = captured

    row = "Key (email)=(maria@example.org) already exists."
    try:
        raise ValueError(row)
    except ValueError:
        logger.exception("Could not save.")

    (entry,) = lines(stream)
    assert (entry["message"], entry["exception"]) == ("Could not save.", "ValueError")
    assert "test_a_traceback_keeps_its_frames_but_not_the_message" in str(entry["traceback"])
    assert "maria" not in json.dumps(entry)


def test_the_site_and_worker_log_through_the_redacting_handler() -> None:
    logging_config: dict[str, Any] = settings.LOGGING

    assert logging_config["handlers"]["console"]["filters"] == ["redact"]
    assert logging_config["root"]["handlers"] == ["console"]
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False
