"""Fixtures for the binding's tests.

ctest runs them with TOOLGATE_LIBRARY (the libtoolgate.so of the build),
TOOLGATE_SCALEKIT_DEV (the dev server) and TOOLGATE_TEST_LOG_PROVIDER (a
provider module that logs) set; the package is imported from ../src.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import toolgate  # noqa: E402

from support import ACCOUNTS, AccountsFile, DevServer, file_config, required_env  # noqa: E402


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
