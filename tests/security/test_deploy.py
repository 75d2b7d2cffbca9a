"""Production settings pass Django's deployment checks, and the libraries that parse untrusted
templates are at versions with the known sandbox / SSRF fixes."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "SITE_URL": "https://loopwind.dev",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "BEHIND_HTTPS_PROXY": "1",
    "ALLOWED_HOSTS": "loopwind.dev",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **PRODUCTION}
    env["LOOPWIND_VAR_DIR"] = str(tmp_path / "var")  # nothing of the test run leaks in, nothing written
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout, result.stdout


def test_check_deploy_flags_a_debug_server(tmp_path):
    """The check above is meaningful: the same run with DEBUG on fails."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **PRODUCTION, "DEBUG": "1"}
    env["LOOPWIND_VAR_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "security.W018" in result.stdout + result.stderr


def test_template_libraries_are_patched():
    # Jinja2 < 3.1.6: sandbox escapes through str.format reached indirectly or via |attr
    # (CVE-2024-56326 fixed in 3.1.5, CVE-2025-27516 in 3.1.6).
    assert Version(version("Jinja2")) >= Version("3.1.6")
    # CairoSVG: external resource fetching (CVE-2023-27586, fixed in 2.7.0) and later hardening; 2.9.0
    # is the floor the engine's SVG limits are tested against.
    assert Version(version("CairoSVG")) >= Version("2.9.0")
