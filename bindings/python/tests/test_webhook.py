"""apply_webhook: signed deliveries change what the next check says, at once."""
from __future__ import annotations

import time

import pytest

import toolgate
from toolgate import EventResult, Status, Verdict
from support import SECRET, AccountsFile, delivery, event_body, sign


def test_a_webhook_unblocks_an_account(accounts: AccountsFile, gate: toolgate.Gate) -> None:
    blocked = gate.check("gmail_send_email", "user_456")
    assert blocked.verdict is Verdict.NEEDS_AUTHORIZATION
    calls = gate.stats()["provider_calls"]
    # The user authorized; Scalekit says so. The file still says EXPIRED, and the
    # cached entry would live 10 minutes: only the event can allow the next call.
    assert gate.apply_webhook(*delivery("gmail", "user_456", "ACTIVE")) is EventResult.APPLIED
    d = gate.check("gmail_send_email", "user_456")
    assert d.allowed and d.status is Status.ACTIVE and d.source == "cache"
    assert gate.stats()["provider_calls"] == calls  # no provider request
    assert gate.stats()["events"]["APPLIED"] == 1


def test_a_webhook_blocks_a_revoked_account(gate: toolgate.Gate) -> None:
    assert gate.check("gmail_send_email", "user_123").allowed
    assert gate.apply_webhook(*delivery("gmail", "user_123", "DISCONNECTED")) is EventResult.APPLIED
    d = gate.check("gmail_send_email", "user_123")
    assert d.verdict is Verdict.NEEDS_AUTHORIZATION and d.status is Status.REVOKED
    assert d.link is not None


def test_duplicate_and_ignored_events(gate: toolgate.Gate) -> None:
    gate.check("gmail_send_email", "user_456")
    args = delivery("gmail", "user_456", "ACTIVE")
    assert gate.apply_webhook(*args) is EventResult.APPLIED
    assert gate.apply_webhook(*args) is EventResult.DUPLICATE
    other = delivery("gmail", "user_456", None, event_type="connected_account.magic_link_generated")
    assert gate.apply_webhook(*other) is EventResult.IGNORED


def test_a_deletion_drops_the_entry(gate: toolgate.Gate) -> None:
    gate.check("gmail_send_email", "user_123")
    args = delivery("gmail", "user_123", None, event_type="connected_account.deleted")
    assert gate.apply_webhook(*args) is EventResult.APPLIED
    assert gate.check("gmail_send_email", "user_123").source == "provider"


def test_bad_signature_changes_nothing(gate: toolgate.Gate) -> None:
    gate.check("gmail_send_email", "user_456")
    secret, eid, ts, signature, body = delivery("gmail", "user_456", "ACTIVE")
    tampered = body.replace(b"ACTIVE", b"ACTIVE ")
    with pytest.raises(toolgate.SignatureError) as e:
        gate.apply_webhook(secret, eid, ts, signature, tampered)
    assert e.value.code == "ESIGNATURE"
    other_secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    with pytest.raises(toolgate.SignatureError):
        gate.apply_webhook(other_secret, eid, ts, signature, body)
    assert gate.check("gmail_send_email", "user_456").verdict is Verdict.NEEDS_AUTHORIZATION


def test_old_timestamp(gate: toolgate.Gate) -> None:
    eid, body = event_body("gmail", "user_456", "ACTIVE")
    old = str(int(time.time()) - 3600)
    with pytest.raises(toolgate.SignatureError) as e:
        gate.apply_webhook(SECRET, eid, old, sign(SECRET, eid, old, body), body)
    assert e.value.code == "ETIMESTAMP"
    # The same delivery is fine at the time it was made (now=).
    result = gate.apply_webhook(SECRET, eid, old, sign(SECRET, eid, old, body), body,
                                now=int(old) + 10)
    assert result is EventResult.IGNORED or result is EventResult.APPLIED


def test_timestamp_as_int_and_body_as_bytearray(gate: toolgate.Gate) -> None:
    gate.check("gmail_send_email", "user_456")
    secret, eid, ts, signature, body = delivery("gmail", "user_456", "ACTIVE")
    assert gate.apply_webhook(secret, eid, int(ts), signature,
                              bytearray(body)) is EventResult.APPLIED
    secret, eid, ts, signature, body = delivery("gmail", "user_456", "EXPIRED")
    assert gate.apply_webhook(secret, eid, ts, signature,
                              memoryview(body)) is EventResult.APPLIED


def test_malformed_deliveries(gate: toolgate.Gate) -> None:
    secret, eid, ts, signature, body = delivery("gmail", "user_456", "ACTIVE")
    with pytest.raises(TypeError, match="raw bytes"):
        gate.apply_webhook(secret, eid, ts, signature, body.decode())  # type: ignore[arg-type]
    with pytest.raises(toolgate.InputError):
        gate.apply_webhook("not-a-secret", eid, ts, signature, body)
    with pytest.raises(toolgate.InputError):
        gate.apply_webhook(secret, eid, "yesterday", signature, body)
    with pytest.raises(toolgate.InputError):
        gate.apply_webhook(secret, eid, ts, "", body)
    with pytest.raises(toolgate.InputError):
        gate.apply_webhook(secret, eid, ts, signature + "\x00", body)
    # Signed but not an event toolgate can read: nothing applied, a clear error.
    garbage = b'{"type": 5}'
    with pytest.raises(toolgate.InputError) as e:
        gate.apply_webhook(secret, eid, ts, sign(secret, eid, ts, garbage), garbage)
    assert e.value.code == "EINVAL" and str(e.value)
    # A body with a NUL byte in it is passed whole (length, not C string).
    nul = body + b"\x00trailing"
    with pytest.raises(toolgate.InputError):
        gate.apply_webhook(secret, eid, ts, sign(secret, eid, ts, nul), nul)
