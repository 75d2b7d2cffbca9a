"""Scale-out over real processes: bench/scale_out.py starts two gunicorn web nodes and two Dramatiq
workers sharing one PostgreSQL database, Redis (db 9) and a moto S3 bucket, and checks that rate limits
are shared, jobs spread over both workers and what one node rendered the other serves. Here with small
numbers; the script uses its own database, Redis db and free ports, so it runs beside the suite."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_two_web_nodes_and_two_workers_share_everything():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "bench/scale_out.py", "--jobs", "8", "--web-workers", "1", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + "\n" + result.stderr
    assert result.returncode == 0, output[-6000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["passed"] and facts["error"] is None, output[-6000:]

    limits = facts["rate_limit"]
    assert limits["requests"] == 2 * limits["limit"]
    assert limits["ok_200"] == limits["limit"] and limits["limited_429"] == limits["limit"], limits
    assert limits["by_node"]["A"]["200"] > 0 and limits["by_node"]["B"]["200"] > 0, limits

    spread = facts["spread"]
    assert spread["posted"] == {"A": 4, "B": 4}
    by_worker = spread["by_worker"]
    assert by_worker["worker1"] > 0 and by_worker["worker2"] > 0, spread
    assert by_worker["worker1"] + by_worker["worker2"] == 8 and by_worker["unattributed"] == 0, spread

    cross = facts["cross_serve"]
    assert cross["job"]["status"] == "completed" and cross["job"]["output_status"] == 200
    assert cross["job"]["output_is_png"] and cross["job"]["worker"] in ("worker1", "worker2")
    for check in ("sync_A_then_B", "sync_B_then_A", "signed_A_then_B"):
        assert cross[check]["cache"] == ["MISS", "HIT"] and cross[check]["same_bytes"], (check, cross[check])

    one = facts["throughput"]["one_worker"]["by_worker"]
    assert one["worker1"] == 8 and one["worker2"] == 0  # worker 2 stopped: worker 1 ran them all
