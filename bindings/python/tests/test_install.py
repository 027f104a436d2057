"""pip installs the package into a virtual environment, and it works from there."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.install
PACKAGE = Path(__file__).resolve().parents[1]


def test_pip_install_into_a_venv(tmp_path: Path) -> None:
    # A copy, so the build leaves nothing in the source tree.
    source = tmp_path / "toolgate-src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns(
        "tests", "build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    # The system's site-packages give setuptools and wheel for the offline build;
    # the installed package must come from the venv.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_FIND_LINKS")}
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index",
                    "--no-build-isolation", str(source)],
                   check=True, env=env, cwd=tmp_path, timeout=300)
    code = ("import json, pathlib, toolgate\n"
            "pkg = pathlib.Path(toolgate.__file__).parent\n"
            "print(pkg)\n"
            "print((pkg / 'py.typed').is_file())\n"
            "with toolgate.Gate.from_json(json.dumps({'tools': {'unmapped': 'deny'},\n"
            "        'provider': {'type': 'file', 'path': 'accounts.json'}})) as gate:\n"
            "    print(gate.check('shell_exec', 'user_1').verdict)\n")
    (tmp_path / "accounts.json").write_text('{"link_base": "https://example.com/a"}')
    result = subprocess.run([str(python), "-c", code], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    where, typed, verdict = result.stdout.splitlines()
    assert Path(where).is_relative_to(venv)
    assert typed == "True" and verdict == "DENY"
