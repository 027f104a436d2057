"""Decisions: what a check answers, as Python values.

A :class:`Decision` owns the C decision its check filled, until it is garbage
collected, and keeps a reference to its gate's handle, so the C gate outlives
it. The check itself reads only the verdict; the other values (``status``,
``reason``, ``link``, …) are read from the C decision the first time one of
them is asked for — most callers only ask ``allowed`` — and
:meth:`Decision.encode` hands the C decision to the library's encoders at any
time. C decisions are recycled through a small pool, so a check allocates
nothing in C once the pool is warm.

Reads of the C decision go through the GIL-holding handle (see _native.py), so
two Python threads never touch one C decision at once.
"""
from __future__ import annotations

import collections
import ctypes
import enum
import json
import operator
import time
from typing import (TYPE_CHECKING, Any, Callable, Deque, Dict, List, NamedTuple, Optional,
                    Tuple, Union)

from ._native import ERROR_NAMES
from .errors import Error, InputError, LibraryNotFoundError, error_for

if TYPE_CHECKING:
    from ._native import Native


class Verdict(str, enum.Enum):
    """The verdict of a check. Members are strings: ``Verdict.ALLOW == "ALLOW"``."""

    ALLOW = "ALLOW"
    """The tool may run."""
    NEEDS_AUTHORIZATION = "NEEDS_AUTHORIZATION"
    """Blocked: the user must authorize; the decision carries the link."""
    UNAVAILABLE = "UNAVAILABLE"
    """Blocked: the authorization service could not answer and the policy is closed."""
    DENY = "DENY"
    """Blocked: the configuration forbids the tool."""

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """A connected account's status. Members are strings: ``Status.ACTIVE == "ACTIVE"``."""

    UNKNOWN = "UNKNOWN"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    PENDING = "PENDING"
    PENDING_VERIFICATION = "PENDING_VERIFICATION"
    REVOKED = "REVOKED"
    NOT_FOUND = "NOT_FOUND"

    def __str__(self) -> str:
        return self.value


class EventResult(str, enum.Enum):
    """What :meth:`Gate.apply_webhook <toolgate.Gate.apply_webhook>` did with a
    verified event."""

    APPLIED = "APPLIED"
    """The cache follows the event."""
    STALE = "STALE"
    """Older than what the gate knows for the account: ignored."""
    DUPLICATE = "DUPLICATE"
    """An event id seen before: ignored."""
    IGNORED = "IGNORED"
    """A type that does not change a status: ignored."""

    def __str__(self) -> str:
        return self.value


class Link(NamedTuple):
    """An authorization link, from :meth:`Gate.link <toolgate.Gate.link>`."""

    url: str
    """The link the user opens."""
    expires_at: Optional[str]
    """When it expires, RFC 3339 in UTC (``"2026-11-25T15:10:00Z"``); ``None`` when
    the provider gave no expiry."""


# The C enums' order (tg_verdict, tg_status, tg_source, tg_event_result).
VERDICTS: Tuple[Verdict, ...] = tuple(Verdict)
STATUSES: Tuple[Status, ...] = tuple(Status)
SOURCES: Tuple[Optional[str], ...] = (None, "cache", "provider", "shared")
EVENT_RESULTS: Tuple[EventResult, ...] = tuple(EventResult)

FORMATS = ("json", "text", "mcp", "mcp-input-required", "mcp-tool-result")


def rfc3339(unix_ms: int) -> Optional[str]:
    """Unix milliseconds as the library prints them (seconds, UTC); None for 0."""
    if unix_ms <= 0:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_ms // 1000))


class Decision:
    """The answer of a check.

    Every attribute is read-only. ``verdict`` is what decides: only
    :attr:`Verdict.ALLOW` lets the tool run (:attr:`allowed`). The other
    attributes say why, and — for NEEDS_AUTHORIZATION — where the user goes
    (:attr:`link`). :meth:`to_dict` gives the JSON object of every toolgate
    interface; :meth:`encode` gives the decision in the library's encodings,
    the MCP answers included. Decisions are values: compare them, pickle them
    (a copy cannot be encoded), hand them to other threads.
    """

    __slots__ = ("_d", "_gate", "_verdict", "_allowed", "_tool", "_identifier", "_read",
                 "_connection",
                 "_status", "_link", "_link_expires_ms", "_reason", "_source", "_stale")

    _d: Optional[ctypes.c_void_p]
    _gate: object  # gate.py's _Handle: keeps the C gate (the names _d points at) alive
    _verdict: Verdict
    _allowed: bool
    _tool: Optional[str]
    _identifier: str
    _read: bool  # the values below have been read from the C decision
    _connection: Optional[str]
    _status: Optional[Status]
    _link: Optional[str]
    _link_expires_ms: int
    _reason: str
    _source: Optional[str]
    _stale: bool

    def __init__(self) -> None:
        raise TypeError("decisions come from Gate.check, Gate.check_async and Gate.wait")

    def __del__(self) -> None:
        try:
            d = self._d
            if d is not None:
                if len(idle) < POOL_CAP:
                    idle.append(d)
                else:
                    _native_ref[0].decision_free(d)
        except Exception:  # not fully built, or interpreter shutdown
            pass

    def _read_values(self) -> None:
        """Read the values past the verdict from the C decision (once)."""
        native = _native_ref[0]
        d = self._d
        connection = native.d_connection(d)
        self._connection = connection.decode() if connection is not None else None
        s = native.d_status(d)
        self._status = STATUSES[s] if s or native.d_has_status(d) else None
        self._source = SOURCES[native.d_source(d)]
        self._stale = self._verdict is Verdict.ALLOW and native.d_stale(d) != 0
        self._reason = native.d_reason(d).decode("utf-8", "replace")
        link = native.d_link(d) if self._verdict is Verdict.NEEDS_AUTHORIZATION else None
        self._link = link.decode("utf-8", "replace") if link is not None else None
        self._link_expires_ms = native.d_link_expires_at(d) if link is not None else 0
        self._read = True

    # The values a check sets are read through C getters (no Python frame:
    # these are read on every check); mypy sees them as typed properties.
    if TYPE_CHECKING:
        @property
        def verdict(self) -> Verdict: ...

        @property
        def allowed(self) -> bool: ...

        @property
        def tool(self) -> Optional[str]: ...

        @property
        def identifier(self) -> str: ...
    else:
        verdict = property(operator.attrgetter("_verdict"),
                           doc="ALLOW, NEEDS_AUTHORIZATION, UNAVAILABLE or DENY.")
        allowed = property(operator.attrgetter("_allowed"),
                           doc="True exactly when the verdict is ALLOW: the tool may run.")
        tool = property(operator.attrgetter("_tool"),
                        doc="The tool checked; None for a check by connection (Gate.wait).")
        identifier = property(operator.attrgetter("_identifier"), doc="The end user checked.")

    @property
    def connection(self) -> Optional[str]:
        """The connection the tool maps to; ``None`` for a tool no rule maps."""
        if not self._read:
            self._read_values()
        return self._connection

    @property
    def status(self) -> Optional[Status]:
        """The account's status; ``None`` when none is known (an unmapped tool, or a
        provider that could not tell)."""
        if not self._read:
            self._read_values()
        return self._status

    @property
    def link(self) -> Optional[str]:
        """The authorization link; set exactly when the verdict is NEEDS_AUTHORIZATION."""
        if not self._read:
            self._read_values()
        return self._link

    @property
    def link_expires_at(self) -> Optional[str]:
        """When :attr:`link` expires, RFC 3339 in UTC; ``None`` without a link or an
        expiry."""
        if not self._read:
            self._read_values()
        return rfc3339(self._link_expires_ms)

    @property
    def reason(self) -> str:
        """One plain sentence saying why; safe to show to a user or a model."""
        if not self._read:
            self._read_values()
        return self._reason

    @property
    def source(self) -> Optional[str]:
        """Where the status came from: ``"cache"``, ``"provider"``, ``"shared"``
        (another process, through the shared tier), or ``None`` when no status was
        needed."""
        if not self._read:
            self._read_values()
        return self._source

    @property
    def stale(self) -> bool:
        """True only when the ``"stale"`` policy served an expired ACTIVE entry
        because the provider failed."""
        if not self._read:
            self._read_values()
        return self._stale

    def to_dict(self) -> Dict[str, Any]:
        """The decision as the JSON object every toolgate interface prints: the
        same keys, in the same order, absent values ``None``."""
        if not self._read:
            self._read_values()
        status = self._status
        return {
            "verdict": self._verdict.value,
            "tool": self._tool,
            "connection": self._connection,
            "identifier": self._identifier,
            "status": status.value if status is not None else None,
            "link": self._link,
            "link_expires_at": rfc3339(self._link_expires_ms),
            "reason": self._reason,
            "source": self._source,
            "stale": self._stale,
        }

    def encode(self, format: str = "json", request_id: Union[int, str, None] = None) -> str:
        """The decision in one of the library's encodings.

        :param format: ``"json"`` (the object of :meth:`to_dict`), ``"text"`` (one
            line for a person), ``"mcp"`` (an MCP ``URLElicitationRequiredError``,
            -32042, for NEEDS_AUTHORIZATION), ``"mcp-input-required"`` or
            ``"mcp-tool-result"`` (a ``CallToolResult``).
        :param request_id: the JSON-RPC id of the request (a string, or an integer
            that fits in 64 bits); with it, the MCP formats are a complete JSON-RPC
            response.
        :raises InputError: an unknown format or a bad request id.
        :raises Error: ``ENOTSUP`` for a copy (pickled) of a decision: only the
            decision a check returned can be encoded.
        """
        d = self._d
        if d is None or not _native_ref:
            raise Error("toolgate: only a decision made by a gate in this process can be "
                        "encoded (this one is a copy)", "ENOTSUP")
        native = _native_ref[0]
        fmt = _format_code(native, format)
        rid = _request_id_json(request_id)
        return _read_text(native, lambda buf, size, needed: int(native.decision_encode(
            d, fmt, rid, buf, size, needed)))

    def _fields(self) -> Tuple[Any, ...]:
        if not self._read:
            self._read_values()
        return (self._verdict, self._tool, self._connection, self._identifier, self._status,
                self._link, self._link_expires_ms, self._reason, self._source, self._stale)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"Decision({inner})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # A copy carries the values, not the C decision: it cannot be encoded.
        return (_detached, self._fields())


def _detached(*fields: Any) -> Decision:
    x: Decision = object.__new__(Decision)
    x._d = None
    x._gate = None
    x._read = True
    x._allowed = fields[0] is Verdict.ALLOW
    (x._verdict, x._tool, x._connection, x._identifier, x._status, x._link,
     x._link_expires_ms, x._reason, x._source, x._stale) = fields
    return x


def _format_code(native: "Native", name: str) -> int:
    if not isinstance(name, str):
        raise TypeError(f"format must be a str, not {type(name).__name__}")
    out = ctypes.c_int()
    if "\0" in name or native.format_parse(name.encode(), ctypes.byref(out)) != 0:
        raise InputError(f"toolgate: unknown format {name!r}: one of {', '.join(FORMATS)}",
                         "EINVAL")
    return out.value


def _request_id_json(request_id: Union[int, str, None]) -> Optional[bytes]:
    if request_id is None:
        return None
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str)):
        raise TypeError("request_id must be an int, a str or None, not "
                        f"{type(request_id).__name__}")
    return json.dumps(request_id).encode()


def _read_text(native: "Native", call: Callable[[Any, int, Any], int]) -> str:
    """Run a caller-buffer C function, growing the buffer once if it says so."""
    size = 4096
    needed = ctypes.c_size_t()
    for _ in range(2):
        buf = ctypes.create_string_buffer(size)
        rc = call(buf, size, ctypes.byref(needed))
        if rc == 0:
            return buf.value.decode("utf-8", "replace")
        if rc != -6 or needed.value <= size:  # TG_EBUFS
            break
        size = needed.value
    raise error_for(_code_name(rc), native.last_error(rc))


def _code_name(rc: int) -> str:
    return ERROR_NAMES.get(rc, "EUNKNOWN")


# Idle C decisions, so a check allocates none once warm. Shared by every gate
# and thread: deque.pop and deque.append are atomic under the GIL. Bounded, so a
# burst of decisions kept alive does not pin their memory for good.
POOL_CAP = 64
idle: Deque[ctypes.c_void_p] = collections.deque()  # a deque: no realloc as it empties
_native_ref: List["Native"] = []  # the loaded library, once make_builder ran


def new_decision() -> ctypes.c_void_p:
    """A C decision: an idle one, else a new one."""
    if idle:
        try:
            return idle.pop()
        except IndexError:  # another thread took the last one
            pass
    p = _native_ref[0].decision_new()
    if not p:
        raise MemoryError("toolgate: out of memory allocating a decision")
    return ctypes.c_void_p(p)


def release(d: ctypes.c_void_p) -> None:
    """Give back a C decision no Decision owns."""
    try:
        if len(idle) < POOL_CAP:
            idle.append(d)
        else:
            _native_ref[0].decision_free(d)
    except Exception:  # interpreter shutdown: the process frees everything
        pass


Builder = Callable[[ctypes.c_void_p, object, Optional[str], str], Decision]


def make_builder(native: "Native") -> Builder:
    """The function that turns a filled C decision into a :class:`Decision`.

    Runs on every check: it reads the verdict and nothing else (the rest is
    read when asked for).
    """
    for i, v in enumerate(VERDICTS):
        if native.verdict_name(i) != v.value.encode():
            raise LibraryNotFoundError(f"toolgate: {native.path} names verdict {i} "
                                       f"{native.verdict_name(i)!r}, not {v.value!r}")
    for i, st in enumerate(STATUSES):
        if native.status_name(i) != st.value.encode():
            raise LibraryNotFoundError(f"toolgate: {native.path} names status {i} "
                                       f"{native.status_name(i)!r}, not {st.value!r}")
    if not _native_ref:
        _native_ref.append(native)
    verdict_of = native.d_verdict
    verdicts = VERDICTS
    allow = Verdict.ALLOW
    new = object.__new__

    def build(d: ctypes.c_void_p, gate: object, tool: Optional[str],
              identifier: str) -> Decision:
        x: Decision = new(Decision)
        x._d = d
        x._gate = gate
        x._tool = tool
        x._identifier = identifier
        v = x._verdict = verdicts[verdict_of(d)]
        x._allowed = v is allow
        x._read = False
        return x

    return build
