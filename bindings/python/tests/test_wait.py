"""Gate.wait and wait_async: woken by webhooks, ended by Ctrl-C, cancellation, close()."""
from __future__ import annotations

import _thread
import asyncio
import os
import signal
import threading
from typing import Any, List

import pytest

import toolgate
from toolgate import Status, Verdict
from support import delivery, thread_names, wait_for


def provider_calls(gate: toolgate.Gate) -> int:
    return int(gate.stats()["provider_calls"])


def entries(gate: toolgate.Gate) -> int:
    """Cached accounts. A wait's first look stores its answer: an event applied
    after that finds the entry to update (events never create entries)."""
    return int(gate.stats()["entries"])


def test_an_active_account_returns_at_once(gate: toolgate.Gate) -> None:
    d = gate.wait("gmail", "user_123", timeout=30)
    assert d.allowed and d.status is Status.ACTIVE and d.tool is None
    assert d.connection == "gmail" and d.identifier == "user_123"


def test_time_runs_out_with_the_last_status(gate: toolgate.Gate) -> None:
    d = gate.wait("gmail", "user_456", timeout=0.3)
    assert d.verdict is Verdict.NEEDS_AUTHORIZATION and d.status is Status.EXPIRED
    assert d.link is not None
    assert gate.wait("gmail", "user_456", timeout=0).status is Status.EXPIRED  # look once


def test_a_webhook_wakes_a_wait_in_another_thread(gate: toolgate.Gate) -> None:
    results: List[Any] = []
    waiter = threading.Thread(
        target=lambda: results.append(gate.wait("gmail", "user_456", timeout=60)))
    waiter.start()
    # Once the wait has asked the provider (EXPIRED), the user authorizes. The file
    # keeps saying EXPIRED: only the event can end the wait with ACTIVE.
    wait_for(lambda: entries(gate) == 1, "the wait's first look")
    gate.apply_webhook(*delivery("gmail", "user_456", "ACTIVE"))
    waiter.join(timeout=60)
    assert not waiter.is_alive()
    assert results and results[0].allowed and results[0].status is Status.ACTIVE


def test_a_webhook_wakes_a_wait_on_the_main_thread(gate: toolgate.Gate) -> None:
    assert threading.current_thread() is threading.main_thread()

    def authorize() -> None:
        wait_for(lambda: entries(gate) == 1, "the wait's first look")
        gate.apply_webhook(*delivery("gmail", "user_456", "ACTIVE"))

    t = threading.Thread(target=authorize)
    t.start()
    d = gate.wait("gmail", "user_456", timeout=60)
    t.join()
    assert d.allowed


@pytest.mark.parametrize("how", ["SIGINT", "interrupt_main"])
def test_ctrl_c_ends_a_wait(gate: toolgate.Gate, how: str) -> None:
    assert threading.current_thread() is threading.main_thread()

    def press_ctrl_c() -> None:
        wait_for(lambda: entries(gate) == 1, "the wait's first look")
        if how == "SIGINT":  # as a terminal does: to the process, any thread may get it
            os.kill(os.getpid(), signal.SIGINT)
        else:
            _thread.interrupt_main()

    t = threading.Thread(target=press_ctrl_c)
    t.start()
    with pytest.raises(KeyboardInterrupt):
        gate.wait("gmail", "user_456", timeout=120)
    t.join()
    # The wait in C ended too: its helper thread is gone.
    wait_for(lambda: "toolgate-wait" not in thread_names(), "the wait's thread to end")
    assert gate._h.waits == 0


def test_cancelling_wait_async(gate: toolgate.Gate) -> None:
    before = provider_calls(gate)

    async def main() -> None:
        task = asyncio.ensure_future(gate.wait_async("gmail", "user_456", timeout=120))
        while provider_calls(gate) == before:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())  # returns only once the executor's thread is done
    assert gate._h.waits == 0


def test_wait_async_woken_by_a_webhook(gate: toolgate.Gate) -> None:
    async def main() -> toolgate.Decision:
        task = asyncio.ensure_future(gate.wait_async("gmail", "user_pending", timeout=60))
        while entries(gate) == 0:
            await asyncio.sleep(0.005)
        gate.apply_webhook(*delivery("gmail", "user_pending", "ACTIVE"))
        return await task

    assert asyncio.run(main()).allowed


def test_close_cancels_waits_in_progress(gate: toolgate.Gate) -> None:
    errors: List[BaseException] = []

    def wait() -> None:
        try:
            gate.wait("gmail", "user_456", timeout=120)
        except BaseException as e:
            errors.append(e)

    waiters = [threading.Thread(target=wait) for _ in range(3)]
    for w in waiters:
        w.start()
    # All three have started (white-box: the waits the gate's handle knows of);
    # close() cancels them, wherever they are.
    wait_for(lambda: gate._h.waits == 3, "three waits to start")
    gate.close()
    for w in waiters:
        w.join(timeout=30)
        assert not w.is_alive()
    assert len(errors) == 3
    for e in errors:
        assert isinstance(e, toolgate.Error) and e.code == "ECANCELED"
    with pytest.raises(toolgate.InputError, match="closed"):
        gate.wait("gmail", "user_456", timeout=1)
