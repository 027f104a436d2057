"""Against scalekit-dev over loopback: single flight, link reuse, the GIL and the
event loop left free during a miss, provider failures."""
from __future__ import annotations

import asyncio
import json
import threading
from typing import Callable, List

import pytest

import toolgate
from toolgate import Status, Verdict
from support import DETAILS, MAGIC_LINK, DevServer, wait_for

pytestmark = pytest.mark.server
OpenGate = Callable[[str], toolgate.Gate]


def test_allow_and_authorize_through_the_link(dev_server: DevServer,
                                              open_gate: OpenGate) -> None:
    dev_server.set_account("gmail", "user_123", "ACTIVE")
    dev_server.set_account("gmail", "user_456", "EXPIRED")
    gate = open_gate(dev_server.config(cache={"inactive_ttl_ms": 0}))
    assert gate.check("gmail_send_email", "user_123").allowed
    d = gate.check("gmail_send_email", "user_456")
    assert d.verdict is Verdict.NEEDS_AUTHORIZATION and d.status is Status.EXPIRED
    assert d.link is not None and d.link.startswith(dev_server.url + "/magic/")
    # The user opens the link (a plain GET plays the consent screen).
    import urllib.request
    with urllib.request.urlopen(d.link, timeout=10) as page:
        assert page.status == 200
    assert gate.wait("gmail", "user_456", timeout=30).allowed
    assert gate.check("gmail_send_email", "user_456").allowed


def slow_status_gate(dev_server: DevServer, open_gate: OpenGate,
                     latency_ms: int) -> toolgate.Gate:
    """A gate whose next status request (for the ACTIVE gmail|user_123) sleeps
    latency_ms in the server before it reads the account; counters zeroed."""
    dev_server.set_account("gmail", "user_123", "ACTIVE")
    gate = open_gate(dev_server.config())
    gate.link("gmail", "warm_up_the_token")  # the access token, fetched once
    dev_server.reset()
    dev_server.fault(latency_ms=latency_ms, routes="/api/v1/connected_accounts/details")
    return gate


def test_single_flight_across_threads(dev_server: DevServer, open_gate: OpenGate) -> None:
    gate = slow_status_gate(dev_server, open_gate, 500)
    start = threading.Barrier(16)
    results: List[toolgate.Decision] = []

    def check() -> None:
        start.wait()
        results.append(gate.check("gmail_send_email", "user_123"))

    threads = [threading.Thread(target=check) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 16 and all(d.allowed for d in results)
    assert dev_server.route(DETAILS) == 1  # sixteen misses, one request


def test_link_reuse(dev_server: DevServer, open_gate: OpenGate) -> None:
    dev_server.set_account("gmail", "user_456", "EXPIRED")
    gate = open_gate(dev_server.config(cache={"inactive_ttl_ms": 0}))
    links = {gate.check("gmail_send_email", "user_456").link for _ in range(5)}
    assert len(links) == 1
    assert dev_server.route(DETAILS) == 5  # every check asked for the status...
    assert dev_server.route(MAGIC_LINK) == 1  # ...and reused the link


def test_a_miss_releases_the_gil(dev_server: DevServer, open_gate: OpenGate) -> None:
    gate = slow_status_gate(dev_server, open_gate, 4000)
    results: List[toolgate.Decision] = []
    checker = threading.Thread(
        target=lambda: results.append(gate.check("gmail_send_email", "user_123")))
    checker.start()
    # Meanwhile this thread runs Python: it sees the request arrive and revokes
    # the account. Were the GIL held during the check, it could do neither until
    # the check had returned ALLOW.
    wait_for(lambda: dev_server.route(DETAILS) == 1, "the status request")
    dev_server.set_account("gmail", "user_123", "DISCONNECTED")
    checker.join()
    assert results[0].status is Status.REVOKED


def test_an_async_miss_leaves_the_loop_free(dev_server: DevServer, open_gate: OpenGate) -> None:
    gate = slow_status_gate(dev_server, open_gate, 4000)

    @gate.guard("gmail_send_email", identifier="user_123")
    async def send() -> str:
        return "sent"

    async def main() -> None:
        task = asyncio.ensure_future(send())
        # The loop stays free while the check waits for the provider: it sees
        # the request arrive and revokes the account before the server answers.
        while dev_server.route(DETAILS) == 0:
            await asyncio.sleep(0.005)
        await asyncio.get_running_loop().run_in_executor(
            None, dev_server.set_account, "gmail", "user_123", "DISCONNECTED")
        with pytest.raises(toolgate.AuthorizationRequired) as e:
            await task
        assert e.value.decision.status is Status.REVOKED

    asyncio.run(main())


def test_provider_failures(dev_server: DevServer, open_gate: OpenGate) -> None:
    dev_server.set_account("gmail", "user_123", "ACTIVE")
    gate = open_gate(json.dumps({
        "provider": {"type": "scalekit", "environment_url": dev_server.url,
                     "client_id": "dev_client", "client_secret": "dev_secret",
                     "timeout_ms": 300},
        "tools": {"prefixes": {"gmail_": "gmail"}}}))
    dev_server.fault(status=500, count=10)
    d = gate.check("gmail_send_email", "user_123")
    assert d.verdict is Verdict.UNAVAILABLE and d.link is None  # never "reconnect"
    dev_server.reset()
    dev_server.fault(latency_ms=2000, count=10)
    with pytest.raises(toolgate.ProviderError) as e:
        gate.link("gmail", "user_123")
    assert e.value.code in ("ETIMEOUT", "EPROVIDER")
    dev_server.reset()
    assert gate.check("gmail_send_email", "user_123").allowed
