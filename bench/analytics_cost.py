"""The API analytics' cost on a cache hit, in one process (issue 16: a hit with analytics on costs
<= 1.05x the same hit without).

    .venv/bin/python bench/analytics_cost.py [rounds]

Over HTTP (bench/render_api.py's side-by-side servers) the two medians move +-10 % from phase to phase on
this shared machine, more than the difference asked about. Here the same signed /i/ hit and API hit go
through Django's whole WSGI stack (every middleware, the real Redis and PostgreSQL) in one process,
ANALYTICS_ENABLED switched on and off between batches of requests, so drift hits both alike; it prints
the median per-request time of each and their ratio, the load average, and the Python function calls a
request makes in each state (cProfile): a count that does not move with the machine's load."""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_stores  # noqa: E402
from bench.render_api import BENCH_DB, BENCH_REDIS, seed, server_env  # noqa: E402

BATCH = 200  # requests per measurement


def main(rounds: int = 15) -> None:
    database_url, redis_url = bench_stores(BENCH_DB, BENCH_REDIS)
    tmp = Path(tempfile.mkdtemp(prefix="loopwind-bench-analytics-"))
    env = server_env(database_url=database_url, redis_url=redis_url, tmp=tmp, port=8000, render_processes=1)
    env["ANALYTICS_FLUSH_SECONDS"] = "2"
    key, og_slug, _ = seed(env)
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    body = json.dumps({"template": og_slug, "props": {"title": "Analytics cost"}})
    signed = client.post("/api/render/sign", body, content_type="application/json").json()["url"]
    path = signed[len(env["SITE_URL"]) :]
    requests = {
        "API hit (POST /api/render)": lambda: client.post(
            "/api/render", body, content_type="application/json"
        ),
        "signed /i/ hit": lambda: client.get(path),
    }
    for name, call in requests.items():
        for _ in range(50):  # the render, then the memos' guesses
            response = call()
            assert response.status_code == 200, (name, response.status_code, response.content[:200])
    print(f"load average {os.getloadavg()}; {rounds} rounds of {BATCH} requests per state, medians")
    for name, call in requests.items():
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for enabled in (False, True):
                settings.ANALYTICS_ENABLED = enabled
                started = time.perf_counter()
                for _ in range(BATCH):
                    call()
                times[enabled].append((time.perf_counter() - started) / BATCH * 1000)
        on, off = statistics.median(times[True]), statistics.median(times[False])
        calls = {}
        for enabled in (False, True):
            settings.ANALYTICS_ENABLED = enabled
            profile = cProfile.Profile()
            profile.runcall(lambda call=call: [call() for _ in range(BATCH)])
            calls[enabled] = pstats.Stats(profile).total_calls / BATCH
        verdict = "ok" if on / off <= 1.05 else "MISSED"
        print(f"{name}: {on:.3f} ms on / {off:.3f} ms off = {on / off:.3f}x (target <= 1.05x) {verdict}; "
              f"{(on - off) * 1000:.1f} us a request; Python calls {calls[True]:.0f} on / {calls[False]:.0f} off "
              f"= {calls[True] / calls[False]:.3f}x")  # fmt: skip
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
