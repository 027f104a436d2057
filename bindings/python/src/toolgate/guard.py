"""Gate.guard: a decorator that checks a tool before each call."""
from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, TypeVar, Union, cast

from .decision import Decision, Verdict
from .errors import AuthorizationRequired, Denied, Unavailable

if TYPE_CHECKING:
    from .gate import Gate

F = TypeVar("F", bound=Callable[..., Any])

_BLOCKED = {
    Verdict.NEEDS_AUTHORIZATION: AuthorizationRequired,
    Verdict.UNAVAILABLE: Unavailable,
    Verdict.DENY: Denied,
}


def raise_unless_allowed(decision: Decision) -> None:
    """Raise the :class:`~toolgate.Blocked` subclass of a decision that is not ALLOW."""
    if not decision.allowed:
        raise _BLOCKED[decision.verdict](decision)


def guard(gate: "Gate", tool: str, identifier: Union[str, Callable[..., Any]]
          ) -> Callable[[F], F]:
    if not isinstance(tool, str):
        raise TypeError(f"tool must be a str, not {type(tool).__name__}")
    if not isinstance(identifier, str) and not callable(identifier):
        raise TypeError("identifier must be a str or a callable given the function's "
                        f"arguments, not {type(identifier).__name__}")

    def decorate(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"guard decorates a function, not {type(fn).__name__}")
        if inspect.isasyncgenfunction(fn):
            raise TypeError("guard cannot decorate an async generator function")
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                who = identifier(*args, **kwargs) if callable(identifier) else identifier
                if inspect.isawaitable(who):
                    who = await who
                raise_unless_allowed(await gate.check_async(tool, who))
                return await fn(*args, **kwargs)

            return cast(F, guarded_async)

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            who = identifier(*args, **kwargs) if callable(identifier) else identifier
            raise_unless_allowed(gate.check(tool, who))
            return fn(*args, **kwargs)

        return cast(F, guarded)

    return decorate
