"""Fixtures for the binding's tests.

ctest runs them with TOOLGATE_LIBRARY (the libtoolgate.so of the build),
TOOLGATE_SCALEKIT_DEV (the dev server) and TOOLGATE_TEST_LOG_PROVIDER (a
provider module that logs) set; the package is imported from ../src.
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import toolgate  # noqa: E402

from support import ACCOUNTS, AccountsFile, DevServer, file_config, required_env  # noqa: E402


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Every thread a test starts (its own, a wait's helper) ends with it."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 30
    while True:
        # (A thread of C that logged through Python shows as a _DummyThread,
        # which Python keeps listed for good.)
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not isinstance(t, threading._DummyThread)]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"threads still running after the test: {left}")
        time.sleep(0.01)


@pytest.fixture
def accounts(tmp_path: Path) -> AccountsFile:
    """An accounts file with ACCOUNTS in it."""
    f = AccountsFile(tmp_path / "accounts.json")
    f.write(ACCOUNTS)
    return f


@pytest.fixture
def open_gate() -> Iterator[Callable[[str], toolgate.Gate]]:
    """Open gates from JSON text; every one is closed after the test."""
    gates: List[toolgate.Gate] = []

    def open_(config: str) -> toolgate.Gate:
        gate = toolgate.Gate.from_json(config)
        gates.append(gate)
        return gate

    yield open_
    for gate in gates:
        gate.close()


@pytest.fixture
def gate(accounts: AccountsFile, open_gate: Callable[[str], toolgate.Gate]) -> toolgate.Gate:
    """A gate over the accounts file, long TTLs, policy closed."""
    return open_gate(file_config(accounts))


@pytest.fixture
def dev_server() -> Iterator[DevServer]:
    """scalekit-dev on a free loopback port, stopped after the test (also on failure)."""
    server = DevServer(required_env("TOOLGATE_SCALEKIT_DEV"))
    try:
        yield server
    finally:
        server.stop()
