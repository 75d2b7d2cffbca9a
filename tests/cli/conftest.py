import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def loopwind_exe(tmp_path_factory) -> Path:
    """`pip install .` into a fresh venv: the client package only (a copy of the sources, so no stale
    build/ folder of the work tree leaks into the wheel). About 15 s."""
    base = tmp_path_factory.mktemp("client")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "loopwind", source / "loopwind", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    venv = base / "venv"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    assert time.monotonic() - started < 180
    no_server = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import django"], capture_output=True, text=True, check=False
    )
    assert no_server.returncode != 0 and "No module named 'django'" in no_server.stderr
    for module in ("loopwind_site", "core", "accounts", "rendering"):
        assert not list((venv / "lib").glob(f"python3*/site-packages/{module}")), module
    return venv / "bin" / "loopwind"
