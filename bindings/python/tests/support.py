"""Helpers for the binding's tests: accounts files, webhook signing, scalekit-dev."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

SECRET = "whsec_" + base64.b64encode(b"toolgate-python-test-secret-0123").decode()
LINK_BASE = "https://connect.example.com/authorize"
ACCOUNTS = [
    ("gmail", "user_123", "ACTIVE"),
    ("gmail", "user_456", "EXPIRED"),
    ("gmail", "user_pending", "PENDING"),
    ("gmail", "user_verify", "PENDING_VERIFICATION"),
    ("gmail", "user_revoked", "REVOKED"),
    ("gmail", "user_unknown", "UNKNOWN"),
    ("slack", "user_123", "ACTIVE"),
]


def required_env(name: str) -> str:
    """An environment variable ctest sets; a clear failure when it is missing."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run these tests through ctest "
                           "(ctest --test-dir build -L python), which sets it")
    return value


class AccountsFile:
    """The file provider's accounts file; rewritten to change what the provider says."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, accounts: Iterable[Tuple[str, str, Any]]) -> None:
        body = {"link_base": LINK_BASE,
                "accounts": [{"connection": c, "identifier": i, "status": s}
                             for c, i, s in accounts]}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        # A new inode and a later mtime: the provider notices the change.
        os.replace(tmp, self.path)
        future = time.time() + 2 + getattr(self, "_bumps", 0)
        self._bumps = getattr(self, "_bumps", 0) + 1
        os.utime(self.path, (future, future))

    def break_it(self) -> None:
        """Make the file invalid: the provider fails from now on."""
        self.path.write_text("{ not json")
        future = time.time() + 100
        os.utime(self.path, (future, future))


def file_config(accounts: AccountsFile, **extra: Any) -> str:
    """A gate configuration over the accounts file, gmail_* and slack_* mapped."""
    cfg: Dict[str, Any] = {
        "provider": {"type": "file", "path": str(accounts.path)},
        "tools": {"map": {"send_email": "gmail"},
                  "prefixes": {"gmail_": "gmail", "slack_": "slack"}},
        "cache": {"active_ttl_ms": 600000, "inactive_ttl_ms": 600000},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return json.dumps(cfg)


def sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """A Standard Webhooks signature header: HMAC-SHA256 over "id.timestamp.body"
    keyed with the base64-decoded part after "whsec_"."""
    key = base64.b64decode(secret.split("_", 1)[1])
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


_event_serial = 0


def event_body(connection: Optional[str], identifier: str, status: Optional[str],
               event_type: str = "connected_account.status_updated",
               event_id: Optional[str] = None) -> Tuple[str, bytes]:
    """A Scalekit connected_account event (id, raw body), occurring now."""
    global _event_serial
    _event_serial += 1
    eid = event_id or f"evt_py_{os.getpid()}_{_event_serial}"
    # Strictly later than every earlier event of this process (the library
    # orders events by occurred_at, to the millisecond).
    ms = int(time.time() * 1000) + _event_serial
    occurred = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
    data: Dict[str, Any] = {"id": "ca_1", "identifier": identifier, "connection_id": "conn_1",
                            "provider": "GMAIL", "authorization_type": "OAUTH"}
    if connection is not None:
        data["connection_name"] = connection
    if status is not None:
        data["status"] = status
        data["old_status"] = "EXPIRED"
    body = {"spec_version": "1", "id": eid, "type": event_type, "object": "ConnectedAccount",
            "occurred_at": occurred, "environment_id": "env_1", "data": data}
    return eid, json.dumps(body).encode()


def delivery(connection: Optional[str], identifier: str, status: Optional[str], **kw: Any
             ) -> Tuple[str, str, str, str, bytes]:
    """Arguments for Gate.apply_webhook: a signed, current delivery."""
    eid, body = event_body(connection, identifier, status, **kw)
    ts = str(int(time.time()))
    return SECRET, eid, ts, sign(SECRET, eid, ts, body), body


def wait_for(predicate: Any, what: str, timeout: float = 30.0) -> None:
    """Poll until predicate() is true; fail after a generous bound."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


class DevServer:
    """scalekit-dev on a free loopback port, with its admin API."""

    CLIENT_ID = "dev_client"
    CLIENT_SECRET = "dev_secret"

    def __init__(self, exe: str) -> None:
        self.proc = subprocess.Popen([exe, "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        prefix = "scalekit-dev listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"scalekit-dev did not start: {line!r}")
        self.url = line[len(prefix):].strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def _post(self, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        req = urllib.request.Request(self.url + path, data=data, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"{}")

    def set_account(self, connection: str, identifier: str, status: Any) -> None:
        self._post("/_dev/accounts",
                   {"connector": connection, "identifier": identifier, "status": status})

    def fault(self, **fault: Any) -> None:
        self._post("/_dev/faults", fault)

    def reset(self) -> None:
        self._post("/_dev/reset")

    def stats(self) -> Dict[str, Any]:
        with urllib.request.urlopen(self.url + "/_dev/stats", timeout=10) as resp:
            result: Dict[str, Any] = json.loads(resp.read())
            return result

    def route(self, name: str) -> int:
        return int(self.stats()["routes"][name])

    def config(self, **extra: Any) -> str:
        cfg: Dict[str, Any] = {
            "provider": {"type": "scalekit", "environment_url": self.url,
                         "client_id": self.CLIENT_ID, "client_secret": self.CLIENT_SECRET,
                         "timeout_ms": 20000},
            "tools": {"prefixes": {"gmail_": "gmail"}},
        }
        cfg.update(extra)
        return json.dumps(cfg)


DETAILS = "GET /api/v1/connected_accounts/details"
MAGIC_LINK = "POST /api/v1/connected_accounts/magic_link"


def thread_names() -> List[str]:
    import threading
    return [t.name for t in threading.enumerate()]
