#!/usr/bin/env python3
"""Guard an agent's tools with toolgate: a plain tool and an async one.

Run from the repository, after a CMake build:

    TOOLGATE_LIBRARY=build/lib/libtoolgate.so PYTHONPATH=bindings/python/src \\
        python3 examples/python/guarded_tools.py

The accounts come from a JSON file written here (user_123 has connected Gmail
and Slack; user_456's Gmail token expired). A blocked call never runs the
tool: the agent gets the reason and the link to hand to the user. Then the user
authorizes, Scalekit sends a webhook, and the same call goes through at once
(without it, when the gate's cached EXPIRED runs out).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import tempfile
import time
from pathlib import Path

import toolgate

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"example-webhook-signing-secret!!").decode()


def write_accounts(directory: Path, user_456_gmail: str) -> None:
    """What the authorization service knows (a JSON file stands in for it here)."""
    (directory / "accounts.json").write_text(json.dumps({
        "link_base": "https://connect.example.com/authorize",
        "accounts": [
            {"connection": "gmail", "identifier": "user_123", "status": "ACTIVE"},
            {"connection": "slack", "identifier": "user_123", "status": "ACTIVE"},
            {"connection": "gmail", "identifier": "user_456", "status": user_456_gmail},
        ]}))


def open_gate(directory: Path) -> toolgate.Gate:
    write_accounts(directory, "EXPIRED")
    config = {"provider": {"type": "file", "path": "accounts.json"},
              "tools": {"prefixes": {"gmail_": "gmail", "slack_": "slack"}}}
    return toolgate.Gate.from_json(json.dumps(config), base_dir=directory)


def run(gate: toolgate.Gate, directory: Path) -> None:
    # A plain tool: the end user is the function's first argument.
    @gate.guard("gmail_send_email", identifier=lambda user_id, to, subject: user_id)
    def send_email(user_id: str, to: str, subject: str) -> str:
        return f"sent {subject!r} to {to}"

    # An async tool: checked without blocking the event loop.
    @gate.guard("slack_post_message", identifier=lambda user_id, channel, text: user_id)
    async def post_message(user_id: str, channel: str, text: str) -> str:
        await asyncio.sleep(0)
        return f"posted to {channel}"

    def call_tool(user_id: str) -> str:
        """What an agent's dispatcher does: run the tool, or tell the model why not."""
        try:
            return send_email(user_id, "ann@example.com", "Q3 report")
        except toolgate.AuthorizationRequired as blocked:
            return f"needs authorization: {blocked.reason}; link {blocked.link}"
        except toolgate.Blocked as blocked:  # Unavailable or Denied
            return f"blocked: {blocked.reason}"

    print("user_123:", call_tool("user_123"))
    print("user_456:", call_tool("user_456"))
    print("user_123:", asyncio.run(post_message("user_123", "#general", "hello")))

    # user_456 opens the link and authorizes: the service now says ACTIVE, and
    # Scalekit POSTs a webhook, so the gate knows at once instead of when its
    # cached EXPIRED runs out. In a web handler, pass the three headers and the
    # raw body as received.
    write_accounts(directory, "ACTIVE")
    now = time.time()
    body = json.dumps({
        "spec_version": "1", "id": "evt_example_1", "type": "connected_account.status_updated",
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
                       + f".{int(now * 1000) % 1000:03d}Z",
        "data": {"identifier": "user_456", "connection_name": "gmail", "status": "ACTIVE"},
    }).encode()
    timestamp = str(int(now))
    key = base64.b64decode(WEBHOOK_SECRET.split("_", 1)[1])
    signature = "v1," + base64.b64encode(hmac.new(
        key, f"evt_example_1.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    result = gate.apply_webhook(WEBHOOK_SECRET, "evt_example_1", timestamp, signature, body)
    print("webhook:", result)
    print("user_456:", call_tool("user_456"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, open_gate(Path(tmp)) as gate:
        run(gate, Path(tmp))
    print("done")


if __name__ == "__main__":
    main()
