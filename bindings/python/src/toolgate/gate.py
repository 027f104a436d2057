"""The gate: one per process (or per configuration), shared by every thread."""
from __future__ import annotations

import asyncio
import ctypes
import math
import os
import sys
import threading
import time
from types import TracebackType
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar, Union, cast

from . import _log
from ._native import (ECANCELED, EPROVIDER, ERROR_NAMES, EWOULDBLOCK, LINK_MAX,
                      STATS_LATENCY_BOUNDS, STATS_VERSION, WAIT_OPTIONS_VERSION, Native, Stats,
                      WaitOptions, load)
from .decision import (EVENT_RESULTS, VERDICTS, Builder, Decision, EventResult, Link, Status,
                       Verdict, idle, make_builder, new_decision, release, rfc3339)
from .errors import Error, InputError, ProviderError, error_for

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
Identifier = Union[str, Callable[..., Any]]
F = TypeVar("F", bound=Callable[..., Any])
_new = object.__new__
_ALLOW = Verdict.ALLOW

# Longest wait the library is asked for (about 292 years).
_MAX_TIMEOUT_MS = 2**63 // 1000


def _error(native: Native, rc: int) -> Error:
    """The exception for ``rc``; call right after the failing call, on its thread."""
    return error_for(ERROR_NAMES.get(rc, "EUNKNOWN"), native.last_error(rc))


def _text(name: str, value: object) -> bytes:
    """A str argument as the NUL-terminated UTF-8 the library takes."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        raw = value.encode()
    except UnicodeEncodeError:
        raise InputError(f"toolgate: invalid {name}: not encodable as UTF-8 "
                         "(it holds a lone surrogate)", "EINVAL") from None
    if 0 in raw:
        raise InputError(f"toolgate: invalid {name}: it holds a NUL character", "EINVAL")
    return raw


def _opt_text(name: str, value: Optional[str]) -> Optional[bytes]:
    return None if value is None else _text(name, value)


def _path(name: str, value: PathLike) -> bytes:
    try:
        raw = os.fsencode(value)
    except TypeError:
        raise TypeError(f"{name} must be a str, bytes or os.PathLike, not "
                        f"{type(value).__name__}") from None
    if 0 in raw:
        raise InputError(f"toolgate: invalid {name}: it holds a NUL character", "EINVAL")
    return raw


def _timeout_ms(timeout: float) -> int:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
    if math.isnan(timeout) or timeout < 0:
        raise InputError(f"toolgate: invalid timeout {timeout!r}: must be >= 0 seconds",
                         "EINVAL")
    if math.isinf(timeout):
        return _MAX_TIMEOUT_MS
    return min(int(math.ceil(timeout * 1000)), _MAX_TIMEOUT_MS)


def _closed() -> InputError:
    return InputError("toolgate: the gate is closed", "EINVAL")


class _Miss(Exception):
    """Internal: the cache cannot answer; the check must ask the provider.

    It owns the C decision until _miss() takes it, and gives it back if that
    never happens (a task cancelled before its executor ran the check).
    """

    def __init__(self, h: _Handle, tb: bytes, ib: bytes, tool: str, identifier: str,
                 d: ctypes.c_void_p) -> None:
        super().__init__()
        self.h, self.tb, self.ib, self.tool, self.identifier = h, tb, ib, tool, identifier
        self.d: Optional[ctypes.c_void_p] = d

    def take(self) -> ctypes.c_void_p:
        d, self.d = self.d, None
        assert d is not None
        return d

    def __del__(self) -> None:
        if self.d is not None:
            release(self.d)


class _Handle:
    """The C gate, freed when nothing uses it any more.

    Every call on the gate holds a reference to its handle for its length, and
    every decision holds one for its life (the C decision points at names the
    gate keeps). The C gate is freed when the last reference goes — after
    close(), or when the Gate is dropped — so never under a call in progress,
    whatever the threads do. close() makes later calls fail and cancels the
    waits in progress.
    """

    __slots__ = ("ptr", "native", "_owned", "_lock", "_waits", "__weakref__")

    def __init__(self, native: Optional[Native], ptr: Optional[ctypes.c_void_p]) -> None:
        self.native = native
        self.ptr = ptr  # None once closed: calls refuse to start
        self._owned = ptr  # what __del__ frees
        self._lock = threading.Lock()
        self._waits: Dict[int, ctypes.c_int] = {}  # the cancel flags of waits in progress

    def start_wait(self, cancel: ctypes.c_int) -> ctypes.c_void_p:
        with self._lock:
            ptr = self.ptr
            if ptr is None:
                raise _closed()
            self._waits[id(cancel)] = cancel
            return ptr

    def end_wait(self, cancel: ctypes.c_int) -> None:
        with self._lock:
            self._waits.pop(id(cancel), None)

    def close(self) -> None:
        with self._lock:
            self.ptr = None
            for flag in self._waits.values():
                flag.value = 1

    @property
    def waits(self) -> int:
        """Waits in progress."""
        with self._lock:
            return len(self._waits)

    def __del__(self) -> None:
        # Unless the interpreter is going away (the process frees everything then).
        try:
            ptr, self._owned = self._owned, None
        except AttributeError:
            return
        if ptr is not None and self.native is not None and not sys.is_finalizing():
            self.native.gate_free(ptr)


class Gate:
    """A toolgate gate: checks whether a tool may run for an end user.

    Open one with :meth:`from_file` or :meth:`from_json` and share it: every
    method may be called from any number of threads at once. A check answered
    from the cache costs about a microsecond; one that needs the provider
    releases the GIL while it waits, and concurrent misses on one account send
    one request. Close it with :meth:`close` or a ``with`` block.
    """

    __slots__ = ("_h", "_n", "_try", "_verdict", "_build", "__weakref__")

    _h: _Handle
    _n: Native
    _try: Callable[..., int]
    _verdict: Callable[..., int]
    _build: Builder

    def __init__(self) -> None:
        raise TypeError("open a gate with Gate.from_file(path) or Gate.from_json(text)")

    @classmethod
    def _open(cls, create: Callable[[Native, Any], int]) -> "Gate":
        native = load()
        build = _builder(native)
        _log.install(native)
        out = ctypes.c_void_p()
        rc = create(native, ctypes.byref(out))
        if rc != 0:
            raise _error(native, rc)
        gate: Gate = object.__new__(cls)
        gate._n = native
        gate._try = native.try_check
        gate._verdict = native.d_verdict
        gate._build = build
        gate._h = _Handle(native, ctypes.c_void_p(out.value))
        return gate

    @classmethod
    def from_file(cls, path: PathLike) -> "Gate":
        """Open a gate from a JSON configuration file. Relative paths in it are
        relative to the file's directory.

        :raises ConfigError: the file cannot be read (``EIO``), the configuration
            is invalid (``ECONFIG``: the message names the key) or its provider
            cannot be loaded (``EPLUGIN``).
        :raises LibraryNotFoundError: libtoolgate cannot be loaded.
        """
        raw = _path("path", path)
        return cls._open(lambda n, out: int(n.gate_new_from_file(out, raw)))

    @classmethod
    def from_json(cls, text: str, base_dir: Optional[PathLike] = None) -> "Gate":
        """Open a gate from a JSON configuration held in a string (``"{}"`` gives
        every default). Relative paths in it are relative to ``base_dir``
        (default: the current directory).

        :raises ConfigError: as :meth:`from_file`.
        """
        raw = _text("text", text)
        base = None if base_dir is None else _path("base_dir", base_dir)
        return cls._open(lambda n, out: int(n.gate_new_from_json(out, raw, base)))

    # ---- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Close the gate: later calls raise :class:`InputError`, and waits in
        progress end with an :class:`Error` (``ECANCELED``). Its memory and
        connections are released as soon as nothing uses them: at once, unless
        calls are still in progress or decisions it made are still referenced
        (they stay whole, and can still be encoded). Closing twice does nothing."""
        h = self._h
        self._h = _CLOSED
        h.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._h.ptr is None

    def __enter__(self) -> "Gate":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<toolgate.Gate {'closed' if self.closed else 'open'}>"

    # ---- checks -----------------------------------------------------------

    def _hit(self, tool: str, identifier: str) -> Decision:
        """The answer when the cache (or the tool rules alone) has it; raises
        _Miss otherwise. Never blocks."""
        try:
            tb = tool.encode()
            ib = identifier.encode()
        except (AttributeError, UnicodeEncodeError):
            tb = _text("tool", tool)
            ib = _text("identifier", identifier)
        # A NUL would cut the C string short. (An int needle: `b"\0" in tb`
        # would first try the needle as an int and raise and clear an error.)
        if 0 in tb or 0 in ib:
            _text("tool", tool)
            _text("identifier", identifier)
        h = self._h  # held: the C gate stays alive for this call, whatever close() does
        p = h.ptr
        if p is None:
            raise _closed()
        try:
            d = idle.pop()
        except IndexError:
            d = new_decision()
        rc = self._try(p, tb, ib, d)
        if rc:
            if rc == EWOULDBLOCK:
                raise _Miss(h, tb, ib, tool, identifier, d)
            err = _error(self._n, rc)
            release(d)
            raise err
        # The decision, built here rather than by self._build: one Python call
        # fewer on every hit (it reads the verdict only, as _build does).
        x: Decision = _new(Decision)
        x._d = d
        x._gate = h
        x._tool = tool
        x._identifier = identifier
        v = x._verdict = VERDICTS[self._verdict(d)]
        x._allowed = v is _ALLOW
        x._read = False
        return x

    def _call(self, fn: Callable[..., int], *args: Any, h: Optional[_Handle] = None) -> int:
        """Run a C function of the gate, its failure (rc < 0) raised with the
        detail read on this thread. ``h`` (held for the call) defaults to the
        gate's handle, which must be open."""
        if h is None:
            h = self._h
            if h.ptr is None:
                raise _closed()
        rc = int(fn(h._owned, *args))
        if rc < 0:
            raise _error(self._n, rc)
        return rc

    def _miss(self, miss: _Miss) -> Decision:
        """The full check, asking the provider; blocks with the GIL released."""
        d = miss.take()
        try:  # on the handle the check began with, even if the gate closed since
            self._call(self._n.check, miss.tb, miss.ib, d, h=miss.h)
        except BaseException:
            release(d)
            raise
        return self._build(d, miss.h, miss.tool, miss.identifier)

    def check(self, tool: str, identifier: str) -> Decision:
        """May ``tool`` run for the end user ``identifier``?

        Returns the :class:`Decision` for every verdict — a blocked call is an
        answer, not an exception. From the cache this costs about a microsecond
        and takes no lock; a miss asks the provider with the GIL released (one
        request per account however many threads miss at once).

        :raises InputError: a tool or identifier that breaks the input rules
            (empty, too long, a control character or NUL, …).
        :raises ConfigError: the provider found its configuration wrong on first
            use (e.g. refused client credentials).
        :raises TypeError: a tool or identifier that is not a str.
        """
        try:
            return self._hit(tool, identifier)
        except _Miss as miss:
            return self._miss(miss)

    async def check_async(self, tool: str, identifier: str) -> Decision:
        """:meth:`check` for asyncio code: a cache answer is given on the event
        loop at once; a miss runs on the loop's default executor, so the loop
        never waits for the provider."""
        try:
            return self._hit(tool, identifier)
        except _Miss as miss:
            return await asyncio.get_running_loop().run_in_executor(None, self._miss, miss)

    def _check_connection(self, connection: str, identifier: str) -> Decision:
        cb = _text("connection", connection)
        ib = _text("identifier", identifier)
        h = self._h
        d = new_decision()
        try:
            self._call(self._n.check_connection, cb, ib, d)
        except BaseException:
            release(d)
            raise
        return self._build(d, h, None, identifier)

    def status(self, connection: str, identifier: str) -> Optional[Status]:
        """The status of the account ``(connection, identifier)``: from the cache
        when fresh, else from the provider.

        Returns ``None`` when it is not known because the provider could not
        answer (the check's ``on_provider_error`` policy applied).
        """
        return self._check_connection(connection, identifier).status

    def link(self, connection: str, identifier: str) -> Link:
        """An authorization link for the account, whatever its status: the cached
        one while it is valid, else a new one from the provider.

        :raises ProviderError: the provider failed (``EPROVIDER``, ``ETIMEOUT``).
        :raises Error: the provider has no links (``ENOTSUP``).
        """
        cb = _text("connection", connection)
        ib = _text("identifier", identifier)
        # Room for the longest link a provider may hand out.
        buf = ctypes.create_string_buffer(LINK_MAX + 1)
        expires = ctypes.c_int64()
        self._call(self._n.link, cb, ib, buf, len(buf), None, ctypes.byref(expires))
        return Link(buf.value.decode("utf-8", "replace"), rfc3339(expires.value))

    def invalidate(self, connection: Optional[str] = None,
                   identifier: Optional[str] = None) -> None:
        """Drop cached entries so the next check asks the provider: one account
        (both given), every account of a connection (``identifier`` None), or
        everything (neither).

        :raises InputError: an identifier without a connection, or an invalid name.
        """
        cb = _opt_text("connection", connection)
        ib = _opt_text("identifier", identifier)
        self._call(self._n.invalidate, cb, ib)

    # ---- webhooks ---------------------------------------------------------

    def apply_webhook(self, secret: str, webhook_id: str, timestamp: Union[str, int],
                      signature: str, body: Union[bytes, bytearray, memoryview], *,
                      now: Optional[float] = None) -> EventResult:
        """Verify a Scalekit webhook delivery and apply its event to the cache.

        Pass the request's headers ``webhook-id``, ``webhook-timestamp`` and
        ``webhook-signature`` and its raw body bytes, exactly as received (not
        re-serialized JSON). A status change is seen by the next check at once;
        a wait on the account wakes.

        :param secret: the endpoint's signing secret, ``"whsec_…"``.
        :param now: the current time in Unix seconds (default: the clock).
        :returns: what was done with the event: APPLIED, or STALE, DUPLICATE or
            IGNORED (nothing changed).
        :raises SignatureError: the signature does not match (``ESIGNATURE``) or the
            timestamp is more than 300 s from now (``ETIMESTAMP``); nothing applied.
        :raises InputError: a malformed secret, header or event body.
        """
        if isinstance(body, str):
            raise TypeError("body must be the raw bytes of the request body, not a str")
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"body must be bytes, not {type(body).__name__}")
        raw = bytes(body)
        if isinstance(timestamp, int) and not isinstance(timestamp, bool):
            timestamp = str(timestamp)
        sb = _text("secret", secret)
        idb = _text("webhook_id", webhook_id)
        tsb = _text("timestamp", timestamp)
        sigb = _text("signature", signature)
        if now is None:
            now = time.time()
        elif isinstance(now, bool) or not isinstance(now, (int, float)) or not math.isfinite(now):
            raise TypeError("now must be a finite number of Unix seconds")
        rc = self._call(self._n.apply_webhook, sb, idb, tsb, sigb, raw, len(raw), int(now))
        return EVENT_RESULTS[rc]

    # ---- waiting for an authorization --------------------------------------

    def _wait_start(self, connection: str, identifier: str, timeout: float) -> "_WaitJob":
        cb = _text("connection", connection)
        ib = _text("identifier", identifier)
        timeout_ms = _timeout_ms(timeout)
        return _WaitJob(self, cb, ib, timeout_ms, connection, identifier)

    def wait(self, connection: str, identifier: str, timeout: float = 300.0) -> Decision:
        """Wait until the account is ACTIVE, e.g. after handing the user a link.

        Asks the provider at once, then again with backoff (250 ms growing to
        5 s); a webhook or invalidation applied to this gate for the account
        wakes it at once. Ctrl-C ends it (KeyboardInterrupt within 100 ms), and so
        does :meth:`close`.

        :param timeout: seconds to wait in all (0: look once).
        :returns: the decision of the last answer: ``allowed`` when the account
            became ACTIVE, else its last known status (the time ran out).
        :raises ProviderError: the provider never answered (``decision`` holds the
            UNAVAILABLE decision).
        :raises Error: ``ECANCELED`` when the gate was closed meanwhile.
        """
        job = self._wait_start(connection, identifier, timeout)
        if threading.current_thread() is not threading.main_thread():
            return job.run()
        # On the main thread, wait on a helper so that Ctrl-C can raise here and
        # cancel the wait through its flag. Python runs signal handlers on the
        # main thread between bytecodes, and SIGINT may land on any thread
        # (without interrupting a lock wait here), so join in short slices.
        return _HelperWait(job).result()

    async def wait_async(self, connection: str, identifier: str,
                         timeout: float = 300.0) -> Decision:
        """:meth:`wait` for asyncio code: runs on the loop's default executor;
        cancelling the task ends the wait (within 100 ms)."""
        job = self._wait_start(connection, identifier, timeout)
        try:
            future = asyncio.get_running_loop().run_in_executor(None, job.run)
        except BaseException:
            job.abandon()
            raise
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            job.cancel()  # the executor's thread returns within 100 ms
            raise

    # ---- counters ---------------------------------------------------------

    def stats(self) -> Dict[str, Any]:
        """The gate's counters since it was opened.

        Keys: ``hits``, ``misses``, ``provider_calls``, ``provider_errors``,
        ``evictions``, ``entries``; ``verdicts`` (checks per verdict);
        ``provider_latency`` (``buckets``: ``[upper bound in seconds or None,
        calls]`` per bucket, not cumulative; ``sum``: seconds);
        ``provider_last_ok``, ``provider_last_error`` (Unix seconds or None);
        ``events`` (applied webhooks per :class:`EventResult`); and the shared
        tier's ``shared_hits``, ``shared_misses``, ``shared_errors``,
        ``shared_publishes``, ``shared_received``.
        """
        out = Stats()
        out.version = STATS_VERSION
        self._call(self._n.stats, ctypes.byref(out))
        bounds: List[Optional[float]] = [*STATS_LATENCY_BOUNDS, None]

        def when(ms: int) -> Optional[float]:
            return ms / 1000.0 if ms else None

        return {
            "hits": out.hits,
            "misses": out.misses,
            "provider_calls": out.provider_calls,
            "provider_errors": out.provider_errors,
            "evictions": out.evictions,
            "entries": out.entries,
            "verdicts": {v.value: out.verdicts[i] for i, v in enumerate(VERDICTS)},
            "provider_latency": {
                "buckets": [[b, out.provider_latency_buckets[i]] for i, b in enumerate(bounds)],
                "sum": out.provider_latency_seconds_sum,
            },
            "provider_last_ok": when(out.provider_last_ok_ms),
            "provider_last_error": when(out.provider_last_error_ms),
            "events": {e.value: out.events[i] for i, e in enumerate(EVENT_RESULTS)},
            "shared_hits": out.shared_hits,
            "shared_misses": out.shared_misses,
            "shared_errors": out.shared_errors,
            "shared_publishes": out.shared_publishes,
            "shared_received": out.shared_received,
        }

    # ---- decorating tools -------------------------------------------------

    def guard(self, tool: str, identifier: Identifier) -> Callable[[F], F]:
        """A decorator that checks ``tool`` before each call of the function.

        ``identifier`` is the end user: a string, or a callable given the
        decorated function's own arguments (``lambda user_id, **_: user_id``).
        On ALLOW the function runs; otherwise it does not, and the call raises
        :class:`AuthorizationRequired` (with ``link``), :class:`Unavailable` or
        :class:`Denied`, each carrying the decision. ``async def`` functions are
        checked with :meth:`check_async`, so the event loop never waits for the
        provider; their identifier callable may be ``async`` too.
        """
        from .guard import guard
        return guard(self, tool, identifier)


class _WaitJob:
    """One tg_gate_wait, registered with the handle (so close() can cancel it)
    when made; run() unregisters it on the thread that runs it, abandon() when
    it never runs. cancel() may be called from any thread: the wait ends within
    100 ms."""

    __slots__ = ("gate", "h", "ptr", "cb", "ib", "opts", "flag", "d", "connection",
                 "identifier")

    def __init__(self, gate: Gate, cb: bytes, ib: bytes, timeout_ms: int, connection: str,
                 identifier: str) -> None:
        self.gate = gate
        self.h = gate._h
        self.cb = cb
        self.ib = ib
        self.connection = connection
        self.identifier = identifier
        self.flag = ctypes.c_int(0)
        self.opts = WaitOptions(WAIT_OPTIONS_VERSION, timeout_ms, 0, 0,
                                ctypes.pointer(self.flag), None, None)
        self.d = new_decision()
        try:
            self.ptr = self.h.start_wait(self.flag)
        except BaseException:
            release(self.d)
            raise

    def cancel(self) -> None:
        self.flag.value = 1

    def abandon(self) -> None:
        self.h.end_wait(self.flag)
        release(self.d)

    def run(self) -> Decision:
        gate, h, d = self.gate, self.h, self.d
        try:
            rc = gate._n.wait(self.ptr, self.cb, self.ib, ctypes.byref(self.opts), d)
            message = gate._n.last_error(rc) if rc else ""
        finally:
            h.end_wait(self.flag)
        if rc == 0:
            return gate._build(d, h, None, self.identifier)
        if rc == EPROVIDER:  # d holds the UNAVAILABLE decision
            raise ProviderError(message, "EPROVIDER",
                                gate._build(d, h, None, self.identifier))
        release(d)
        if rc == ECANCELED:
            raise Error("toolgate: the wait was cancelled", "ECANCELED")
        raise error_for(ERROR_NAMES.get(rc, "EUNKNOWN"), message)


class _HelperWait:
    """A wait run on a helper thread while the main thread waits for it.

    Ctrl-C (KeyboardInterrupt) can reach the main thread anywhere, even while
    it starts the helper: whichever of the two claims the job first decides.
    The helper claims it to run it; the main thread, interrupted, claims it to
    drop it before it ran, or else cancels it (the helper then ends within
    100 ms and cleans up).
    """

    def __init__(self, job: _WaitJob) -> None:
        self.job = job
        self.lock = threading.Lock()
        self.claimed = False
        self.outcome: List[Tuple[bool, Any]] = []

    def _claim(self) -> bool:
        with self.lock:
            first, self.claimed = not self.claimed, True
            return first

    def _run(self) -> None:
        if not self._claim():
            return  # dropped before it started
        try:
            self.outcome.append((True, self.job.run()))
        except BaseException as e:  # handed to the main thread
            self.outcome.append((False, e))

    def result(self) -> Decision:
        helper = threading.Thread(target=self._run, name="toolgate-wait", daemon=True)
        try:
            helper.start()
            while helper.is_alive():
                helper.join(0.05)
        except BaseException:
            if self._claim():
                self.job.abandon()
            else:
                self.job.cancel()
                helper.join()
            raise
        ok, value = self.outcome[0]
        if ok:
            return cast(Decision, value)
        raise value


# What a closed Gate holds instead of its handle: no C gate, every call refused.
_CLOSED = _Handle(None, None)


_builders: Dict[int, Builder] = {}


def _builder(native: Native) -> Builder:
    build = _builders.get(id(native))
    if build is None:
        build = _builders[id(native)] = make_builder(native)
    return build

