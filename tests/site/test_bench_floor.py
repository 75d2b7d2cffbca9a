"""The render bench's floor view exists only when LOOPWIND_BENCH_FLOOR=1 (issue 14)."""

import os
import subprocess
import sys
from pathlib import Path

from loopwind_site.benchfloor import bench_urls

ROOT = Path(__file__).resolve().parents[2]


def test_not_mounted_by_default(client, settings, db):
    assert settings.BENCH_FLOOR is False
    assert bench_urls() == []
    assert client.get("/_bench/floor").status_code == 404


def test_mounted_only_with_the_variable(settings):
    settings.BENCH_FLOOR = True
    (pattern,) = bench_urls()
    assert str(pattern.pattern) == "_bench/floor"
    code = (
        "import django; django.setup(); from django.urls import resolve; "
        "print(resolve('/_bench/floor').func.__module__)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "loopwind_site.settings", "LOOPWIND_BENCH_FLOOR": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "loopwind_site.benchfloor"
