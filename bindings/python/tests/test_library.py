"""Finding libtoolgate: $TOOLGATE_LIBRARY, then the system's; clear errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

import toolgate
from toolgate import _native

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_python(code: str, library: Optional[str]) -> "subprocess.CompletedProcess[str]":
    env: Dict[str, str] = {k: v for k, v in os.environ.items() if k != "TOOLGATE_LIBRARY"}
    env["PYTHONPATH"] = SRC
    if library is not None:
        env["TOOLGATE_LIBRARY"] = library
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_variable_wins() -> None:
    assert _native.find({"TOOLGATE_LIBRARY": __file__}, lambda name: "libother.so") == __file__


def test_then_the_system_library() -> None:
    assert _native.find({}, lambda name: f"lib{name}.so.0") == "libtoolgate.so.0"


def test_not_found_says_how_to_point_at_it() -> None:
    with pytest.raises(toolgate.LibraryNotFoundError) as e:
        _native.find({}, lambda name: None)
    message = str(e.value)
    assert "TOOLGATE_LIBRARY" in message and "libtoolgate.so" in message
    assert e.value.code == "ELIBRARY"
    with pytest.raises(toolgate.LibraryNotFoundError, match="set but empty"):
        _native.find({"TOOLGATE_LIBRARY": ""}, lambda name: "libtoolgate.so.0")
    with pytest.raises(toolgate.LibraryNotFoundError, match="not a file"):
        _native.find({"TOOLGATE_LIBRARY": "/nonexistent/libtoolgate.so"}, lambda name: None)


def test_import_needs_no_library() -> None:
    # The package imports without the library; the first gate loads it.
    result = run_python("import toolgate; print(toolgate.Verdict.ALLOW)",
                        "/nonexistent/libtoolgate.so")
    assert result.returncode == 0 and result.stdout.strip() == "ALLOW"


@pytest.mark.parametrize("library,needle", [
    ("/nonexistent/libtoolgate.so", "is not a file"),
    (__file__, "cannot load"),  # a file, but no shared object
    ("libm.so.6", "not a libtoolgate"),  # a shared object, but not ours
])
def test_a_bad_library_is_a_clear_error(library: str, needle: str) -> None:
    code = ("import toolgate\n"
            "try:\n"
            "    toolgate.Gate.from_json('{}')\n"
            "except toolgate.LibraryNotFoundError as e:\n"
            "    print(e.code, e)\n"
            "    raise SystemExit(3)\n")
    if library == "libm.so.6":
        import ctypes.util
        found = ctypes.util.find_library("m")
        assert found, "libm is part of every Debian system"
        library = next(str(p) for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                        "/lib64", "/usr/lib64", "/lib", "/usr/lib")
                       for p in [Path(d) / found] if p.is_file())
    result = run_python(code, library)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("ELIBRARY toolgate: ")
    assert needle in result.stdout and "TOOLGATE_LIBRARY" in result.stdout


def test_the_library_in_use(gate: toolgate.Gate) -> None:
    assert _native.load().path == os.environ["TOOLGATE_LIBRARY"]
    assert toolgate.library_version() == toolgate.__version__
