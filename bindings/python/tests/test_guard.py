"""Gate.guard on plain and async functions."""
from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Callable, Dict, List

import pytest

import toolgate
from toolgate import Verdict
from support import AccountsFile, file_config

OpenGate = Callable[[str], toolgate.Gate]


def test_sync_function_runs_only_when_allowed(gate: toolgate.Gate) -> None:
    calls: List[str] = []

    @gate.guard("gmail_send_email", identifier=lambda user, to, body: user)
    def send_email(user: str, to: str, body: str) -> str:
        """Send an email."""
        calls.append(user)
        return f"sent to {to}"

    assert send_email.__name__ == "send_email" and send_email.__doc__ == "Send an email."
    assert send_email("user_123", "ann@example.com", "hi") == "sent to ann@example.com"
    with pytest.raises(toolgate.AuthorizationRequired) as e:
        send_email("user_456", to="bob@example.com", body="hi")
    assert calls == ["user_123"]  # never called for the blocked user
    err = e.value
    assert err.decision.verdict is Verdict.NEEDS_AUTHORIZATION
    assert err.link == err.decision.link and err.link.endswith("identifier=user_456")
    assert err.link_expires_at == err.decision.link_expires_at
    assert err.reason == err.decision.reason
    assert err.link in str(err) and err.reason in str(err)


def test_identifier_from_keyword_arguments_and_a_fixed_one(gate: toolgate.Gate) -> None:
    @gate.guard("slack_post", identifier=lambda *a, **kw: kw["user_id"])
    def post(text: str, *, user_id: str) -> str:
        return text

    assert post("hello", user_id="user_123") == "hello"
    with pytest.raises(toolgate.AuthorizationRequired):
        post("hello", user_id="user_456")

    @gate.guard("gmail_read", "user_123")
    def read() -> int:
        return 42

    assert read() == 42


def test_unavailable_and_denied(accounts: AccountsFile, open_gate: OpenGate) -> None:
    gate = open_gate(file_config(accounts, tools={"unmapped": "deny"}))

    @gate.guard("shell_exec", "user_123")
    def shell() -> None:
        raise AssertionError("must not run")

    with pytest.raises(toolgate.Denied) as denied:
        shell()
    assert denied.value.decision.verdict is Verdict.DENY

    @gate.guard("gmail_send_email", "user_123")
    def send() -> None:
        raise AssertionError("must not run")

    accounts.break_it()
    with pytest.raises(toolgate.Unavailable) as unavailable:
        send()
    assert unavailable.value.decision.verdict is Verdict.UNAVAILABLE
    assert isinstance(unavailable.value, toolgate.Blocked)


def test_methods(gate: toolgate.Gate) -> None:
    class Mailer:
        def __init__(self, user: str) -> None:
            self.user = user

        @gate.guard("gmail_send_email", identifier=lambda self, to: self.user)
        def send(self, to: str) -> str:
            return f"{self.user}->{to}"

    assert Mailer("user_123").send("ann") == "user_123->ann"
    with pytest.raises(toolgate.AuthorizationRequired):
        Mailer("user_456").send("ann")


def test_bad_identifiers(gate: toolgate.Gate) -> None:
    with pytest.raises(TypeError):
        gate.guard("gmail_send_email", identifier=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gate.guard(7, "user_123")  # type: ignore[arg-type]

    @gate.guard("gmail_send_email", identifier=lambda: None)
    def f() -> None:
        raise AssertionError("must not run")

    with pytest.raises(TypeError):
        f()

    @gate.guard("gmail_send_email", identifier=lambda: "bad\x01user")
    def g() -> None:
        raise AssertionError("must not run")

    with pytest.raises(toolgate.InputError):
        g()

    async def agen() -> Any:
        yield 1

    with pytest.raises(TypeError):
        gate.guard("gmail_send_email", "user_123")(agen)


def test_async_function(gate: toolgate.Gate) -> None:
    calls: List[str] = []

    @gate.guard("gmail_send_email", identifier=lambda user, to: user)
    async def send_email(user: str, to: str) -> str:
        calls.append(user)
        await asyncio.sleep(0)
        return f"sent to {to}"

    assert asyncio.iscoroutinefunction(send_email)
    assert send_email.__name__ == "send_email"

    async def main() -> None:
        assert await send_email("user_123", "ann") == "sent to ann"
        with pytest.raises(toolgate.AuthorizationRequired) as e:
            await send_email("user_456", "bob")
        assert e.value.link.endswith("identifier=user_456")

    asyncio.run(main())
    assert calls == ["user_123"]


def test_async_identifier(gate: toolgate.Gate) -> None:
    async def who(session: Dict[str, str]) -> str:
        await asyncio.sleep(0)
        return str(session["user"])

    @gate.guard("gmail_read", identifier=who)
    async def read(session: Dict[str, str]) -> str:
        return "mail"

    async def main() -> None:
        assert await read({"user": "user_123"}) == "mail"
        with pytest.raises(toolgate.AuthorizationRequired):
            await read({"user": "user_pending"})

    asyncio.run(main())


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """The loop's default executor, counting what is sent to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_async_hits_stay_on_the_loop_and_misses_leave_it(gate: toolgate.Gate) -> None:
    executor = CountingExecutor()

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(executor)
        first = await gate.check_async("gmail_send_email", "user_123")  # a miss
        assert first.allowed and first.source == "provider"
        assert executor.submitted == 1
        for _ in range(50):  # hits: answered on the loop, no thread
            d = await gate.check_async("gmail_send_email", "user_123")
            assert d.allowed and d.source == "cache"
        blocked = await gate.check_async("gmail_send_email", "user_456")  # a miss
        assert blocked.verdict is Verdict.NEEDS_AUTHORIZATION
        assert (await gate.check_async("gmail_send_email", "user_456")).source == "cache"
        assert executor.submitted == 2

    asyncio.run(main())
    executor.shutdown()


def test_async_errors_surface(gate: toolgate.Gate) -> None:
    async def main() -> None:
        with pytest.raises(toolgate.InputError):
            await gate.check_async("gmail_send_email", "")
        with pytest.raises(TypeError):
            await gate.check_async("gmail_send_email", None)  # type: ignore[arg-type]

    asyncio.run(main())


def test_many_concurrent_async_checks(gate: toolgate.Gate) -> None:
    users = ["user_123", "user_456", "user_pending", "user_revoked"] * 8

    async def main() -> None:
        results = await asyncio.gather(*(gate.check_async("gmail_x", u) for u in users))
        for u, d in zip(users, results):
            assert d.identifier == u
            assert d.allowed == (u == "user_123")

    asyncio.run(main())
    # One round per account however many checks missed at once: a status for
    # each, and a link for each of the three blocked ones.
    assert gate.stats()["provider_calls"] == 4 + 3
