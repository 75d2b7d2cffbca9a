"""Load benchmark: mixed traffic against gunicorn as deployed (2 sync workers), the highest rate that
keeps p99 <= 250 ms and errors < 0.1 %, and the server's memory over a long run.

    .venv/bin/python bench/load.py [--levels 1,2,4,6,8,12,16] [--sweep-seconds 30] [--seconds 600]
                                   [--concurrency N] [--output bench/load.md] [--json] [--keep-logs]

Needs wrk (``apt-get install -y wrk``). The traffic, one wrk Lua script, each request drawn at random:
- 70 % GET one of 50 signed /i/ URLs, each rendered once before the load: cache hits (X-Render-Cache HIT);
- 20 % POST /api/render with props unique per wrk thread and request: uncached renders (MISS);
- 10 % API reads, in turn GET /api/templates?q=card, /api/templates/<owner>/og-card, /api/me/usage.
An error is a socket error, any status but 200, or a wrong X-Render-Cache. wrk does not pair a response
with its request, so responses are told apart by their headers: an /i/ image has "Cache-Control: public",
an API render an X-Render-Id, a read neither.

How the rate is chosen: wrk is closed-loop (each connection sends its next request when the previous
one is answered), so the rate is the throughput reached at a concurrency. Phase 1 runs --sweep-seconds
at each of --levels connections and keeps the level with the highest requests/s whose p99 <= 250 ms
and error rate < 0.1 %. Phase 2 runs --seconds (10 minutes) at that level (--concurrency N skips the
sweep) and samples every 10 s, from /proc, the RSS and PSS of every process of gunicorn's process group
(master, workers, their render children), plus the load average. Memory verdict: mean of phase 2's
first minute against its last (the warm-up and the sweep come before phase 2).

Setup as in bench/render_api.py (whose seed, server environment and warm-up it reuses): PostgreSQL
database ``loopwind_bench_load`` (BENCH_DATABASE_URL overrides), Redis db 10 (BENCH_REDIS_URL; flushed
at start), MEDIA_ROOT in a temporary folder, gunicorn started as the Procfile does (-w 2, --timeout 60)
with --log-level warning. No Dramatiq worker: nothing in this mix enqueues. Everything started here is
stopped at the end, on errors and on Ctrl-C (the server log is then kept). The results go to --output
(bench/load.md) and stdout.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Processes, bench_stores, free_port, run_bench, wait_http  # noqa: E402
from bench.render_api import GUNICORN, Client, render_body, seed, server_env, warm_up  # noqa: E402

BENCH_DB = "loopwind_bench_load"
BENCH_REDIS = "redis://127.0.0.1:6379/10"
P99_LIMIT_MS = 250.0
ERROR_LIMIT = 0.001  # 0.1 %
SIGNED_URLS = 50
SAMPLE_EVERY_S = 10.0

MIX_LUA = r"""
local signed, reads = {}, {}
for p in string.gmatch(os.getenv("BENCH_SIGNED"), "%S+") do signed[#signed + 1] = p end
for p in string.gmatch(os.getenv("BENCH_READS"), "%S+") do reads[#reads + 1] = p end
local auth = "Bearer " .. os.getenv("BENCH_KEY")
local template, prefix = os.getenv("BENCH_TEMPLATE"), os.getenv("BENCH_PREFIX")
local post_headers = {Authorization = auth, ["Content-Type"] = "application/json"}
local read_headers = {Authorization = auth}
local url_headers = {}
local share_url = tonumber(os.getenv("BENCH_MIX_URL")) / 100
local share_render = tonumber(os.getenv("BENCH_MIX_RENDER")) / 100

-- globals: done() reads them per thread with thread:get
counter, sent_url, sent_render, sent_read, got_url, got_render, got_read, unexpected = 0, 0, 0, 0, 0, 0, 0, 0
sample = ""
local threads, thread_no = {}, 0
local counts = {"sent_url", "sent_render", "sent_read", "got_url", "got_render", "got_read", "unexpected"}

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(tid * 7919 + os.time())
end

function request()
  local r = math.random()
  if r < share_url then
    sent_url = sent_url + 1
    return wrk.format("GET", signed[math.random(#signed)], url_headers)
  elseif r < share_url + share_render then
    sent_render, counter = sent_render + 1, counter + 1
    local body = string.format('{"template": "%s", "props": {"title": "%s %d-%d"}, "format": "png"}',
                               template, prefix, tid, counter)
    return wrk.format("POST", "/api/render", post_headers, body)
  end
  sent_read = sent_read + 1
  return wrk.format("GET", reads[sent_read % #reads + 1], read_headers)
end

function response(status, headers, body)
  local kind, want = "read", nil
  if string.find(headers["Cache-Control"] or "", "public", 1, true) then kind, want = "url", "HIT"
  elseif headers["X-Render-Id"] then kind, want = "render", "MISS" end
  if status ~= 200 or headers["X-Render-Cache"] ~= want then
    unexpected = unexpected + 1
    if sample == "" then
      sample = string.format("%s: status %d, X-Render-Cache %s: %s", kind, status,
                             tostring(headers["X-Render-Cache"]), string.sub(body or "", 1, 200))
    end
  elseif kind == "url" then got_url = got_url + 1
  elseif kind == "render" then got_render = got_render + 1
  else got_read = got_read + 1 end
end

function done(summary, latency, requests)
  local total, first = {}, ""
  for _, name in ipairs(counts) do total[name] = 0 end
  for _, t in ipairs(threads) do
    for _, name in ipairs(counts) do total[name] = total[name] + t:get(name) end
    if first == "" then first = t:get("sample") end
  end
  local e = summary.errors
  local parts = {}
  for _, name in ipairs(counts) do parts[#parts + 1] = string.format('"%s": %d', name, total[name]) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "socket_errors": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, %s}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, table.concat(parts, ", ")))
  io.write("WRKSAMPLE " .. first .. "\n")
end
"""


# --- wrk ------------------------------------------------------------------------------------------------


def wrk_start(
    procs: Processes, name: str, port: int, env: dict, *, concurrency: int, seconds: float, lua: Path
):
    """wrk in the background, as one of ``procs`` (stopped with the server); its output goes to <name>.log."""
    argv = ["wrk", f"-t{min(2, concurrency)}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
    argv += ["--timeout", "30s", "-s", str(lua), f"http://127.0.0.1:{port}/"]
    return procs.start(name, argv, env)


def wrk_result(proc: subprocess.Popen, concurrency: int) -> dict:
    """wrk's figures plus rps, error count and rate, latencies in ms."""
    proc.wait()
    stdout = Path(proc.log.name).read_text(errors="replace")  # type: ignore[attr-defined]
    line = next((x for x in stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {stdout}")
    run = json.loads(line[len("WRKJSON ") :])
    run["concurrency"] = concurrency
    run["seconds"] = run["duration_us"] / 1e6
    run["rps"] = run["requests"] / run["seconds"]
    run["errors"] = run["socket_errors"] + run["unexpected"]
    run["error_rate"] = run["errors"] / max(1, run["requests"])
    for name in ("p50", "p95", "p99", "max"):
        run[name] = run[name] / 1000
    run["sample"] = next((x[10:] for x in stdout.splitlines() if x.startswith("WRKSAMPLE ")), "")
    run["load1"] = os.getloadavg()[0]  # at the end of the run
    run["ok"] = run["p99"] <= P99_LIMIT_MS and run["error_rate"] < ERROR_LIMIT
    return run


def run_row(run: dict) -> str:
    verdict = "ok" if run["ok"] else "over"
    return (
        f"| {run['concurrency']} | {run['rps']:.1f} | {run['p50']:.1f} | {run['p95']:.1f} | {run['p99']:.1f} "
        f"| {run['max']:.0f} | {run['requests']} | {run['errors']} ({100 * run['error_rate']:.2f} %) | {verdict} | {run['load1']:.2f} |"
    )


RUN_HEADER = [
    "| connections | req/s | p50 ms | p95 ms | p99 ms | max ms | requests | errors | p99 <= 250, err < 0.1 % | load1 at end |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
]


# --- memory -----------------------------------------------------------------------------------------------


def group_memory(pgid: int) -> list[dict]:
    """Every live process of the process group: pid, role (master, worker, render, other), RSS and PSS in kB."""
    procs = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:
                continue
            cmdline = (
                Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
            mem = {}
            for line in Path(f"/proc/{entry.name}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss"):
                    mem[key] = int(value.split()[0])
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue  # gone meanwhile
        procs.append(
            dict(
                pid=int(entry.name),
                ppid=int(fields[1]),
                cmd=cmdline,
                rss=mem.get("Rss", 0),
                pss=mem.get("Pss", 0),
            )
        )
    workers = {p["pid"] for p in procs if p["ppid"] == pgid}
    for p in procs:
        if p["pid"] == pgid:
            p["role"] = "master"
        elif p["pid"] in workers:
            p["role"] = "worker"
        elif p["ppid"] in workers and "resource_tracker" not in p["cmd"]:
            p["role"] = "render"
        else:
            p["role"] = "other"
    return procs


def memory_sample(pgid: int, t: float) -> dict:
    procs = group_memory(pgid)
    sample = {"t": t, "load": os.getloadavg(), "procs": len(procs)}
    for role in ("master", "worker", "render", "other"):
        sample[role] = sum(p["rss"] for p in procs if p["role"] == role) / 1024
    sample["rss"] = sum(p["rss"] for p in procs) / 1024
    sample["pss"] = sum(p["pss"] for p in procs) / 1024
    sample["pids"] = sorted(p["pid"] for p in procs if p["role"] in ("worker", "render"))
    return sample


def memory_verdict(samples: list[dict], seconds: float) -> dict:
    window = min(60.0, seconds / 4)
    first = [s for s in samples if s["t"] <= window]
    last = [s for s in samples if s["t"] >= samples[-1]["t"] - window]
    verdict = {"window_s": window}
    for key in ("rss", "pss"):
        a, b = statistics.fmean(s[key] for s in first), statistics.fmean(s[key] for s in last)
        verdict[key] = {"first": a, "last": b, "growth_mb": b - a, "growth_pct": 100 * (b - a) / a}
    if len(samples) >= 3:
        fit = statistics.linear_regression([s["t"] / 60 for s in samples], [s["rss"] for s in samples])
        verdict["rss_slope_mb_per_min"] = fit.slope
    verdict["grows"] = verdict["rss"]["growth_mb"] > 20 or verdict["rss"]["growth_pct"] > 5
    return verdict


# --- the run ---------------------------------------------------------------------------------------------


def prepare(port: int, key: str, og_slug: str, env: dict) -> tuple[list[str], list[str]]:
    """Signs SIGNED_URLS image URLs, warms the workers up, renders every URL once and checks it is then
    a cache hit. Returns (signed paths, read paths)."""
    client = Client(port, key)
    signed = []
    for i in range(SIGNED_URLS):
        body = json.dumps({"template": og_slug, "props": {"title": f"Signed card {i}"}}).encode()
        status, _, content = client.request("POST", "/api/render/sign", body)
        if status != 200:
            raise RuntimeError(f"POST /api/render/sign: {status} {content[:300]!r}")
        signed.append(json.loads(content)["url"][len(env["SITE_URL"]) :])
    hit_body = render_body(og_slug, "Load bench (cached)")
    warm_up(port, key, og_slug, signed[0], hit_body)
    reads = ["/api/templates?q=card", f"/api/templates/{og_slug}", "/api/me/usage"]
    for i, path in enumerate(signed + signed):  # the first pass renders, the second must hit
        status, headers, content = client.request("GET", path, auth=False)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {content[:300]!r}")
        if i >= len(signed) and (
            headers.get("X-Render-Cache") != "HIT" or "public" not in headers["Cache-Control"]
        ):
            raise RuntimeError(f"a signed URL is not a cache hit after its render: {dict(headers)}")
    for path in reads:
        status, headers, content = client.request("GET", path)
        if status != 200 or "X-Render-Id" in headers or "public" in headers.get("Cache-Control", ""):
            raise RuntimeError(f"GET {path}: {status} {dict(headers)} {content[:300]!r}")
    return signed, reads


def server_log_findings(log: Path, limit: int = 12) -> tuple[int, list[str]]:
    """Lines of gunicorn's log (warnings, errors, tracebacks, worker timeouts: its level and the app's)."""
    if not log.exists():
        return 0, []
    lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
    return len(lines), lines[:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,2,4,6,8,12,16", help="connections tried by the sweep")
    parser.add_argument("--sweep-seconds", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the long run")
    parser.add_argument("--concurrency", type=int, help="skip the sweep, run the long run at N connections")
    parser.add_argument("--mix", default="70,20,10", help="percent of /i/ hits, uncached renders, API reads")
    parser.add_argument(
        "--output", default=str(ROOT / "bench" / "load.md"), help="markdown report ('' for none)"
    )
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON line")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary folder (server logs)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    mix = [int(x) for x in args.mix.split(",")]
    if len(mix) != 3 or sum(mix) != 100 or min(mix) < 0:
        parser.error("--mix takes three percentages that add up to 100")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk")

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    tmp = Path(tempfile.mkdtemp(prefix="loopwind-bench-load-"))
    procs = Processes(tmp)
    started_at = datetime.datetime.now().astimezone()
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    sweep: list[dict] = []
    try:
        database_url, redis_url = bench_stores(BENCH_DB, BENCH_REDIS)
        port = free_port()
        env = server_env(
            database_url=database_url, redis_url=redis_url, tmp=tmp, port=port, render_processes=1
        )
        key, og_slug, _ = seed(env, scopes=("render:read", "render:write", "templates:read"))
        # As the Procfile runs it; --log-level warning leaves worker timeouts, errors and warnings in the log.
        gunicorn = [
            str(GUNICORN),
            *f"loopwind_site.wsgi -w 2 -b 127.0.0.1:{port} --timeout 60 --log-level warning".split(),
        ]
        web = procs.start("gunicorn", gunicorn, env)
        wait_http(port, web)
        signed, reads = prepare(port, key, og_slug, env)
        print(f"seeded, {len(signed)} signed URLs cached, warm after {time.perf_counter() - t_start:.0f} s")

        lua = tmp / "mix.lua"
        lua.write_text(MIX_LUA)
        wrk_env = dict(os.environ, BENCH_SIGNED=" ".join(signed), BENCH_READS=" ".join(reads), BENCH_KEY=key)
        wrk_env.update(BENCH_TEMPLATE=og_slug, BENCH_MIX_URL=str(mix[0]), BENCH_MIX_RENDER=str(mix[1]))
        run_id = int(time.time())

        def start(concurrency: int, seconds: float, tag: str) -> subprocess.Popen:
            env_run = dict(wrk_env, BENCH_PREFIX=f"Load {run_id} {tag}")
            return wrk_start(
                procs, f"wrk-{tag}", port, env_run, concurrency=concurrency, seconds=seconds, lua=lua
            )

        concurrency = args.concurrency
        if concurrency is None:
            print(f"\nsweep: {args.sweep_seconds:g} s per level\n" + "\n".join(RUN_HEADER))
            for level in levels:
                sweep.append(wrk_result(start(level, args.sweep_seconds, f"c{level}"), level))
                print(run_row(sweep[-1]), flush=True)
                if web.poll() is not None:
                    raise RuntimeError(f"gunicorn exited with {web.returncode}")
            passing = [r for r in sweep if r["ok"]]
            chosen = max(passing or sweep[:1], key=lambda r: r["rps"])
            concurrency = chosen["concurrency"]

        print(
            f"\nlong run: {args.seconds:g} s at {concurrency} connections, memory every {SAMPLE_EVERY_S:g} s"
        )
        print("   t s  load1  procs  master  workers  render  other  RSS MB  PSS MB")
        samples: list[dict] = []
        wrk = start(concurrency, args.seconds, "long")
        t0 = next_at = time.monotonic()
        while True:
            sample = memory_sample(web.pid, time.monotonic() - t0)
            samples.append(sample)
            print(
                f"{sample['t']:6.0f}  {sample['load'][0]:5.2f}  {sample['procs']:5d}  {sample['master']:6.0f}  "
                f"{sample['worker']:7.0f}  {sample['render']:6.0f}  {sample['other']:5.0f}  {sample['rss']:6.0f}  "
                f"{sample['pss']:6.0f}",
                flush=True,
            )
            if web.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {web.returncode}")
            next_at += SAMPLE_EVERY_S
            try:
                wrk.wait(timeout=max(0.0, next_at - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                continue
        long_run = wrk_result(wrk, concurrency)
    finally:
        procs.stop_all()
        log_lines, log_excerpt = server_log_findings(tmp / "gunicorn.log")
        if args.keep_logs or sys.exc_info()[0] is not None:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    # --- report ---------------------------------------------------------------------------------------------
    load_after = os.getloadavg()
    memory = memory_verdict(samples, args.seconds)
    restarted = len({pid for s in samples for pid in s["pids"]}) - len(samples[0]["pids"])
    loads = [s["load"][0] for s in samples]
    rss, pss = memory["rss"], memory["pss"]
    lines = [
        "# Load benchmark: mixed traffic",
        "",
        f"Latest run {started_at:%Y-%m-%d %H:%M %Z} on {os.uname().nodename} ({os.cpu_count()} CPUs, shared with "
        "other engineers' test runs: the figures are noisy, read them with the load averages below).",
        "",
        "```",
        f".venv/bin/python bench/load.py {' '.join(sys.argv[1:])}".rstrip(),
        "```",
        "",
        "Server: `gunicorn loopwind_site.wsgi -w 2 --timeout 60 --log-level warning` (sync workers, "
        f"RENDER_PROCESSES=1), as in the Procfile; PostgreSQL and Redis on the same machine; wrk (2 threads) on the same 2 cores. Mix: {mix[0]} % GET "
        f"of {len(signed)} signed /i/ URLs (cache hits), {mix[1]} % POST /api/render with unique props (uncached "
        f"renders of the OG card, 1200x630 PNG), {mix[2]} % API reads (template search, template detail, usage).",
        "",
    ]
    if sweep:
        lines += [f"## Sweep ({args.sweep_seconds:g} s per level)", "", *RUN_HEADER, *map(run_row, sweep), ""]
        if not any(r["ok"] for r in sweep):
            lines += [
                "**No level met p99 <= 250 ms and errors < 0.1 %**; the long run used the first level.",
                "",
            ]
        elif max((r for r in sweep if r["ok"]), key=lambda r: r["rps"]) is sweep[-1]:
            lines += [
                "The highest level tried was still within the limits: more --levels may find a higher rate.",
                "",
            ]
    verdict = "within" if long_run["ok"] else "OUTSIDE"
    lines += [
        f"## Long run: {long_run['seconds']:.0f} s at {concurrency} connections",
        "",
        *RUN_HEADER,
        run_row(long_run),
        "",
        f"**{long_run['rps']:.0f} requests/s** sustained, p50 {long_run['p50']:.1f} ms, p95 {long_run['p95']:.1f} ms, "
        f"p99 {long_run['p99']:.1f} ms, {long_run['errors']} errors in {long_run['requests']} requests "
        f"({100 * long_run['error_rate']:.3f} %): {verdict} the limits (p99 <= 250 ms, errors < 0.1 %).",
        f"Answered by kind: {long_run['got_url']} /i/ hits, {long_run['got_render']} uncached renders "
        f"({long_run['got_render'] / long_run['seconds']:.1f}/s), {long_run['got_read']} API reads.",
    ]
    if long_run["errors"]:
        lines.append(
            f"First error: {long_run['sample'] or '(socket error)'}; socket errors {long_run['socket_errors']}."
        )
    lines += [
        "",
        f"Load average (1 min) during the long run: min {min(loads):.2f}, mean {statistics.fmean(loads):.2f}, "
        f"max {max(loads):.2f}; before the bench {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}. The load during the run includes the "
        "bench itself (at saturation the two workers or their render children, plus wrk, keep about 2 runnable); "
        "the figure before the bench is the machine's other load.",
        "",
        "## Memory of gunicorn's process group",
        "",
        f"RSS in MB per role (the 2 workers, their render children, `other` = multiprocessing resource trackers) "
        f"and PSS (shared pages divided among the processes) of the whole group, every {SAMPLE_EVERY_S:g} s.",
        "",
        "| t s | load1 | procs | master | workers | render | other | RSS total | PSS total |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in samples:
        lines.append(
            f"| {s['t']:.0f} | {s['load'][0]:.2f} | {s['procs']} | {s['master']:.0f} | {s['worker']:.0f} "
            f"| {s['render']:.0f} | {s['other']:.0f} | {s['rss']:.0f} | {s['pss']:.0f} |"
        )
    slope = memory.get("rss_slope_mb_per_min")
    lines += [
        "",
        f"First {memory['window_s']:.0f} s vs last {memory['window_s']:.0f} s: RSS {rss['first']:.0f} -> "
        f"{rss['last']:.0f} MB ({rss['growth_mb']:+.1f} MB, {rss['growth_pct']:+.1f} %), PSS {pss['first']:.0f} -> "
        f"{pss['last']:.0f} MB ({pss['growth_mb']:+.1f} MB, {pss['growth_pct']:+.1f} %)"
        + (f"; fitted RSS slope {slope:+.2f} MB/min" if slope is not None else "")
        + f". **{'Growth' if memory['grows'] else 'No growth'}** (threshold: > 20 MB or > 5 %). "
        f"Worker or render processes replaced during the run: {restarted}.",
        "",
        f"Server log (level WARNING): {log_lines} lines" + (":" if log_excerpt else "."),
    ]
    if log_excerpt:
        lines += ["", "```", *log_excerpt, "```"]
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    if args.output:
        Path(args.output).write_text(report)
        print(f"written to {args.output}")
    if args.json:
        figures = {"sweep": sweep, "long_run": long_run, "memory": memory, "samples": samples}
        print(json.dumps(figures, default=str))
    return 0 if long_run["ok"] and not memory["grows"] else 1


if __name__ == "__main__":
    run_bench(main)
