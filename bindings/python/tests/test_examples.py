"""The example of examples/python runs and says what it should."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SRC = Path(__file__).resolve().parents[1] / "src"


def test_guarded_tools_example(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(SRC), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, str(ROOT / "examples/python/guarded_tools.py")],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "user_123: sent 'Q3 report' to ann@example.com",
        "user_456: needs authorization: gmail account of user_456 is EXPIRED: the user must "
        "authorize again; link https://connect.example.com/authorize?connection=gmail"
        "&identifier=user_456",
        "user_123: posted to #general",
        "webhook: APPLIED",
        "user_456: sent 'Q3 report' to ann@example.com",
        "done",
    ]
