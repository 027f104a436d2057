"""The C library behind the package: finding it, loading it, its prototypes.

Everything else in the package calls libtoolgate through the names defined
here. Nothing here is public.

Two handles on the same library are used:

- ``lib`` (:class:`ctypes.CDLL`) releases the GIL for the length of each call.
  Every call that can block (a check that asks the provider, a link, a wait),
  take a lock or log goes through it, so other Python threads run meanwhile.
- ``pure`` (:class:`ctypes.PyDLL`) keeps the GIL. Only the getters of a
  decision and the error text go through it: they read memory the caller owns,
  never block, never lock and never log, so keeping the GIL is both safe (no
  log callback can be waiting for it) and cheaper.

The functions on the hit path (``try_check`` and the getters) are left
without ``argtypes``: converting arguments costs more than the call itself.
Their callers pass ``ctypes.c_void_p`` objects for pointers and ``bytes`` for
strings, nothing else. Every other function has full ``argtypes``.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Any, Callable, Mapping, Optional

from .errors import LibraryNotFoundError as LibraryNotFound

# tg_err codes (include/toolgate/toolgate.h); names are what Error.code holds.
OK = 0
EINVAL = -1
EPROVIDER = -4
EBUFS = -6
ECANCELED = -12
EWOULDBLOCK = -13
ERROR_NAMES = {
    -1: "EINVAL", -2: "ENOMEM", -3: "ECONFIG", -4: "EPROVIDER", -5: "ETIMEOUT",
    -6: "EBUFS", -7: "EIO", -8: "ENOTSUP", -9: "EPLUGIN", -10: "ESIGNATURE",
    -11: "ETIMESTAMP", -12: "ECANCELED", -13: "EWOULDBLOCK",
}

LINK_MAX = 2048  # TG_LINK_MAX, without the NUL
WAIT_OPTIONS_VERSION = 1
STATS_VERSION = 2
STATS_LATENCY_BUCKETS = 14
STATS_LATENCY_BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                        2.5, 5.0, 10.0)

ENV_VAR = "TOOLGATE_LIBRARY"

_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_i64 = ctypes.c_int64
_size = ctypes.c_size_t


class WaitOptions(ctypes.Structure):
    """struct tg_wait_options."""

    _fields_ = [
        ("version", ctypes.c_uint32),
        ("timeout_ms", _i64),
        ("poll_ms", _i64),
        ("max_poll_ms", _i64),
        ("cancel", ctypes.POINTER(ctypes.c_int)),
        ("on_poll", _vp),
        ("ctx", _vp),
    ]


class Stats(ctypes.Structure):
    """struct tg_stats, version 2."""

    _fields_ = [
        ("version", ctypes.c_uint32),
        ("hits", ctypes.c_uint64),
        ("misses", ctypes.c_uint64),
        ("provider_calls", ctypes.c_uint64),
        ("provider_errors", ctypes.c_uint64),
        ("evictions", ctypes.c_uint64),
        ("entries", ctypes.c_uint64),
        ("verdicts", ctypes.c_uint64 * 4),
        ("provider_latency_buckets", ctypes.c_uint64 * STATS_LATENCY_BUCKETS),
        ("provider_latency_seconds_sum", ctypes.c_double),
        ("provider_last_ok_ms", _i64),
        ("provider_last_error_ms", _i64),
        ("events", ctypes.c_uint64 * 4),
        ("shared_hits", ctypes.c_uint64),
        ("shared_misses", ctypes.c_uint64),
        ("shared_errors", ctypes.c_uint64),
        ("shared_publishes", ctypes.c_uint64),
        ("shared_received", ctypes.c_uint64),
    ]


# void (*tg_log_fn)(void *ctx, tg_log_level level, const char *message)
LOG_FN = ctypes.CFUNCTYPE(None, _vp, ctypes.c_int, _cp)


def _how_to_point() -> str:
    return (f"set {ENV_VAR} to the path of libtoolgate.so (e.g. "
            f"{ENV_VAR}=/path/to/toolgate/build/lib/libtoolgate.so after a CMake build), "
            "or install the library where the dynamic linker finds it "
            "(cmake --install build, then ldconfig)")


def find(environ: Mapping[str, str],
         find_library: Callable[[str], Optional[str]]) -> str:
    """The path or name to load: ``$TOOLGATE_LIBRARY``, else the system's."""
    explicit = environ.get(ENV_VAR)
    if explicit is not None:
        if not explicit:
            raise LibraryNotFound(f"toolgate: {ENV_VAR} is set but empty: {_how_to_point()}")
        if not os.path.isfile(explicit):
            raise LibraryNotFound(
                f"toolgate: {ENV_VAR}={explicit!r} is not a file: {_how_to_point()}")
        return explicit
    name = find_library("toolgate")
    if not name:
        raise LibraryNotFound(
            f"toolgate: libtoolgate was not found ({ENV_VAR} is not set and the system "
            f"has no libtoolgate): {_how_to_point()}")
    return name


class Native:
    """The loaded library: one ``ctypes`` function object per C function used."""

    def __init__(self, path: str) -> None:
        try:
            lib = ctypes.CDLL(path)
            pure = ctypes.PyDLL(path)
        except OSError as e:
            raise LibraryNotFound(
                f"toolgate: cannot load {path!r} ({e}): {_how_to_point()}") from None
        self.path = path
        try:
            self._bind(lib, pure)
        except AttributeError as e:
            raise LibraryNotFound(
                f"toolgate: {path!r} is not a libtoolgate this package can use "
                f"(missing {e}): {_how_to_point()}") from None
        version = self.version()
        if version.split(".")[0] != "0":
            raise LibraryNotFound(
                f"toolgate: {path!r} is libtoolgate {version}; this package needs 0.x: "
                f"{_how_to_point()}")

    def _bind(self, lib: ctypes.CDLL, pure: ctypes.PyDLL) -> None:
        def fn(handle: ctypes.CDLL, name: str, restype: Any, argtypes: Any) -> Any:
            f = handle[name]
            f.restype = restype
            f.argtypes = argtypes
            return f

        # Hit path: no argtypes (see the module's docstring).
        self.try_check = fn(lib, "tg_gate_try_check", ctypes.c_int, None)
        self.d_verdict = fn(pure, "tg_decision_verdict", ctypes.c_int, None)
        self.d_status = fn(pure, "tg_decision_status", ctypes.c_int, None)
        self.d_has_status = fn(pure, "tg_decision_has_status", ctypes.c_int, None)
        self.d_source = fn(pure, "tg_decision_source", ctypes.c_int, None)
        self.d_stale = fn(pure, "tg_decision_stale", ctypes.c_int, None)
        self.d_reason = fn(pure, "tg_decision_reason", _cp, None)
        self.d_connection = fn(pure, "tg_decision_connection", _cp, None)
        self.d_link = fn(pure, "tg_decision_link", _cp, None)
        self.d_link_expires_at = fn(pure, "tg_decision_link_expires_at", _i64, None)

        self.error_message = fn(pure, "tg_error_message", _cp, [])
        self.strerror = fn(pure, "tg_strerror", _cp, [ctypes.c_int])
        self.version_fn = fn(pure, "tg_version", _cp, [])
        self.status_name = fn(pure, "tg_status_name", _cp, [ctypes.c_int])
        self.verdict_name = fn(pure, "tg_verdict_name", _cp, [ctypes.c_int])
        self.format_name = fn(pure, "tg_format_name", _cp, [ctypes.c_int])
        self.format_parse = fn(pure, "tg_format_parse", ctypes.c_int,
                               [_cp, ctypes.POINTER(ctypes.c_int)])

        self.decision_new = fn(lib, "tg_decision_new", _vp, [])
        self.decision_free = fn(lib, "tg_decision_free", None, [_vp])
        self.decision_to_json = fn(lib, "tg_decision_to_json", ctypes.c_int,
                                   [_vp, _cp, _size, ctypes.POINTER(_size)])
        self.decision_encode = fn(lib, "tg_decision_encode", ctypes.c_int,
                                  [_vp, ctypes.c_int, _cp, _cp, _size, ctypes.POINTER(_size)])

        self.gate_new_from_file = fn(lib, "tg_gate_new_from_file", ctypes.c_int,
                                     [ctypes.POINTER(_vp), _cp])
        self.gate_new_from_json = fn(lib, "tg_gate_new_from_json", ctypes.c_int,
                                     [ctypes.POINTER(_vp), _cp, _cp])
        self.gate_free = fn(lib, "tg_gate_free", None, [_vp])
        self.check = fn(lib, "tg_gate_check", ctypes.c_int, [_vp, _cp, _cp, _vp])
        self.check_connection = fn(lib, "tg_gate_check_connection", ctypes.c_int,
                                   [_vp, _cp, _cp, _vp])
        self.link = fn(lib, "tg_gate_link", ctypes.c_int,
                       [_vp, _cp, _cp, _cp, _size, ctypes.POINTER(_size), ctypes.POINTER(_i64)])
        self.invalidate = fn(lib, "tg_gate_invalidate", ctypes.c_int, [_vp, _cp, _cp])
        self.stats = fn(lib, "tg_gate_stats", ctypes.c_int, [_vp, ctypes.POINTER(Stats)])
        self.wait = fn(lib, "tg_gate_wait", ctypes.c_int,
                       [_vp, _cp, _cp, ctypes.POINTER(WaitOptions), _vp])
        self.apply_webhook = fn(lib, "tg_gate_apply_webhook", ctypes.c_int,
                                [_vp, _cp, _cp, _cp, _cp, _cp, _size, _i64])
        self.log_set = fn(lib, "tg_log_set", None, [ctypes.c_int, _vp, _vp])

    def version(self) -> str:
        v: Optional[bytes] = self.version_fn()
        return v.decode() if v else ""

    def last_error(self, rc: int) -> str:
        """The detail of the failure ``rc`` that just happened on this thread."""
        detail: Optional[bytes] = self.error_message()
        if detail:
            return detail.decode("utf-8", "replace")
        text: Optional[bytes] = self.strerror(rc)
        return text.decode() if text else f"error {rc}"


_native: Optional[Native] = None
_load_lock = threading.Lock()


def load() -> Native:
    """The library, loaded on first use; raises :class:`~toolgate.LibraryNotFoundError`."""
    global _native
    native = _native
    if native is None:
        with _load_lock:
            if _native is None:
                _native = Native(find(os.environ, ctypes.util.find_library))
            native = _native
    return native
