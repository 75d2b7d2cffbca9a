"""Scale-out check: two web nodes and two queue workers sharing PostgreSQL, Redis and S3.

    .venv/bin/python bench/scale_out.py [--jobs 20] [--web-workers 2] [--no-compare] [--json] [--write-md]

Starts, all on one machine with free ports: a moto S3 server (one bucket), its own PostgreSQL database
``loopwind_bench_scale`` (created when missing, migrated; on the server of DATABASE_URL, or the whole
BENCH_DATABASE_URL), Redis db 9 (``--redis-url``; flushed at start: never another db, whatever REDIS_URL
says), web A and web B (``gunicorn loopwind_site.wsgi -w N`` each) and worker 1 and worker 2
(``manage.py rundramatiq --processes 1 --threads 1`` each), every one with the same environment (database,
Redis, bucket, SECRET_KEY, RATE_LIMITS_ENABLED=1; the workers log at INFO, which names each job they
complete). Then it checks:

1. rate limits are shared: 2 x limit concurrent GET /api/me with one free-plan key (10 a minute), half to
   A and half to B: exactly ``limit`` answer 200 and the rest 429;
2. jobs spread over both workers: N async PNG jobs (half posted to A, half to B) all complete, and both
   workers' logs name some of them (the split and the wall time are printed);
3. an output made on one node is served by the other: a job posted to A is polled through B and its
   output URL (presigned S3) gives a PNG; a sync render on A (X-Render-Cache MISS) is a HIT on B with the
   same bytes, and the other way round; a signed /i/ URL rendered through A is a HIT through B;
4. (figure only, ``--no-compare`` skips it) N warm jobs with both workers, then N with worker 2 stopped.

Exit status 0 when every check passes, 1 otherwise. ``--json`` prints the facts as JSON (last line of
stdout); ``--write-md`` writes bench/scale_out.md. Every process started here is stopped at the end, on
errors and on Ctrl-C. Two runs on one machine wait for each other (a lock file in the temp folder), since
they share the database name and the Redis db.
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Processes,
    bench_database_url,
    ensure_database,
    free_port,
    run_bench,
    s3_env,
    start_moto_s3,
    wait_for_fresh_window,
    wait_http,
)
from bench.render_api import GUNICORN, PYTHON, Client, render_body, seed, server_env  # noqa: E402

BENCH_DB = "loopwind_bench_scale"
BENCH_REDIS = "redis://127.0.0.1:6379/9"
BUCKET = "loopwind-scale-out"
FREE_USER = "scale-free"
MD_PATH = ROOT / "bench" / "scale_out.md"
JOB_LOG = re.compile(rb"job (job_\w+) completed in (\d+) ms")
PNG = b"\x89PNG\r\n\x1a\n"


class CheckFailed(Exception):
    pass


# --- seed ----------------------------------------------------------------------------------------------


def seed_free_user() -> tuple[int, list[tuple[int, str]]]:
    """A user on the free plan with an API key; returns (requests a minute, [(user pk, key)]) (keys
    share their account's rate limit).
    Runs after seed(), in this process, with Django set up on the servers' environment."""
    from django.db import connections

    from accounts.models import User
    from accounts.services import api_key_create
    from billing.plans import plan_limits

    User.objects.filter(username=FREE_USER).delete()
    user = User.objects.create_user(
        f"{FREE_USER}@bench.loopwind.dev", FREE_USER, None, name="Scale-out rate limits", plan="free"
    )
    limit = plan_limits(user).requests_per_minute
    keys = [(user.pk, api_key_create(user=user, name="scale-out")[1])]
    connections.close_all()
    return limit, keys


# --- helpers -----------------------------------------------------------------------------------------


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def worker_log(logdir: Path, names: list[str]) -> dict[str, dict[str, int]]:
    """{worker: {job id: render ms}} for the jobs each worker's log says it completed."""
    done = {}
    for name in names:
        path = logdir / f"{name}.log"
        text = path.read_bytes() if path.exists() else b""
        done[name] = {m.group(1).decode(): int(m.group(2)) for m in JOB_LOG.finditer(text)}
    return done


def worker_jobs(logdir: Path, names: list[str]) -> dict[str, set[str]]:
    """Job ids each worker's log says it completed."""
    return {name: set(jobs) for name, jobs in worker_log(logdir, names).items()}


def median_job_ms(logdir: Path, names: list[str], job_ids) -> float | None:
    """Median of the workers' own "completed in <ms>" figures for these jobs (the render and storing
    the output, without queueing)."""
    times = [ms for jobs in worker_log(logdir, names).values() for job, ms in jobs.items() if job in job_ids]
    return statistics.median(times) if times else None


def wait_for_consumers(redis_client, count: int, procs: list, timeout: float = 60) -> None:
    """Until ``count`` Dramatiq brokers have fetched from Redis (each worker process heartbeats in
    dramatiq:__heartbeats__ when it polls; the web processes only do when they enqueue, and nothing has
    been enqueued yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a worker exited with {proc.returncode}")
        if redis_client.zcard("dramatiq:__heartbeats__") >= count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{count} workers did not start consuming in {timeout:g} s")


class Nodes:
    def __init__(self, ports: dict[str, int], key: str):
        self.ports = ports
        self.key = key
        self.clients = {name: Client(port, key) for name, port in ports.items()}

    def request(self, node: str, method: str, path: str, body=None, auth: bool = True):
        return self.clients[node].request(method, path, body, auth=auth)


def submit_job(nodes: Nodes, node: str, template: str, title: str) -> str:
    body = json.dumps({"template": template, "props": {"title": title}, "format": "png"}).encode()
    status, _, content = nodes.request(node, "POST", "/api/render/async", body)
    if status != 202:
        raise CheckFailed(f"POST /api/render/async on {node}: {status} {content[:300]!r}")
    return json.loads(content)["jobId"]


def wait_jobs(nodes: Nodes, job_ids: dict[str, str], timeout: float) -> dict[str, dict]:
    """Polls each job (through the node it was NOT posted to) until every one has finished."""
    other = {"A": "B", "B": "A"}
    pending = dict(job_ids)
    done: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for job_id, posted_to in list(pending.items()):
            status, _, content = nodes.request(other[posted_to], "GET", f"/api/render/{job_id}")
            if status != 200:
                raise CheckFailed(f"GET /api/render/{job_id}: {status} {content[:300]!r}")
            job = json.loads(content)
            if job["status"] in ("completed", "failed", "cancelled"):
                done[job_id] = job
                del pending[job_id]
        if pending:
            time.sleep(0.05)
    if pending:
        raise CheckFailed(f"{len(pending)} of {len(job_ids)} jobs unfinished after {timeout:g} s")
    failed = {k: v for k, v in done.items() if v["status"] != "completed"}
    if failed:
        job_id, job = next(iter(failed.items()))
        raise CheckFailed(
            f"{len(failed)} jobs did not complete; {job_id}: {job['status']} {job.get('error')}"
        )
    return done


def job_round(nodes: Nodes, template: str, n: int, tag: str, timeout: float) -> tuple[dict[str, str], float]:
    """n PNG jobs, n/2 posted to A and n/2 to B from two threads at once; returns ({job id: node}, wall s
    from the first POST until the last job's completedAt)."""
    ids: dict[str, str] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    shares = {"A": (n + 1) // 2, "B": n // 2}
    run_id = uuid.uuid4().hex[:8]
    # one connection per posting thread: http.client connections are not thread-safe
    posters = {node: Client(nodes.ports[node], nodes.key) for node in shares}

    def post(node: str) -> None:
        try:
            for i in range(shares[node]):
                title = f"Scale-out {tag} {run_id} {node}{i}"
                body = json.dumps({"template": template, "props": {"title": title}, "format": "png"}).encode()
                status, _, content = posters[node].request("POST", "/api/render/async", body)
                if status != 202:
                    raise CheckFailed(f"POST /api/render/async on {node}: {status} {content[:300]!r}")
                with lock:
                    ids[json.loads(content)["jobId"]] = node
        except BaseException as exc:  # noqa: BLE001  (re-raised in the main thread)
            errors.append(exc)

    t0 = time.time()
    threads = [threading.Thread(target=post, args=(node,)) for node in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    done = wait_jobs(nodes, ids, timeout)
    # the jobs' own completedAt (same host clock), not when the poll loop noticed
    last = max(datetime.fromisoformat(job["completedAt"].replace("Z", "+00:00")) for job in done.values())
    return ids, last.timestamp() - t0


def split_by_worker(logdir: Path, workers: list[str], job_ids, timeout: float = 15) -> dict[str, int]:
    """Which worker completed each job, from the workers' logs (the line is written just after the
    job's row says completed, so it may lag the status poll a little)."""
    wanted = set(job_ids)
    deadline = time.monotonic() + timeout
    while True:
        done = worker_jobs(logdir, workers)
        seen = set().union(*done.values()) & wanted
        if seen == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    split = {name: len(done[name] & wanted) for name in workers}
    split["unattributed"] = len(wanted - seen)
    return split


def worker_of(logdir: Path, workers: list[str], job_id: str) -> str:
    split = split_by_worker(logdir, workers, [job_id])
    return next((name for name in workers if split[name]), "unattributed")


# --- the checks --------------------------------------------------------------------------------------


def check_rate_limit(ports: dict[str, int], limit: int, keys: list[tuple[int, str]]) -> dict:
    """2 x limit concurrent GET /api/me with one key, half to each node, released together."""
    user_pk, key = keys[0]  # keys share their account's window
    wait_for_fresh_window(f"user:{user_pk}", need=10)  # the burst must fit in one window
    n = 2 * limit
    results: list[tuple[str, int, str | None]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)
    targets = ["A", "B"] * limit

    def fire(node: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[node], timeout=30)
        try:
            conn.connect()
            barrier.wait(timeout=30)
            conn.request("GET", "/api/me", headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            response.read()
            row = (node, response.status, response.headers.get("X-RateLimit-Reset"))
        except Exception as exc:  # noqa: BLE001
            row = (node, -1, repr(exc))
        finally:
            conn.close()
        with lock:
            results.append(row)

    threads = [threading.Thread(target=fire, args=(node,)) for node in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_node = {
        node: {str(code): sum(1 for r in results if r[0] == node and r[1] == code) for code in (200, 429)}
        for node in ("A", "B")
    }
    ok = sum(1 for r in results if r[1] == 200)
    limited = sum(1 for r in results if r[1] == 429)
    return {
        "limit": limit,
        "requests": n,
        "ok_200": ok,
        "limited_429": limited,
        "other": [r for r in results if r[1] not in (200, 429)][:3],
        "by_node": by_node,
        "passed": ok == limit and limited == limit and by_node["A"]["200"] > 0 and by_node["B"]["200"] > 0,
    }


def check_cross_serve(nodes: Nodes, og_slug: str, logdir: Path, workers: list[str]) -> dict:
    facts: dict = {}
    # an async job posted to A, polled and fetched through B
    job_id = submit_job(nodes, "A", og_slug, f"Cross-serve {uuid.uuid4().hex[:8]}")
    job = wait_jobs(nodes, {job_id: "A"}, timeout=60)[job_id]  # polled through B
    status, content = get(job["outputUrl"])
    facts["job"] = {
        "posted_to": "A",
        "polled_through": "B",
        "status": job["status"],
        "output_status": status,
        "output_is_png": content[:8] == PNG,
        "output_bytes": len(content),
        "worker": worker_of(logdir, workers, job_id),
        "output_url_host": urlsplit(job["outputUrl"]).netloc,
    }
    # the same body on A then B (and a new one on B then A): one render, stored in S3, indexed in Redis
    for first, second in (("A", "B"), ("B", "A")):
        body = render_body(og_slug, f"Rendered on {first} {uuid.uuid4().hex[:8]}")
        s1, h1, c1 = nodes.request(first, "POST", "/api/render", body)
        s2, h2, c2 = nodes.request(second, "POST", "/api/render", body)
        facts[f"sync_{first}_then_{second}"] = {
            "status": [s1, s2],
            "cache": [h1.get("X-Render-Cache"), h2.get("X-Render-Cache")],
            "same_bytes": c1 == c2 and c1[:8] == PNG,
        }
    # a signed /i/ URL: signed and rendered through A, then fetched through B
    sign_body = json.dumps(
        {"template": og_slug, "props": {"title": f"Signed {uuid.uuid4().hex[:8]}"}}
    ).encode()
    status, _, content = nodes.request("A", "POST", "/api/render/sign", sign_body)
    if status != 200:
        raise CheckFailed(f"POST /api/render/sign: {status} {content[:300]!r}")
    parts = urlsplit(json.loads(content)["url"])
    path = f"{parts.path}?{parts.query}"
    s1, h1, c1 = nodes.request("A", "GET", path, auth=False)
    s2, h2, c2 = nodes.request("B", "GET", path, auth=False)
    facts["signed_A_then_B"] = {
        "status": [s1, s2],
        "cache": [h1.get("X-Render-Cache"), h2.get("X-Render-Cache")],
        "same_bytes": c1 == c2 and c1[:8] == PNG,
    }
    j = facts["job"]
    facts["passed"] = (
        j["status"] == "completed"
        and j["output_status"] == 200
        and j["output_is_png"]
        and all(
            facts[k]["status"] == [200, 200]
            and facts[k]["cache"] == ["MISS", "HIT"]
            and facts[k]["same_bytes"]
            for k in ("sync_A_then_B", "sync_B_then_A", "signed_A_then_B")
        )
    )
    return facts


# --- report --------------------------------------------------------------------------------------------


def summary_rows(facts: dict) -> list[tuple[str, str, str]]:
    rows = []
    rl = facts.get("rate_limit")
    if rl:
        rows.append(
            (
                "rate limit shared by A and B",
                f"{rl['requests']} concurrent GET /api/me, one free-plan key (limit {rl['limit']}/min): "
                f"{rl['ok_200']} x 200, {rl['limited_429']} x 429 "
                f"(A {rl['by_node']['A']['200']}/{rl['by_node']['A']['429']}, "
                f"B {rl['by_node']['B']['200']}/{rl['by_node']['B']['429']} as 200/429)",
                "ok" if rl["passed"] else "FAILED",
            )
        )
    spread = facts.get("spread")
    if spread:
        split = spread["by_worker"]
        rows.append(
            (
                "jobs spread over workers",
                f"{spread['jobs']} PNG jobs (A {spread['posted']['A']}, B {spread['posted']['B']}): "
                f"worker 1 ran {split['worker1']}, worker 2 ran {split['worker2']}"
                + (f", {split['unattributed']} unattributed" if split["unattributed"] else "")
                + f"; first POST to last completed {spread['wall_s']:.2f} s "
                "(cold: each worker's first job starts its render child)",
                "ok" if spread["passed"] else "FAILED",
            )
        )
    cross = facts.get("cross_serve")
    if cross:
        j = cross["job"]
        rows.append(
            (
                "job output across nodes",
                f"posted to A, run by {j['worker']}, polled through B: {j['status']}; "
                f"output URL (S3 {j['output_url_host']}) -> {j['output_status']}, "
                f"{'PNG' if j['output_is_png'] else 'not a PNG'}, {j['output_bytes']} bytes",
                "ok"
                if j["status"] == "completed" and j["output_status"] == 200 and j["output_is_png"]
                else "FAILED",
            )
        )
        for key, label in (
            ("sync_A_then_B", "POST /api/render, A then B"),
            ("sync_B_then_A", "POST /api/render, B then A"),
            ("signed_A_then_B", "signed /i/ URL, A then B"),
        ):
            f = cross[key]
            good = f["status"] == [200, 200] and f["cache"] == ["MISS", "HIT"] and f["same_bytes"]
            rows.append(
                (
                    label,
                    f"X-Render-Cache {f['cache'][0]} then {f['cache'][1]}, "
                    f"{'identical bytes' if f['same_bytes'] else 'DIFFERENT bytes'}",
                    "ok" if good else "FAILED",
                )
            )
    cmp_ = facts.get("throughput")
    if cmp_:
        two, one = cmp_["two_workers"], cmp_["one_worker"]
        rows.append(
            (
                "throughput, warm (figure)",
                f"{two['jobs']} jobs: 2 workers {two['wall_s']:.2f} s ({two['jobs_per_s']:.1f} jobs/s, "
                f"split {two['by_worker']['worker1']}/{two['by_worker']['worker2']}, "
                f"median job {two['job_ms_median']:.0f} ms); "
                f"1 worker {one['wall_s']:.2f} s ({one['jobs_per_s']:.1f} jobs/s, "
                f"median job {one['job_ms_median']:.0f} ms); x{cmp_['speedup']:.2f}",
                "",
            )
        )
    return rows


def print_table(rows: list[tuple[str, str, str]]) -> None:
    w0 = max(len(r[0]) for r in rows)
    print()
    for name, value, verdict in rows:
        print(f"{name.ljust(w0)}  {verdict.ljust(6)}  {value}")


def write_md(facts: dict, rows: list[tuple[str, str, str]], command: str) -> None:
    env = facts["setup"]
    lines = [
        "# Scale-out check: two web nodes, two workers, one PostgreSQL, Redis and S3",
        "",
        f"Produced by `{command}` ({env['cpus']} CPUs, load average before "
        f"{env['load_before']:.2f}, whole run {facts['seconds']:.0f} s). It starts a moto S3 server, "
        f"PostgreSQL database `{BENCH_DB}`, Redis db {env['redis_db']}, web A and B "
        f"(`gunicorn loopwind_site.wsgi -w {env['web_workers']}` on two ports) and worker 1 and 2 "
        "(`manage.py rundramatiq --processes 1 --threads 1`), all with one environment, then checks:",
        "",
        "| check | result | |",
        "|---|---|---|",
        *(f"| {name} | {value} | {verdict} |" for name, value, verdict in rows),
        "",
        "Notes",
        "- Rate limit: the key's one-minute window is shared through Redis, so the two nodes together "
        "let exactly the plan's limit through; the burst is timed to fit in one window.",
        "- Workers: which worker ran a job comes from the `job <id> completed` lines in each worker's log.",
        "- Cross-serve: rendered files live in the S3 bucket and the render-cache index in Redis, so a "
        "render made by one node is a cache HIT on the other, byte for byte.",
        "- Throughput: on a 2-core machine both workers, both web nodes and their render children share "
        "the same two cores, so a second worker adds little: the figure is reported, not checked.",
        "",
        f"Exit status {0 if facts['passed'] else 1}; `--json` prints these facts as JSON. "
        "`tests/scale/test_scale_out.py` runs the same script with `--jobs 8` in `make test` (CI).",
        "",
    ]
    MD_PATH.write_text("\n".join(lines))


# --- main ----------------------------------------------------------------------------------------------


def acquire_lock(timeout: float = 600):
    lock = open(Path(tempfile.gettempdir()) / "loopwind-bench-scale-out.lock", "w")  # noqa: SIM115
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise RuntimeError("another scale-out run holds the lock") from None
            time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20, help="async PNG jobs per round (half to each node)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web node")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_SCALE_REDIS_URL", BENCH_REDIS))
    parser.add_argument("--no-compare", action="store_true", help="skip the 2-vs-1-worker throughput figure")
    parser.add_argument("--json", action="store_true", help="print the facts as JSON (last line)")
    parser.add_argument("--write-md", action="store_true", help=f"write {MD_PATH.relative_to(ROOT)}")
    parser.add_argument("--keep-logs", action="store_true", help="keep the temporary folder (server logs)")
    args = parser.parse_args()
    if args.jobs < 2:
        parser.error("--jobs must be at least 2")

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    lock = acquire_lock()
    tmp = Path(tempfile.mkdtemp(prefix="loopwind-bench-scale-"))
    procs = Processes(tmp)
    t_start = time.perf_counter()
    load_before = os.getloadavg()[0]
    workers = ["worker1", "worker2"]
    facts: dict = {
        "setup": {
            "web_workers": args.web_workers,
            "jobs": args.jobs,
            "redis_db": urlsplit(args.redis_url).path.lstrip("/") or "0",
            "cpus": os.cpu_count(),
            "load_before": load_before,
        }
    }
    failure = None
    try:
        database_url = bench_database_url(BENCH_DB)
        ensure_database(database_url)
        import redis

        redis_client = redis.Redis.from_url(args.redis_url)
        redis_client.flushdb()
        endpoint = start_moto_s3(procs)
        ports = {"A": free_port(), "B": free_port()}
        while ports["B"] == ports["A"]:
            ports["B"] = free_port()
        env = server_env(
            database_url=database_url, redis_url=args.redis_url, tmp=tmp, port=ports["A"], render_processes=1
        )
        env.update(s3_env(endpoint, BUCKET))
        env.update(RATE_LIMITS_ENABLED="1", CACHE_KEY_PREFIX="lw-scale")
        key, og_slug, _video_slug = seed(env)
        limit, free_keys = seed_free_user()
        print(f"seeded in {time.perf_counter() - t_start:.1f} s; S3 at {endpoint}, bucket {BUCKET}")

        web = {}
        for node, port in ports.items():
            argv = [
                str(GUNICORN),
                "loopwind_site.wsgi",
                "-w",
                str(args.web_workers),
                "-b",
                f"127.0.0.1:{port}",
            ]
            argv += ["--timeout", "120", "--log-level", "warning"]
            web[node] = procs.start(f"web{node}", argv, env)
        worker_env = {**env, "LOG_LEVEL": "INFO"}
        worker_procs = {}
        for name in workers:
            argv = [
                str(PYTHON),
                "manage.py",
                "rundramatiq",
                "--processes",
                "1",
                "--threads",
                "1",
                "--skip-checks",
            ]
            worker_procs[name] = procs.start(name, argv, worker_env)
        for node, port in ports.items():
            wait_http(port, web[node], timeout=60)
        wait_for_consumers(redis_client, 2, list(worker_procs.values()))
        print(
            f"web A :{ports['A']}, web B :{ports['B']} (gunicorn -w {args.web_workers} each), 2 workers "
            f"consuming; up after {time.perf_counter() - t_start:.1f} s"
        )
        nodes = Nodes(ports, key)

        facts["rate_limit"] = check_rate_limit(ports, limit, free_keys)
        print(
            f"rate limit: {facts['rate_limit']['ok_200']} x 200, {facts['rate_limit']['limited_429']} x 429"
        )

        ids, wall = job_round(nodes, og_slug, args.jobs, "spread", timeout=120)
        split = split_by_worker(tmp, workers, ids)
        facts["spread"] = {
            "jobs": args.jobs,
            "posted": {n: sum(1 for v in ids.values() if v == n) for n in ("A", "B")},
            "by_worker": split,
            "wall_s": round(wall, 3),
            "job_ms_median": median_job_ms(tmp, workers, ids),
            "passed": split["worker1"] > 0 and split["worker2"] > 0 and split["unattributed"] == 0,
        }
        print(f"jobs: worker 1 {split['worker1']}, worker 2 {split['worker2']}, wall {wall:.2f} s")

        facts["cross_serve"] = check_cross_serve(nodes, og_slug, tmp, workers)
        print(f"cross-serve: {'ok' if facts['cross_serve']['passed'] else 'FAILED'}")

        if not args.no_compare:
            ids2, wall2 = job_round(nodes, og_slug, args.jobs, "two", timeout=120)
            split2 = split_by_worker(tmp, workers, ids2)
            proc = worker_procs["worker2"]
            # its main process only: it passes SIGTERM on to its worker process, which stops cleanly
            # (a second SIGTERM, as signalling the whole group gives, makes it kill the worker at once)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            ids1, wall1 = job_round(nodes, og_slug, args.jobs, "one", timeout=180)
            split1 = split_by_worker(tmp, workers, ids1)
            facts["throughput"] = {
                "two_workers": {
                    "jobs": args.jobs,
                    "wall_s": round(wall2, 3),
                    "jobs_per_s": round(args.jobs / wall2, 2),
                    "job_ms_median": median_job_ms(tmp, workers, ids2),
                    "by_worker": split2,
                },
                "one_worker": {
                    "jobs": args.jobs,
                    "wall_s": round(wall1, 3),
                    "jobs_per_s": round(args.jobs / wall1, 2),
                    "job_ms_median": median_job_ms(tmp, workers, ids1),
                    "by_worker": split1,
                },
                "speedup": round(wall1 / wall2, 2),
            }
            print(f"throughput: 2 workers {wall2:.2f} s, 1 worker {wall1:.2f} s")
    except CheckFailed as exc:
        failure = str(exc)
    except Exception as exc:  # noqa: BLE001  (reported, logs shown, processes stopped, exit 1)
        traceback.print_exc()
        failure = f"{type(exc).__name__}: {exc}"
    finally:
        procs.stop_all()
        if failure or args.keep_logs:
            for name in ("webA", "webB", *workers):
                log = tmp / f"{name}.log"
                if failure and log.exists():
                    tail = log.read_bytes()[-1500:].decode(errors="replace")
                    print(f"--- {name}.log (tail) ---\n{tail}", file=sys.stderr)
        if args.keep_logs:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        lock.close()

    facts["seconds"] = round(time.perf_counter() - t_start, 1)
    checks = {
        "rate_limit_shared": bool(facts.get("rate_limit", {}).get("passed")),
        "jobs_spread": bool(facts.get("spread", {}).get("passed")),
        "cross_serve": bool(facts.get("cross_serve", {}).get("passed")),
    }
    facts["checks"] = checks
    facts["error"] = failure
    facts["passed"] = failure is None and all(checks.values())
    rows = summary_rows(facts)
    if rows:
        print_table(rows)
    if failure:
        print(f"\nFAILED: {failure}")
    print(
        f"\n{'all checks passed' if facts['passed'] else 'CHECKS FAILED'}; whole run {facts['seconds']:.0f} s, "
        f"load average before {load_before:.2f}, {os.cpu_count()} CPUs"
    )
    if args.write_md and rows:
        command = "python bench/scale_out.py --write-md" + (f" --jobs {args.jobs}" if args.jobs != 20 else "")
        write_md(facts, rows, command)
        print(f"wrote {MD_PATH.relative_to(ROOT)}")
    if args.json:
        print(json.dumps(facts, default=str))
    return 0 if facts["passed"] else 1


if __name__ == "__main__":
    run_bench(main)
