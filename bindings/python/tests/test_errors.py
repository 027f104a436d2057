"""Every exception: what raises it, its code, its message; bad input of every kind."""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Callable

import pytest

import toolgate
from support import AccountsFile, required_env

OpenGate = Callable[[str], toolgate.Gate]


def test_hierarchy() -> None:
    for cls in (toolgate.ConfigError, toolgate.InputError, toolgate.ProviderError,
                toolgate.SignatureError, toolgate.LibraryNotFoundError):
        assert issubclass(cls, toolgate.Error)
    assert issubclass(toolgate.InputError, ValueError)
    assert issubclass(toolgate.LibraryNotFoundError, OSError)
    for cls in (toolgate.AuthorizationRequired, toolgate.Unavailable, toolgate.Denied):
        assert issubclass(cls, toolgate.Blocked)
        assert not issubclass(cls, toolgate.Error)  # a verdict, not a failure


def test_errors_pickle_with_their_code() -> None:
    e = pickle.loads(pickle.dumps(toolgate.ConfigError("config: bad", "EIO")))
    assert type(e) is toolgate.ConfigError and e.code == "EIO" and str(e) == "config: bad"


@pytest.mark.parametrize("config,code,needle", [
    ('{"cache": {"foo": 1}}', "ECONFIG", 'unknown key "cache.foo"'),
    ('{"on_provider_error": "sometimes"}', "ECONFIG", "on_provider_error"),
    ("{not json", "ECONFIG", ""),
    ('{"provider": {"type": "/nonexistent/provider.so"}}', "EPLUGIN", "/nonexistent/provider.so"),
    ('{"provider": {"type": "file", "path": "/nonexistent/accounts.json"}}', "ECONFIG",
     "/nonexistent/accounts.json"),
])
def test_config_errors(config: str, code: str, needle: str) -> None:
    with pytest.raises(toolgate.ConfigError) as e:
        toolgate.Gate.from_json(config)
    assert e.value.code == code
    assert needle in str(e.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(toolgate.ConfigError) as e:
        toolgate.Gate.from_file(tmp_path / "nope.json")
    assert e.value.code == "EIO" and "nope.json" in str(e.value)


def test_secrets_stay_out_of_config_errors() -> None:
    config = json.dumps({"provider": {"type": "scalekit", "environment_url": "http://example.com",
                                      "client_id": "id", "client_secret": "s3cr3t-value"}})
    with pytest.raises(toolgate.ConfigError) as e:
        toolgate.Gate.from_json(config)
    assert "s3cr3t-value" not in str(e.value)


@pytest.mark.parametrize("tool,identifier,needle", [
    ("gmail_send_email", "", "identifier"),
    ("gmail_send_email", "user\x01", "identifier"),
    ("gmail_send_email", "u" * 513, "identifier"),
    ("gmail_send_email", "user\x00evil", "NUL"),
    ("gmail_send_email", "user\ud800", "surrogate"),
    ("", "user_123", "tool"),
    ("gmail send", "user_123", "tool"),
    ("t" * 129, "user_123", "tool"),
    ("gmail\x00_send", "user_123", "NUL"),
])
def test_bad_input_is_an_input_error(gate: toolgate.Gate, tool: str, identifier: str,
                                     needle: str) -> None:
    with pytest.raises(toolgate.InputError, match=needle) as e:
        gate.check(tool, identifier)
    assert e.value.code == "EINVAL"
    # The gate is unharmed.
    assert gate.check("gmail_send_email", "user_123").allowed


@pytest.mark.parametrize("tool,identifier", [
    (None, "user_123"), ("gmail_send_email", None), (b"gmail_send_email", "user_123"),
    ("gmail_send_email", 123),
])
def test_wrong_types_are_type_errors(gate: toolgate.Gate, tool: Any, identifier: Any) -> None:
    with pytest.raises(TypeError):
        gate.check(tool, identifier)


def test_bad_input_everywhere_else(gate: toolgate.Gate) -> None:
    with pytest.raises(toolgate.InputError):
        gate.status("bad/connection", "user_123")
    with pytest.raises(toolgate.InputError):
        gate.link("gmail", "")
    with pytest.raises(toolgate.InputError):
        gate.invalidate(None, "user_123")  # an identifier needs its connection
    with pytest.raises(toolgate.InputError):
        gate.invalidate("gmail", "user\x7f")
    with pytest.raises(toolgate.InputError):
        gate.wait("gmail", "user_123", timeout=-1)
    with pytest.raises(toolgate.InputError):
        gate.wait("gmail", "user_123", timeout=float("nan"))
    with pytest.raises(TypeError):
        gate.wait("gmail", "user_123", timeout="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        toolgate.Gate.from_json({"cache": {}})  # type: ignore[arg-type]
    with pytest.raises(toolgate.InputError):
        toolgate.Gate.from_json('{"a":\x00}')
    with pytest.raises(TypeError):
        toolgate.Gate.from_file(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        toolgate.Gate()


def test_provider_error_from_link(accounts: AccountsFile, gate: toolgate.Gate) -> None:
    accounts.break_it()
    with pytest.raises(toolgate.ProviderError) as e:
        gate.link("gmail", "user_456")
    assert e.value.code == "EPROVIDER" and e.value.decision is None
    assert str(e.value)


def test_provider_error_from_wait(accounts: AccountsFile, gate: toolgate.Gate) -> None:
    accounts.break_it()
    with pytest.raises(toolgate.ProviderError) as e:
        gate.wait("gmail", "user_456", timeout=0.3)
    assert e.value.code == "EPROVIDER"
    d = e.value.decision
    assert d is not None and d.verdict is toolgate.Verdict.UNAVAILABLE
    assert d.connection == "gmail" and d.identifier == "user_456" and d.tool is None


def test_link_not_supported(open_gate: OpenGate) -> None:
    # A provider without links (the logging test module) refuses with ENOTSUP.
    gate = open_gate(json.dumps({"provider": {"type": required_env("TOOLGATE_TEST_LOG_PROVIDER")}}))
    with pytest.raises(toolgate.Error) as e:
        gate.link("gmail", "user_123")
    assert e.value.code == "ENOTSUP" and type(e.value) is toolgate.Error


@pytest.mark.server
def test_configuration_wrong_on_first_use(dev_server: Any, open_gate: OpenGate) -> None:
    gate = open_gate(json.dumps({
        "provider": {"type": "scalekit", "environment_url": dev_server.url,
                     "client_id": "dev_client", "client_secret": "wrong-secret"},
        "tools": {"prefixes": {"gmail_": "gmail"}}}))
    with pytest.raises(toolgate.ConfigError) as e:
        gate.check("gmail_send_email", "user_123")
    assert e.value.code == "ECONFIG" and "wrong-secret" not in str(e.value)
