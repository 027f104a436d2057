"""One gate shared by many threads, while webhooks and invalidations land."""
from __future__ import annotations

import threading
from typing import List

import toolgate
from toolgate import Verdict
from support import ACCOUNTS, delivery

EXPECTED = {(c, i): s == "ACTIVE" for c, i, s in ACCOUNTS}


def test_threads_share_one_gate(gate: toolgate.Gate) -> None:
    keys = [(c, i) for c, i, _ in ACCOUNTS] + [("gmail", f"new_{n}") for n in range(20)]
    failures: List[str] = []
    start = threading.Barrier(9)

    def checker(seed: int) -> None:
        start.wait()
        for n in range(3000):
            connection, identifier = keys[(n * 7 + seed) % len(keys)]
            d = gate.check(f"{connection}_tool_{n % 3}", identifier)
            allowed = EXPECTED.get((connection, identifier), False)
            if (d.identifier != identifier or d.connection != connection
                    or d.allowed != allowed
                    or (not allowed and (d.verdict is not Verdict.NEEDS_AUTHORIZATION
                                         or d.link is None
                                         or not d.link.endswith("identifier=" + identifier)))):
                failures.append(f"{connection}|{identifier}: {d!r}")

    def churn() -> None:
        start.wait()
        for n in range(300):
            gate.invalidate("gmail", "user_456")
            if n % 10 == 0:
                gate.invalidate("slack")
            # Events that restate what the provider says: verdicts stay.
            gate.apply_webhook(*delivery("gmail", "user_123", "ACTIVE"))
            gate.apply_webhook(*delivery("gmail", "user_revoked", "REVOKED"))
            gate.stats()

    threads = [threading.Thread(target=checker, args=(s,)) for s in range(8)]
    threads.append(threading.Thread(target=churn))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    stats = gate.stats()
    assert stats["verdicts"]["ALLOW"] + stats["verdicts"]["NEEDS_AUTHORIZATION"] == 8 * 3000
    assert stats["hits"] > stats["misses"]


def test_decisions_cross_threads(gate: toolgate.Gate) -> None:
    # A decision made on one thread is read and encoded on another.
    made: List[toolgate.Decision] = []
    t = threading.Thread(target=lambda: made.append(gate.check("gmail_x", "user_456")))
    t.start()
    t.join()
    d = made[0]
    results: List[str] = []
    readers = [threading.Thread(target=lambda: results.append(d.encode("mcp-tool-result")))
               for _ in range(4)]
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    assert len(set(results)) == 1 and d.link is not None and d.link in results[0]
