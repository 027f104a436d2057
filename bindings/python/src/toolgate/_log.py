"""The library's diagnostic lines, delivered to Python's :mod:`logging`.

Lines go to the logger ``"toolgate"`` (ERROR, WARNING, INFO and DEBUG; DEBUG is
e.g. one line per provider request). The library is told the logger's
effective level when a gate is opened and by :func:`sync_logging`, so it does
not even format the lines nobody would see, and a line costs the GIL only when
it is wanted. The logger has a :class:`logging.NullHandler`, as a library's
should: configure handlers in the application.

The callback may run on any thread that calls into the library — a checking
thread with the GIL released, or a thread the library or a provider started;
ctypes takes the GIL for it. It never raises into C.
"""
from __future__ import annotations

import atexit
import ctypes
import logging
import threading
from typing import Optional

from ._native import LOG_FN, Native

logger = logging.getLogger("toolgate")
logger.addHandler(logging.NullHandler())

# tg_log_level → logging level.
_PY_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}

_lock = threading.Lock()
_native: Optional[Native] = None
_installed_level: Optional[int] = None
_at_exit = False


def _deliver(ctx: Optional[int], level: int, message: Optional[bytes]) -> None:
    try:
        text = message.decode("utf-8", "replace") if message else ""
        logger.log(_PY_LEVELS.get(level, logging.ERROR), "%s", text)
    except BaseException:  # never unwind into C
        pass


# Kept alive for as long as the library may call it.
_callback = LOG_FN(_deliver)
_callback_address = ctypes.cast(_callback, ctypes.c_void_p)


def _library_level(python_level: int) -> Optional[int]:
    """The tg_log_level that lets through what the logger would emit; None: none."""
    if python_level <= logging.DEBUG:
        return 3
    if python_level <= logging.INFO:
        return 2
    if python_level <= logging.WARNING:
        return 1
    if python_level <= logging.ERROR:
        return 0
    return None


def _uninstall() -> None:
    # At exit: no line may reach Python while the interpreter is being torn down.
    with _lock:
        if _native is not None:
            _native.log_set(0, None, None)


def install(native: Native) -> None:
    """Point the library's sink at the logger, at the logger's effective level."""
    global _native, _installed_level, _at_exit
    level = None if logger.disabled else _library_level(logger.getEffectiveLevel())
    with _lock:
        _native = native
        if level == _installed_level:
            return
        if level is None:
            native.log_set(0, None, None)
        else:
            native.log_set(level, _callback_address, None)
        _installed_level = level
        if not _at_exit:
            atexit.register(_uninstall)
            _at_exit = True


def sync_logging() -> None:
    """Tell the library the ``"toolgate"`` logger's level again.

    Gates read it when they are opened; call this after changing the logger's
    (or the root logger's) level later. Does nothing before the library is
    loaded (the first gate loads it).
    """
    if _native is not None:
        install(_native)
