"""toolgate for Python: check a tool call against the end user's connected
account, in process, before the tool runs.

>>> import toolgate
>>> with toolgate.Gate.from_file("toolgate.json") as gate:
...     decision = gate.check("gmail_send_email", "user_123")
...     if decision.allowed:
...         ...  # run the tool
...     else:
...         print(decision.reason, decision.link)

The gate and its cache live in libtoolgate, loaded with :mod:`ctypes` from
``$TOOLGATE_LIBRARY`` or from where the system keeps its libraries.
"""
from ._log import sync_logging
from .decision import Decision, EventResult, Link, Status, Verdict
from .errors import (AuthorizationRequired, Blocked, ConfigError, Denied, Error, InputError,
                     LibraryNotFoundError, ProviderError, SignatureError, Unavailable)
from .gate import Gate

__version__ = "0.1.0"

__all__ = [
    "AuthorizationRequired",
    "Blocked",
    "ConfigError",
    "Decision",
    "Denied",
    "Error",
    "EventResult",
    "Gate",
    "InputError",
    "LibraryNotFoundError",
    "Link",
    "ProviderError",
    "SignatureError",
    "Status",
    "Unavailable",
    "Verdict",
    "library_version",
    "sync_logging",
]


def library_version() -> str:
    """The version of the libtoolgate in use, e.g. ``"0.1.0"`` (loads it)."""
    from ._native import load
    return load().version()
