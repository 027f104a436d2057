"""Every verdict, and what a Decision carries: values, to_dict, encodings."""
from __future__ import annotations

import copy
import gc
import json
import pickle
import re
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import toolgate
from toolgate import Decision, Status, Verdict
from support import AccountsFile, file_config

KEYS = ["verdict", "tool", "connection", "identifier", "status", "link", "link_expires_at",
        "reason", "source", "stale"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
OpenGate = Callable[[str], toolgate.Gate]


def library_json(decision: Decision) -> Dict[str, Any]:
    """The library's own JSON for the decision (tg_decision_to_json's object)."""
    result: Dict[str, Any] = json.loads(decision.encode("json"))
    return result


def test_allow_from_provider_then_cache(gate: toolgate.Gate) -> None:
    first = gate.check("gmail_send_email", "user_123")
    assert first.verdict is Verdict.ALLOW and first.verdict == "ALLOW"
    assert first.allowed
    assert first.tool == "gmail_send_email"
    assert first.connection == "gmail"
    assert first.identifier == "user_123"
    assert first.status is Status.ACTIVE
    assert first.link is None and first.link_expires_at is None
    assert first.source == "provider"
    assert first.stale is False
    assert first.reason == "gmail account of user_123 is ACTIVE"
    second = gate.check("gmail_send_email", "user_123")
    assert second.source == "cache"
    assert second.to_dict() == library_json(second)
    stats = gate.stats()
    assert (stats["hits"], stats["misses"]) == (1, 1)
    assert stats["verdicts"]["ALLOW"] == 2


def test_needs_authorization_carries_the_link(gate: toolgate.Gate) -> None:
    d = gate.check("gmail_send_email", "user_456")
    assert d.verdict is Verdict.NEEDS_AUTHORIZATION and not d.allowed
    assert d.status is Status.EXPIRED
    assert d.link == ("https://connect.example.com/authorize?connection=gmail"
                      "&identifier=user_456")
    assert d.link_expires_at is not None and RFC3339.match(d.link_expires_at)
    assert "EXPIRED" in d.reason
    assert d.to_dict() == library_json(d)
    again = gate.check("gmail_send_email", "user_456")
    assert again.source == "cache" and again.link == d.link


@pytest.mark.parametrize("identifier,status", [
    ("user_pending", Status.PENDING),
    ("user_verify", Status.PENDING_VERIFICATION),
    ("user_revoked", Status.REVOKED),
    ("user_unknown", Status.UNKNOWN),
    ("someone_new", Status.PENDING),  # created, as get-or-create does
])
def test_every_non_active_status_blocks(gate: toolgate.Gate, identifier: str,
                                        status: Status) -> None:
    d = gate.check("gmail_read", identifier)
    assert d.verdict is Verdict.NEEDS_AUTHORIZATION
    assert d.status is status
    assert d.link is not None and d.link.endswith("identifier=" + identifier)
    assert d.to_dict() == library_json(d)


def test_not_found_without_create_missing(accounts: AccountsFile, open_gate: OpenGate) -> None:
    gate = open_gate(file_config(accounts, provider={"create_missing": False}))
    d = gate.check("gmail_read", "nobody")
    assert d.verdict is Verdict.NEEDS_AUTHORIZATION and d.status is Status.NOT_FOUND


def test_unavailable_when_the_provider_fails(accounts: AccountsFile, open_gate: OpenGate) -> None:
    gate = open_gate(file_config(accounts))
    accounts.break_it()
    d = gate.check("gmail_send_email", "user_123")
    assert d.verdict is Verdict.UNAVAILABLE and not d.allowed
    assert d.status is None and d.link is None and d.source is None
    assert d.connection == "gmail"
    assert d.to_dict() == library_json(d)
    assert gate.stats()["provider_errors"] >= 1


def test_open_policy_allows_with_a_skipped_check(accounts: AccountsFile,
                                                  open_gate: OpenGate) -> None:
    gate = open_gate(file_config(accounts, on_provider_error="open"))
    accounts.break_it()
    d = gate.check("gmail_send_email", "user_456")
    assert d.verdict is Verdict.ALLOW and d.status is None
    assert "skipped" in d.reason
    assert d.to_dict() == library_json(d)


def test_stale_policy_serves_an_expired_active_entry(accounts: AccountsFile,
                                                      open_gate: OpenGate) -> None:
    gate = open_gate(file_config(accounts, on_provider_error="stale",
                                 cache={"active_ttl_ms": 0}))
    assert gate.check("gmail_send_email", "user_123").stale is False
    accounts.break_it()
    d = gate.check("gmail_send_email", "user_123")
    assert d.verdict is Verdict.ALLOW and d.stale is True and d.status is Status.ACTIVE
    assert d.to_dict() == library_json(d)


def test_deny_for_an_unmapped_tool(accounts: AccountsFile, open_gate: OpenGate) -> None:
    gate = open_gate(file_config(accounts, tools={"unmapped": "deny"}))
    d = gate.check("shell_exec", "user_123")
    assert d.verdict is Verdict.DENY and not d.allowed
    assert d.connection is None and d.status is None and d.source is None
    assert d.to_dict() == library_json(d)
    # The Python side remembers the tool's (absent) connection; still DENY.
    assert gate.check("shell_exec", "user_123").verdict is Verdict.DENY


def test_unmapped_tool_allowed_by_default(gate: toolgate.Gate) -> None:
    d = gate.check("calculator", "user_456")
    assert d.verdict is Verdict.ALLOW and d.connection is None and d.status is None
    assert d.to_dict() == library_json(d)


def test_exact_rule_before_prefix(gate: toolgate.Gate) -> None:
    assert gate.check("send_email", "user_456").connection == "gmail"
    assert gate.check("slack_post", "user_456").connection == "slack"
    assert gate.check("slack_post", "user_123").allowed


def test_to_dict_has_exactly_the_keys_in_order(gate: toolgate.Gate) -> None:
    for identifier in ("user_123", "user_456"):
        d = gate.check("gmail_send_email", identifier)
        assert list(d.to_dict()) == KEYS
        assert list(library_json(d)) == KEYS
        assert json.loads(json.dumps(d.to_dict())) == d.to_dict()


def test_encodings(gate: toolgate.Gate) -> None:
    blocked = gate.check("gmail_send_email", "user_456")
    text = blocked.encode("text")
    assert blocked.link is not None
    assert "\n" not in text and text.startswith("NEEDS_AUTHORIZATION") and blocked.link in text
    mcp = json.loads(blocked.encode("mcp", request_id=7))
    assert mcp["jsonrpc"] == "2.0" and mcp["id"] == 7
    assert mcp["error"]["code"] == -32042
    assert mcp["error"]["data"]["elicitations"][0]["url"] == blocked.link
    assert json.loads(blocked.encode("mcp", request_id="req-1"))["id"] == "req-1"
    assert json.loads(blocked.encode("mcp"))["code"] == -32042  # no id: the error alone
    required = json.loads(blocked.encode("mcp-input-required"))
    assert required["resultType"] == "input_required"
    result = json.loads(blocked.encode("mcp-tool-result"))
    assert result["isError"] is True and result["structuredContent"] == blocked.to_dict()
    allowed = gate.check("gmail_send_email", "user_123")
    assert json.loads(allowed.encode("mcp-tool-result"))["isError"] is False


def test_encode_rejects_bad_arguments(gate: toolgate.Gate) -> None:
    d = gate.check("gmail_send_email", "user_456")
    with pytest.raises(toolgate.InputError, match="unknown format 'xml'") as e:
        d.encode("xml")
    assert e.value.code == "EINVAL"
    with pytest.raises(toolgate.InputError):
        d.encode("mcp", request_id=2**64)  # does not fit in 64 bits
    with pytest.raises(toolgate.InputError):
        d.encode("mcp", request_id="x" * 2000)  # longer than 1024 bytes of JSON
    with pytest.raises(TypeError):
        d.encode("mcp", request_id=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        d.encode("mcp", request_id=True)
    with pytest.raises(TypeError):
        d.encode(3)  # type: ignore[arg-type]


def test_long_encodings(tmp_path: Path, open_gate: OpenGate) -> None:
    # A long link and identifier: encodings past the first 4 KiB buffer.
    accounts = AccountsFile(tmp_path / "long.json")
    accounts.write([])
    body = json.loads(accounts.path.read_text())
    body["link_base"] = "https://connect.example.com/" + "a" * 900
    accounts.path.write_text(json.dumps(body))
    gate = open_gate(file_config(accounts))
    identifier = "u" * 500
    d = gate.check("gmail_send_email", identifier)
    assert d.link is not None and len(d.link) > 1400
    for fmt in ("mcp", "mcp-input-required", "mcp-tool-result"):
        text = d.encode(fmt, request_id="r" * 900)
        assert json.loads(text) and identifier in text
    assert len(d.encode("mcp", request_id="r" * 900)) > 4096


def test_values_equality_and_repr(gate: toolgate.Gate) -> None:
    a = gate.check("gmail_send_email", "user_456")
    b = gate.check("gmail_send_email", "user_456")
    assert a != b  # provider, then cache
    c = gate.check("gmail_send_email", "user_456")
    assert b == c and hash(b) == hash(c)
    assert repr(c).startswith("Decision(verdict='NEEDS_AUTHORIZATION', tool='gmail_send_email'")
    with pytest.raises(AttributeError):
        c.verdict = Verdict.ALLOW  # type: ignore[misc]
    with pytest.raises(TypeError):
        Decision()


def test_copies_keep_values_but_cannot_encode(gate: toolgate.Gate) -> None:
    d = gate.check("gmail_send_email", "user_456")
    for twin in (pickle.loads(pickle.dumps(d)), copy.copy(d)):
        assert twin == d and twin.to_dict() == d.to_dict()
        with pytest.raises(toolgate.Error) as e:
            twin.encode("json")
        assert e.value.code == "ENOTSUP"


def test_decisions_outlive_their_gate(accounts: AccountsFile) -> None:
    gate = toolgate.Gate.from_json(file_config(accounts))
    blocked = gate.check("gmail_send_email", "user_456")
    allowed = gate.check("gmail_send_email", "user_123")
    expected = library_json(blocked)
    handle = weakref.ref(gate._h)  # white-box: what owns the C gate
    gate.close()
    # Decisions stay whole, values not yet read included, and keep the C gate.
    assert blocked.to_dict() == expected and library_json(blocked) == expected
    assert allowed.reason == "gmail account of user_123 is ACTIVE"
    assert handle() is not None
    del blocked, allowed
    gc.collect()
    assert handle() is None  # released once nothing uses it


def test_close_releases_at_once_when_unused(accounts: AccountsFile) -> None:
    gate = toolgate.Gate.from_json(file_config(accounts))
    assert gate.check("gmail_send_email", "user_123").allowed
    handle = weakref.ref(gate._h)
    gate.close()
    assert handle() is None


def test_close_while_other_threads_check(accounts: AccountsFile) -> None:
    gate = toolgate.Gate.from_json(file_config(accounts))
    outcomes: List[str] = []
    start = threading.Barrier(5)

    def checker() -> None:
        start.wait()
        try:
            while True:
                d = gate.check("gmail_send_email", "user_123")
                assert d.allowed and d.reason.endswith("ACTIVE")
        except toolgate.InputError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=checker) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    gate.close()
    for t in threads:
        t.join(timeout=30)
    assert outcomes == ["toolgate: the gate is closed"] * 4


def test_many_decisions_alive_at_once(gate: toolgate.Gate) -> None:
    # More than the pool of idle C decisions keeps: each owns its own.
    kept = [gate.check("gmail_send_email", f"user_{i}") for i in range(200)]
    for i, d in enumerate(kept):
        assert d.identifier == f"user_{i}" and d.to_dict() == library_json(d)
    del kept
    assert gate.check("gmail_send_email", "user_123").allowed


def test_status_link_and_invalidate(accounts: AccountsFile, gate: toolgate.Gate) -> None:
    assert gate.status("gmail", "user_456") is Status.EXPIRED
    assert gate.status("slack", "user_123") is Status.ACTIVE
    link = gate.link("gmail", "user_456")
    assert isinstance(link, toolgate.Link)
    assert link.url.endswith("identifier=user_456")
    assert link.expires_at is not None and RFC3339.match(link.expires_at)
    # The file changes; the cached EXPIRED holds until invalidated.
    accounts.write([("gmail", "user_456", "ACTIVE")])
    assert gate.check("gmail_send_email", "user_456").verdict is Verdict.NEEDS_AUTHORIZATION
    gate.invalidate("gmail", "user_456")
    d = gate.check("gmail_send_email", "user_456")
    assert d.allowed and d.source == "provider"
    gate.invalidate("gmail")
    gate.invalidate()
    assert gate.check("gmail_send_email", "user_456").source == "provider"


def test_status_is_none_when_the_provider_cannot_tell(accounts: AccountsFile,
                                                       gate: toolgate.Gate) -> None:
    accounts.break_it()
    assert gate.status("gmail", "user_123") is None


def test_gate_as_context_manager(accounts: AccountsFile) -> None:
    with toolgate.Gate.from_json(file_config(accounts)) as gate:
        assert not gate.closed and "open" in repr(gate)
        assert gate.check("gmail_send_email", "user_123").allowed
    assert gate.closed and "closed" in repr(gate)
    gate.close()  # twice: nothing
    with pytest.raises(toolgate.InputError, match="closed"):
        gate.check("gmail_send_email", "user_123")
    with pytest.raises(toolgate.InputError, match="closed"):
        gate.status("gmail", "user_123")


def test_from_file(tmp_path: object, accounts: AccountsFile) -> None:
    config = accounts.path.parent / "toolgate.json"
    # Relative paths in the file are relative to its directory.
    config.write_text(json.dumps({"provider": {"type": "file", "path": accounts.path.name},
                                  "tools": {"prefixes": {"gmail_": "gmail"}}}))
    with toolgate.Gate.from_file(config) as gate:
        assert gate.check("gmail_x", "user_123").allowed
    with toolgate.Gate.from_file(str(config)) as gate:
        assert not gate.check("gmail_x", "user_456").allowed


def test_from_json_base_dir(accounts: AccountsFile) -> None:
    config = json.dumps({"provider": {"type": "file", "path": "accounts.json"}})
    with toolgate.Gate.from_json(config, base_dir=accounts.path.parent) as gate:
        assert gate.status("gmail", "user_123") is Status.ACTIVE


def test_enums_are_strings() -> None:
    assert Verdict.ALLOW == "ALLOW" and str(Verdict.DENY) == "DENY"
    assert f"{Status.ACTIVE}" == "ACTIVE"
    assert json.dumps({"v": Verdict.UNAVAILABLE}) == '{"v": "UNAVAILABLE"}'
    assert toolgate.library_version() == toolgate.__version__
