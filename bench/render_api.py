"""Benchmark of the render API over HTTP, against a real gunicorn (2 workers) and a real Dramatiq worker.

Issue 14: every figure is also printed as a ratio to figures measured in the same run, because the
shared machine's absolute speed varies 2x from day to day. The floor is a trivial view answering
13 KB through the full middleware stack on the same gunicorn (``/_bench/floor``, mounted only with
LOOPWIND_BENCH_FLOOR=1, which this script sets); the uncached render is compared with the engine
rendering the same card with the same titles in a process that imports only the engine, right before and
after each uncached phase. Every phase runs in --rounds rounds, each figure right after its baseline, and
each ratio is the median of its rounds' ratios. Targets: /i/ hit median <= 1.5x the floor's and c=8
throughput >= 0.5x; API hit median <= 2x and throughput >= 0.4x; uncached <= 1.3x the engine.

    .venv/bin/python bench/render_api.py [--worker-class sync|gthread] [--threads 4] [--seconds 2]
                                         [--rounds 3] [--video-runs 3] [--loader auto|wrk|python]
                                         [--storage fs|s3]

The issue's targets (end to end, measured from the client):
- uncached sync render of the OG card: median <= 25 ms at concurrency 1; >= 60 renders/s at concurrency 8,
  no errors (every request has unique props, so every one is a render: X-Render-Cache must say MISS);
- cache hit, both POST /api/render with a repeated body and GET on a signed /i/ URL: median <= 5 ms at
  concurrency 1; >= 400 requests/s at concurrency 8 (X-Render-Cache must say HIT);
- async 100-frame 1280x720 MP4 (POST /api/render/async, then the status URL polled every 50 ms until
  `completed`) with an idle worker: <= 4 s, median of --video-runs runs after one warm-up job.

Setup, all inside this script: its own PostgreSQL database ``loopwind_bench_render`` (created when missing,
migrated) on the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432; BENCH_DATABASE_URL
names the whole URL instead), Redis db 11 (BENCH_REDIS_URL overrides; flushed at start), MEDIA_ROOT in a
temporary folder (filesystem storage; ``--storage s3``: a moto S3 server started here, as production
stores in S3), a bench user (recreated each run) with an API key holding the
render scopes, the OG card and a 100-frame variant of promo-video published under it. Then gunicorn
(2 workers) and ``manage.py rundramatiq --processes 1 --threads 1`` start with that environment on a free
port, the render children are warmed up, and the load runs. Every process started here is stopped at the
end, on errors and on Ctrl-C.

Load generator: ``wrk`` when installed (C, event loop, Lua scripts give every request unique props and
check X-Render-Cache), else Python threads with one persistent http.client connection each. Both share
the machine's 2 cores with the server, so wrk is preferred: it costs the server the least CPU.

Worker class: ``sync`` by default, chosen by measurement on the 2-core machine (wrk, 5 s per phase,
one run each, same build):

    worker class                      uncached c1 / c8          cache hit (API) c1 / c8
    sync, RENDER_PROCESSES=1          19.2 ms / 80 renders/s    4.0 ms / 448 req/s
    gthread 4 threads, RENDER_PROC=1  26.0 ms / 81 renders/s    4.1 ms / 266 req/s
    gthread 4 threads, RENDER_PROC=2  20.8 ms / 71 renders/s    4.2 ms / 239 req/s

The CPU is the limit: under uncached load both cores are busy, a little more in the two web processes
(auth, lookups, quota, bookkeeping) than in the two render children. More threads or more render
children add no core, only GIL contention and context switches: gthread loses 40 % on cache hits, which
are all Python in the web process. The SSE endpoint holds a sync worker while it streams, so a
deployment with many SSE clients wants a separate gthread (or async) pool for that route; this bench
polls the status URL instead. ``--worker-class gthread --render-processes 2`` reruns the comparison.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Processes,
    bench_stores,
    free_port,
    run_bench,
    s3_env,
    start_moto_s3,
    wait_http,
)

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)
GUNICORN = VENV_BIN / "gunicorn"

BENCH_DB = "loopwind_bench_render"
BENCH_REDIS = "redis://127.0.0.1:6379/11"
BENCH_USER = "bench-render"
SECRET_KEY = "bench-render-api-fixed-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
VIDEO_FRAMES = 100

TARGETS = {
    "uncached_c1_median_ms": 25.0,
    "uncached_c8_rps": 60.0,
    "hit_c1_median_ms": 5.0,
    "hit_c8_rps": 400.0,
    "video_s": 4.0,
}

# --- environment ------------------------------------------------------------------------------------


def server_env(*, database_url: str, redis_url: str, tmp: Path, port: int, render_processes: int) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MEDIA_ROOT=str(tmp / "media"),
        LOOPWIND_VAR_DIR=str(tmp / "var"),
        SITE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY=SECRET_KEY,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        RENDER_PROCESSES=str(render_processes),
        DJANGO_SETTINGS_MODULE="loopwind_site.settings",
        PYTHONUNBUFFERED="1",
        LOOPWIND_BENCH_FLOOR="1",  # mounts /_bench/floor, the floor every figure is compared with
    )
    for name in ("AWS_STORAGE_BUCKET_NAME", "DRAMATIQ_REDIS_URL"):  # filesystem storage, one Redis
        env.pop(name, None)
    return env


# --- seed: user, key, templates (in this process, through the services) ----------------------------


def bench_plan() -> str:
    """A plan whose limits the bench cannot reach, so it measures renders and not 429s or quota
    errors. The rate limiter and the quota counter still run on every request, as in production."""
    try:
        from billing.models import Plan
    except ImportError:  # no plans: users carry a plan code only
        return "business"
    unlimited = 1_000_000_000
    Plan.objects.update_or_create(
        code="bench",
        defaults=dict(
            name="Bench (unlimited)",
            image_renders_per_month=unlimited,
            video_renders_per_month=unlimited,
            max_templates=None,
            private_templates=True,
            requests_per_minute=unlimited,
            renders_in_flight=64,  # the bench's c=8 never waits on its own renders in flight
            webhooks=True,
            priority_rendering=True,
            render_time_limit=30,
            max_video_seconds=60,
            sort_order=99,
        ),
    )
    return "bench"


def seed(env: dict, scopes: tuple[str, ...] = ("render:read", "render:write")) -> tuple[str, str, str]:
    """Returns (API key holding ``scopes``, og-card slug, video slug)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User
    from accounts.services import api_key_create
    from loopwind import engine
    from templates_registry.services import template_publish

    call_command("migrate", verbosity=0, interactive=False)
    # Stored files of earlier runs lived in their own temporary MEDIA_ROOT: start the user over.
    User.objects.filter(username=BENCH_USER).delete()
    user = User.objects.create_user(
        f"{BENCH_USER}@bench.loopwind.dev", BENCH_USER, None, name="Render bench", plan=bench_plan()
    )
    _, raw_key = api_key_create(user=user, name="render bench", scopes=list(scopes))

    examples = ROOT / "loopwind" / "templates"
    og = engine.load_bundle(examples / "og-card")
    template_publish(user=user, files=dict(og.files))
    promo = engine.load_bundle(examples / "promo-video")
    manifest = json.loads(promo.files["loopwind.json"])
    manifest["name"] = "promo-video-100"
    manifest["video"]["duration"] = VIDEO_FRAMES / manifest["video"]["fps"]
    files = dict(promo.files)
    files["loopwind.json"] = json.dumps(manifest, indent=2).encode()
    video = engine.load_bundle(files)
    assert video.total_frames == VIDEO_FRAMES, video.total_frames
    assert (video.width, video.height) == (1280, 720)
    template_publish(user=user, files=files)
    connections.close_all()
    return raw_key, f"{BENCH_USER}/{og.name}", f"{BENCH_USER}/{manifest['name']}"


# --- HTTP helpers ---------------------------------------------------------------------------------


class Client:
    """One persistent connection (reopened when the server closes it, as sync workers do)."""

    def __init__(self, port: int, key: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, auth: bool = True):
        headers = self.headers if auth else {}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            if response.will_close:
                self.conn.close()
                self.conn = None
            return response.status, response.headers, content
        raise AssertionError("unreachable")


def render_body(template: str, title: str) -> bytes:
    return json.dumps({"template": template, "props": {"title": title}, "format": "png"}).encode()


@dataclass
class Load:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0
    errors: int = 0
    error_sample: str = ""
    p50: float = 0.0
    p95: float = 0.0
    server_ms: float | None = None  # median X-Render-Duration: render_image's share, whole ms (wrk only)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def finish(self) -> Load:
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            self.p50 = statistics.median(ordered)
            self.p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return self


@dataclass
class Scenario:
    """What to send: POST /api/render (unique or repeated body) or GET a signed URL."""

    name: str
    method: str
    path: str
    expect_cache: str  # MISS or HIT, or "" (the floor: no render)
    template: str = ""
    auth: bool = True
    unique_prefix: str | None = None  # unique props per request: the title is prefix + counter
    body: bytes | None = None


def python_load(port: int, key: str, scenario: Scenario, *, concurrency: int, seconds: float) -> Load:
    result = Load(scenario.name)
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()

    def run(worker: int) -> None:
        client = Client(port, key)
        latencies, errors, sample, n = [], 0, "", 0
        while time.perf_counter() < stop_at:
            body = scenario.body
            if scenario.unique_prefix is not None:
                body = render_body(scenario.template, f"{scenario.unique_prefix} {worker}-{n}")
            n += 1
            t0 = time.perf_counter()
            try:
                status, headers, _ = client.request(scenario.method, scenario.path, body, auth=scenario.auth)
            except OSError as exc:
                errors += 1
                sample = sample or repr(exc)
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != 200 or (
                scenario.expect_cache and headers.get("X-Render-Cache") != scenario.expect_cache
            ):
                errors += 1
                sample = sample or f"status {status}, X-Render-Cache {headers.get('X-Render-Cache')}"
        with lock:
            result.latencies_ms.extend(latencies)
            result.errors += errors
            result.error_sample = result.error_sample or sample

    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.requests = len(result.latencies_ms)
    return result.finish()


WRK_LUA = r"""
counter = 0
unexpected = 0  -- globals: done() reads them per thread with thread:get
sample = ""
local threads = {}
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
  table.insert(threads, thread)
end

wrk.method = os.getenv("BENCH_METHOD")
if os.getenv("BENCH_AUTH") == "1" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
  wrk.headers["Content-Type"] = "application/json"
end
local body = os.getenv("BENCH_BODY")
if body ~= "" then wrk.body = body end
local prefix = os.getenv("BENCH_PREFIX")
local template = os.getenv("BENCH_TEMPLATE")
local expect = os.getenv("BENCH_EXPECT")

if prefix ~= "" then
  request = function()
    counter = counter + 1
    local b = string.format('{"template": "%s", "props": {"title": "%s %d-%d"}, "format": "png"}',
                            template, prefix, tid, counter)
    return wrk.format(nil, nil, nil, b)
  end
end

durations = {}  -- X-Render-Duration of each response (ms), for the server's share of the latency

response = function(status, headers, body)
  local d = headers["X-Render-Duration"]
  if d ~= nil then table.insert(durations, tonumber(string.match(d, "%d+"))) end
  if status ~= 200 or (expect ~= "" and headers["X-Render-Cache"] ~= expect) then
    unexpected = unexpected + 1
    if sample == "" then
      sample = string.format("status %d, X-Render-Cache %s: %s", status,
                             tostring(headers["X-Render-Cache"]), status == 200 and "" or string.sub(body or "", 1, 200))
    end
  end
end

done = function(summary, latency, requests)
  local bad = 0
  local first = ""
  local all = {}
  for _, t in ipairs(threads) do
    bad = bad + t:get("unexpected")
    if first == "" then first = t:get("sample") end
    for _, d in ipairs(t:get("durations")) do table.insert(all, d) end
  end
  table.sort(all)
  local server = -1
  if #all > 0 then server = all[math.floor((#all + 1) / 2)] end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "unexpected": %d, "p50": %d, "p95": %d, "server_ms": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, bad,
    latency:percentile(50), latency:percentile(95), server))
  io.write("WRKSAMPLE " .. first .. "\n")
end
"""


def wrk_load(port: int, key: str, scenario: Scenario, *, concurrency: int, seconds: float, lua: Path) -> Load:
    env = dict(os.environ)
    env.update(
        BENCH_METHOD=scenario.method,
        BENCH_AUTH="1" if scenario.auth else "0",
        BENCH_KEY=key,
        BENCH_BODY=(scenario.body or b"").decode(),
        BENCH_PREFIX=scenario.unique_prefix or "",
        BENCH_TEMPLATE=scenario.template,
        BENCH_EXPECT=scenario.expect_cache,
    )
    threads = min(2, concurrency)
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(lua),
        f"http://127.0.0.1:{port}{scenario.path}",
    ]
    out = subprocess.run(
        argv, env=env, capture_output=True, text=True, errors="replace", timeout=seconds + 60
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    data = json.loads(line[len("WRKJSON ") :])
    result = Load(scenario.name)
    result.seconds = data["duration_us"] / 1e6
    result.requests = data["requests"]
    result.errors = data["errors"] + data["unexpected"]
    if result.errors:
        sample = next((x[10:] for x in out.stdout.splitlines() if x.startswith("WRKSAMPLE ")), "")
        result.error_sample = f"{data['errors']} socket errors, {data['unexpected']} non-200 or wrong cache header; first: {sample}"
    result.p50 = data["p50"] / 1000
    result.p95 = data["p95"] / 1000
    result.server_ms = data["server_ms"] if data["server_ms"] >= 0 else None
    return result


# --- the scenarios ----------------------------------------------------------------------------------


def warm_up(port: int, key: str, template: str, signed_path: str, hit_body: bytes) -> None:
    """Until both workers have a warm render child: the first render of a process starts its child
    (a spawned interpreter importing the engine) and loads the bundle. Requests go out 4 at a time;
    warm means 24 renders in a row each under 150 ms, or 40 s have passed."""
    clients = [Client(port, key) for _ in range(4)]
    deadline = time.monotonic() + 40
    fast_in_a_row, n = 0, 0
    lock = threading.Lock()

    def one(client: Client, i: int) -> float:
        t0 = time.perf_counter()
        status, _, content = client.request("POST", "/api/render", render_body(template, f"warm-up {i}"))
        if status != 200:
            raise RuntimeError(f"warm-up render failed: {status} {content[:300]!r}")
        return (time.perf_counter() - t0) * 1000

    while fast_in_a_row < 24 and time.monotonic() < deadline:
        times: list[float] = []

        def run(client: Client, i: int, times: list[float]) -> None:
            ms = one(client, i)
            with lock:
                times.append(ms)

        threads = [threading.Thread(target=run, args=(c, n + j, times)) for j, c in enumerate(clients)]
        n += len(clients)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fast_in_a_row = fast_in_a_row + len(times) if max(times) < 150 else 0
    for client in clients:  # the hit paths: bytecode, connections, the cache entry itself
        for _ in range(10):
            client.request("POST", "/api/render", hit_body)
            client.request("GET", signed_path, auth=False)


def video_run(client: Client, template: str, title: str) -> tuple[float, dict]:
    body = json.dumps({"template": template, "props": {"headline": title}, "format": "mp4"}).encode()
    t0 = time.perf_counter()
    status, _, content = client.request("POST", "/api/render/async", body)
    if status != 202:
        raise RuntimeError(f"POST /api/render/async: {status} {content[:300]!r}")
    status_url = json.loads(content)["statusUrl"]
    deadline = t0 + 60
    while time.perf_counter() < deadline:
        status, _, content = client.request("GET", status_url)
        job = json.loads(content)
        if job.get("status") in ("completed", "failed", "cancelled"):
            elapsed = time.perf_counter() - t0
            if job["status"] != "completed":
                raise RuntimeError(f"video job {job['status']}: {job.get('error')}")
            return elapsed, job
        time.sleep(0.05)
    raise RuntimeError("video job did not finish in 60 s")


ENGINE_ONLY = """
import json, sys, time
from loopwind.engine import load_bundle, render
bundle = load_bundle(sys.argv[1])
prefix, runs = sys.argv[2], int(sys.argv[3])
for n in range(5):
    render(bundle, {"title": f"{prefix} warm-up {n}"})
times = []
for n in range(runs):
    started = time.perf_counter()
    render(bundle, {"title": f"{prefix} 1-{n}"})
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""


def engine_times_ms(prefix: str, runs: int = 20) -> list[float]:
    """The OG card rendered by the engine in a process of its own that imports only the engine (as a
    render child does: this script's process holds Django and the seed, whose garbage collections would
    slow the engine down), unique props each time with the titles the uncached HTTP phase sends
    (``prefix 1-n``): the floor of an uncached render. Run right before and right after each uncached
    phase, so both see the machine alike, and in a session of its own as the servers are (Linux's
    autogroup scheduling shares a busy CPU between sessions first: in this script's session the engine
    would compete with whatever else runs in it, and look slower than a render child)."""
    out = subprocess.run(
        [str(PYTHON), "-c", ENGINE_ONLY, str(ROOT / "loopwind" / "templates" / "og-card"), prefix, str(runs)],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120, start_new_session=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def merged(rounds: list[Load]) -> Load:
    """One scenario's rounds as one figure: medians of the rounds' medians and p95s, every request."""
    load = Load(rounds[0].name)
    load.p50 = statistics.median(r.p50 for r in rounds)
    load.p95 = statistics.median(r.p95 for r in rounds)
    load.seconds = sum(r.seconds for r in rounds)
    load.requests = sum(r.requests for r in rounds)
    load.errors = sum(r.errors for r in rounds)
    load.error_sample = next((r.error_sample for r in rounds if r.error_sample), "")
    server = [r.server_ms for r in rounds if r.server_ms is not None]
    load.server_ms = statistics.median(server) if server else None
    return load


RATIO_TARGETS = [
    # (label, measured, baseline, kind, target): latency ratios must be <= target, throughput >= target
    ("/i/ hit median vs floor", "url_hit_c1", "floor_c1", "p50", 1.5),
    ("/i/ hit c=8 throughput vs floor", "url_hit_c8", "floor_c8", "rps", 0.5),
    ("API hit median vs floor", "api_hit_c1", "floor_c1", "p50", 2.0),
    ("API hit c=8 throughput vs floor", "api_hit_c8", "floor_c8", "rps", 0.4),
]


def print_ratios(rounds: dict[str, list[Load]], engine_ms: list[float]) -> None:
    """Each ratio per round (the figure and its baseline measured back to back) and its median over the
    rounds: drift between rounds moves both sides of a ratio alike."""
    floor1, floor8 = merged(rounds["floor_c1"]), merged(rounds["floor_c8"])
    print(
        f"\nfloor (/_bench/floor, 13 KB, full middleware): c=1 median {floor1.p50:.2f} ms "
        f"(again at the end: {rounds['floor_c1_again'][0].p50:.2f} ms), c=8 {floor8.rps:.0f}/s; "
        f"engine in-process {statistics.median(engine_ms):.1f} ms (per round "
        + ", ".join(f"{ms:.1f}" for ms in engine_ms)
        + ")"
    )
    rows = []

    def row(label: str, pairs: list[tuple[float, float]], unit: str, target: float, at_most: bool) -> None:
        ratios = [measured / baseline for measured, baseline in pairs]
        ratio = statistics.median(ratios)
        held = ratio <= target if at_most else ratio >= target
        digits = 0 if unit == "/s" else 2
        shown = " | ".join(f"{m:.{digits}f} / {b:.{digits}f}" for m, b in pairs)
        rows.append((label, f"{shown} {unit}", ", ".join(f"{r:.2f}" for r in ratios), f"{ratio:.2f}x",
                     f"{'<=' if at_most else '>='} {target}x", "ok" if held else "MISSED"))  # fmt: skip

    for label, measured, baseline, kind, target in RATIO_TARGETS:
        if kind == "p50":
            pairs = [(m.p50, b.p50) for m, b in zip(rounds[measured], rounds[baseline], strict=True)]
            row(label, pairs, "ms", target, at_most=True)
        else:
            pairs = [(m.rps, b.rps) for m, b in zip(rounds[measured], rounds[baseline], strict=True)]
            row(label, pairs, "/s", target, at_most=False)
    pairs = [(m.p50, e) for m, e in zip(rounds["uncached_c1"], engine_ms, strict=True)]
    row("uncached OG card over HTTP vs engine in-process", pairs, "ms", 1.3, at_most=True)
    uncached = merged(rounds["uncached_c1"])
    if uncached.server_ms is not None:
        print(f"uncached c=1: median {uncached.p50:.1f} ms at the client, of which render_image (X-Render-Duration, "
              f"whole ms) {uncached.server_ms:.0f} ms")  # fmt: skip
    header = ("ratio (one run)", "measured / baseline, per round", "per round", "median", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for i, line in enumerate([header, *rows]):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(line)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def print_analytics_cost(cost: dict[str, list]) -> None:
    """Issue 16's target: a cache hit with analytics on is <= 1.05x the same hit with analytics off."""
    print("\nAPI analytics on vs off (two servers side by side, phases interleaved; target <= 1.05x)")
    for name in ("api hit", "/i/ hit"):
        off = statistics.median(load.p50 for load in cost[f"{name} c=1 off"])
        on = statistics.median(load.p50 for load in cost[f"{name} c=1 on"])
        print(f"  {name}, c=1 median: {on:.3f} ms on / {off:.3f} ms off = {on / off:.3f}x  "
              + ("ok" if on / off <= 1.05 else "MISSED"))  # fmt: skip
        off_rps, on_rps = cost[f"{name} c=8 off"][0].rps, cost[f"{name} c=8 on"][0].rps
        print(f"  {name}, c=8 throughput: {on_rps:.0f}/s on, {off_rps:.0f}/s off: cost {off_rps / on_rps:.3f}x  "
              + ("ok" if off_rps / on_rps <= 1.05 else "MISSED"))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--render-processes", type=int, default=1, help="render children per web process")
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per load phase and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every phase, interleaved")
    parser.add_argument("--video-runs", type=int, default=3)
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--storage",
        choices=["fs", "s3"],
        default="fs",
        help="where outputs are stored: the filesystem, or S3 (a moto server started here)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary folder (server logs)")
    args = parser.parse_args()
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and shutil.which("wrk") is not None)
    if args.loader == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed")

    # Ctrl-C and SIGTERM both unwind through `finally`, which stops every process started here.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    tmp = Path(tempfile.mkdtemp(prefix="loopwind-bench-render-"))
    procs = Processes(tmp)
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    try:
        database_url, redis_url = bench_stores(BENCH_DB, BENCH_REDIS)
        port = free_port()
        env = server_env(
            database_url=database_url,
            redis_url=redis_url,
            tmp=tmp,
            port=port,
            render_processes=args.render_processes,
        )
        if args.storage == "s3":  # as in production: outputs and template files in S3 (a moto server)
            env.update(s3_env(start_moto_s3(procs), "bench-render"))
        key, og_slug, video_slug = seed(env)
        print(f"seeded {og_slug} and {video_slug} in {time.perf_counter() - t_start:.1f} s")

        gunicorn = [
            str(GUNICORN),
            "loopwind_site.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--worker-class",
            args.worker_class,
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        if args.worker_class == "gthread":
            gunicorn += ["--threads", str(args.threads)]
        web = procs.start("gunicorn", gunicorn, env)
        procs.start(
            "worker", [str(PYTHON), "manage.py", "rundramatiq", "--processes", "1", "--threads", "1"], env
        )
        wait_http(port, web)
        # The same server with the API analytics off, side by side (issue 16: a hit with analytics on
        # costs <= 1.05x the same hit without).
        port_off = free_port()
        web_off = procs.start(
            "gunicorn-analytics-off",
            [*gunicorn[:5], f"127.0.0.1:{port_off}", *gunicorn[6:]],
            {**env, "ANALYTICS_ENABLED": "0"},
        )
        wait_http(port_off, web_off)

        client = Client(port, key)
        hit_body = render_body(og_slug, "Render images from templates (cached)")
        status, _, content = client.request(
            "POST",
            "/api/render/sign",
            json.dumps({"template": og_slug, "props": {"title": "Signed"}}).encode(),
        )
        if status != 200:
            raise RuntimeError(f"POST /api/render/sign: {status} {content[:300]!r}")
        signed_url = json.loads(content)["url"]
        signed_path = signed_url[len(env["SITE_URL"]) :]
        for path, method, body in [("/api/render", "POST", hit_body), (signed_path, "GET", None)]:
            status, headers, content = client.request(method, path, body, auth=method == "POST")
            if status != 200:
                raise RuntimeError(f"{method} {path}: {status} {content[:300]!r}")
        warm_up(port, key, og_slug, signed_path, hit_body)
        print(
            f"gunicorn -w 2 --worker-class {args.worker_class}"
            + (f" --threads {args.threads}" if args.worker_class == "gthread" else "")
            + f", RENDER_PROCESSES={args.render_processes}, storage {args.storage}; load generator: "
            + ("wrk" if use_wrk else "Python threads (http.client)")
            + f"; warm after {time.perf_counter() - t_start:.1f} s"
        )

        lua = tmp / "bench.lua"
        lua.write_text(WRK_LUA)
        run_id = f"{int(time.time())}"

        def measure(scenario: Scenario, concurrency: int, on_port: int = port) -> Load:
            if use_wrk:
                return wrk_load(
                    on_port, key, scenario, concurrency=concurrency, seconds=args.seconds, lua=lua
                )
            return python_load(on_port, key, scenario, concurrency=concurrency, seconds=args.seconds)

        def uncached(tag: str) -> Scenario:
            return Scenario(
                "uncached",
                "POST",
                "/api/render",
                "MISS",
                template=og_slug,
                unique_prefix=f"Bench {run_id} {tag}",
            )

        api_hit = Scenario("hit api", "POST", "/api/render", "HIT", body=hit_body)
        url_hit = Scenario("hit /i/", "GET", signed_path, "HIT", auth=False)
        floor = Scenario("floor", "GET", "/_bench/floor", "", auth=False)
        # Every phase in rounds, each figure right after its baseline, so the machine's drift (it is
        # shared) moves both sides of a ratio alike; the engine runs right before and after each
        # uncached phase, with the same titles.
        rounds: dict[str, list[Load]] = {}
        engine_ms: list[float] = []
        for r in range(args.rounds):
            for name, scenario, concurrency in (
                ("floor_c1", floor, 1), ("url_hit_c1", url_hit, 1), ("api_hit_c1", api_hit, 1),
                ("uncached_c1", uncached(f"c1r{r}"), 1),
                ("floor_c8", floor, 8), ("url_hit_c8", url_hit, 8), ("api_hit_c8", api_hit, 8),
                ("uncached_c8", uncached(f"c8r{r}"), 8),
            ):  # fmt: skip
                if name == "uncached_c1":
                    before = engine_times_ms(scenario.unique_prefix)
                rounds.setdefault(name, []).append(measure(scenario, concurrency))
                if name == "uncached_c1":
                    engine_ms.append(statistics.median(before + engine_times_ms(scenario.unique_prefix)))
        results = {name: merged(loads) for name, loads in rounds.items()}

        # Analytics on (the server above) against off (port_off), interleaved so drift hits both alike.
        warm_up(port_off, key, og_slug, signed_path, hit_body)
        analytics_cost: dict[str, list[Load]] = {}
        for name, scenario in (("api hit", api_hit), ("/i/ hit", url_hit)):
            for concurrency in (1, 1, 8):
                for state, on_port in (("off", port_off), ("on", port)):
                    load = measure(scenario, concurrency, on_port)
                    analytics_cost.setdefault(f"{name} c={concurrency} {state}", []).append(load)

        # Async video: one warm-up job (starts the worker's video child), then timed runs, each with
        # the worker idle (the previous job completed) and nothing else loading the server.
        rounds["floor_c1_again"] = [measure(floor, 1)]  # the floor again: how much the machine drifted
        video_client = Client(port, key)
        warm_s, job = video_run(video_client, video_slug, "Warm-up") if args.video_runs else (0.0, None)
        video_times, frames = [], None
        for i in range(args.video_runs):
            elapsed, job = video_run(video_client, video_slug, f"Launch day {run_id} #{i}")
            video_times.append(elapsed)
            frames = job["totalFrames"]
            if job["totalFrames"] != VIDEO_FRAMES:
                raise RuntimeError(f"the job rendered {job['totalFrames']} frames, not {VIDEO_FRAMES}")
        if job is not None:
            # the site's signed /files/ URL, or with --storage s3 a presigned URL on the S3 server
            with urllib.request.urlopen(job["outputUrl"], timeout=30) as answer:  # noqa: S310 (our own URL)
                status, content = answer.status, answer.read()
            if status != 200 or content[4:8] != b"ftyp":
                raise RuntimeError(f"the MP4 output could not be downloaded: {status}")
    finally:
        procs.stop_all()
        if not args.keep_logs:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp}")

    # --- report ---------------------------------------------------------------------------------------
    def ratio_latency(measured: float, target: float) -> str:
        return f"{target / measured:.2f}" if measured else "-"

    def ratio_rate(measured: float, target: float) -> str:
        return f"{measured / target:.2f}"

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"

    rows = []
    for label, c1, c8, t_med, t_rps in [
        ("uncached OG card 1200x630 PNG, POST /api/render", "uncached_c1", "uncached_c8", "uncached_c1_median_ms",
         "uncached_c8_rps"),
        ("cache hit, POST /api/render (same body)", "api_hit_c1", "api_hit_c8", "hit_c1_median_ms", "hit_c8_rps"),
        ("cache hit, GET signed /i/ URL", "url_hit_c1", "url_hit_c8", "hit_c1_median_ms", "hit_c8_rps"),
    ]:  # fmt: skip
        a, b = results[c1], results[c8]
        rows.append(
            (
                f"{label}, c=1",
                f"{a.p50:.1f} ms",
                f"{a.p95:.1f} ms",
                f"{a.rps:.0f}/s",
                f"median <= {TARGETS[t_med]:g} ms",
                ratio_latency(a.p50, TARGETS[t_med]),
                ok(a.p50 <= TARGETS[t_med] and not a.errors),
            )
        )
        rows.append(
            (
                f"{label}, c=8",
                f"{b.p50:.1f} ms",
                f"{b.p95:.1f} ms",
                f"{b.rps:.0f}/s, {b.errors} errors",
                f">= {TARGETS[t_rps]:g}/s, no errors",
                ratio_rate(b.rps, TARGETS[t_rps]),
                ok(b.rps >= TARGETS[t_rps] and not b.errors),
            )
        )
    video_median = statistics.median(video_times) if video_times else 0.0
    rows.append(
        (
            f"async {frames}-frame 1280x720 MP4, POST to completed (median of {len(video_times)})",
            f"{video_median:.2f} s",
            f"max {max(video_times, default=0):.2f} s",
            f"runs {', '.join(f'{t:.2f}' for t in video_times)} s",
            f"<= {TARGETS['video_s']:g} s",
            ratio_latency(video_median, TARGETS["video_s"]),
            ok(video_median <= TARGETS["video_s"]),
        )
    )
    if not video_times:
        rows.pop()
    header = ("figure", "median", "p95", "throughput", "target", "ratio", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for i, row in enumerate([header, *rows]):
        print("  ".join(str(cell).ljust(widths[j]) for j, cell in enumerate(row)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for name, load in results.items():
        if load.errors:
            print(f"errors in {name}: {load.errors} ({load.error_sample})")
    load_after = os.getloadavg()
    print_ratios(rounds, engine_ms)
    print_analytics_cost(analytics_cost)
    print(
        "\nratio: target/measured for latencies, measured/target for throughput (>= 1.00 meets the target).\n"
        + (
            f"{len(video_times) + 1} video jobs incl. a warm-up of {warm_s:.2f} s; "
            if video_times
            else "no video jobs; "
        )
        + f"{args.rounds} rounds of {args.seconds:g} s per load phase; "
        f"requests: " + ", ".join(f"{k} {v.requests}" for k, v in results.items()) + ".\n"
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; {os.cpu_count()} CPUs; "
        f"whole bench {time.perf_counter() - t_start:.0f} s. The machine is shared: compare medians."
    )
    return 0


if __name__ == "__main__":
    run_bench(main)
