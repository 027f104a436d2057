"""The library's diagnostic lines reach the "toolgate" logger, from any thread."""
from __future__ import annotations

import json
import logging
import threading
from typing import Callable, Iterator

import pytest

import toolgate
from support import required_env

OpenGate = Callable[[str], toolgate.Gate]
LOGGER = logging.getLogger("toolgate")


@pytest.fixture
def logger_level() -> Iterator[Callable[[int], None]]:
    """Set the toolgate logger's level for a test; restore it (and the library's) after."""
    saved = LOGGER.level

    def set_level(level: int) -> None:
        LOGGER.setLevel(level)
        toolgate.sync_logging()

    yield set_level
    LOGGER.setLevel(saved)
    toolgate.sync_logging()


def log_gate(open_gate: OpenGate) -> toolgate.Gate:
    # A provider module that logs one line per level per status, and one more
    # from a thread it starts.
    return open_gate(json.dumps({"provider": {"type": required_env("TOOLGATE_TEST_LOG_PROVIDER")},
                                 "tools": {"prefixes": {"gmail_": "gmail"}}}))


def test_lines_reach_python_logging(open_gate: OpenGate, caplog: pytest.LogCaptureFixture,
                                    logger_level: Callable[[int], None]) -> None:
    logger_level(logging.DEBUG)
    gate = log_gate(open_gate)
    with caplog.at_level(logging.DEBUG, logger="toolgate"):
        assert gate.check("gmail_send_email", "user_123").allowed
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "toolgate"]
    assert (logging.ERROR, "log_provider: error line for gmail|user_123") in lines
    assert (logging.WARNING, "log_provider: warn line for gmail|user_123") in lines
    assert (logging.INFO, "log_provider: info line for gmail|user_123") in lines
    assert (logging.DEBUG, "log_provider: debug line for gmail|user_123") in lines
    # Logged by a thread the provider started, not by Python.
    threaded = [r for r in caplog.records
                if r.getMessage() == "log_provider: from a provider thread for user_123"]
    assert len(threaded) == 1 and threaded[0].thread != threading.get_ident()


def test_the_library_follows_the_logger_level(open_gate: OpenGate,
                                              caplog: pytest.LogCaptureFixture,
                                              logger_level: Callable[[int], None]) -> None:
    logger_level(logging.WARNING)
    gate = log_gate(open_gate)
    with caplog.at_level(logging.WARNING, logger="toolgate"):
        gate.check("gmail_send_email", "user_1")
    levels = {r.levelno for r in caplog.records if r.name == "toolgate"}
    assert levels == {logging.ERROR, logging.WARNING}
    caplog.clear()
    logger_level(logging.CRITICAL)  # nothing the library says is wanted: sink off
    gate.check("gmail_send_email", "user_2")
    assert [r for r in caplog.records if r.name == "toolgate"] == []


def test_threads_logging_at_once(open_gate: OpenGate, caplog: pytest.LogCaptureFixture,
                                 logger_level: Callable[[int], None]) -> None:
    logger_level(logging.INFO)
    gate = log_gate(open_gate)
    with caplog.at_level(logging.INFO, logger="toolgate"):
        threads = [threading.Thread(target=lambda n=n: [gate.check("gmail_x", f"u{n}_{k}")
                                                        for k in range(20)])
                   for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    infos = [r for r in caplog.records if r.getMessage().startswith("log_provider: info line")]
    assert len(infos) == 6 * 20
