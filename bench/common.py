"""What the benchmarks (and the tests that start real processes) share: a PostgreSQL database of
their own, free ports, and process groups that are stopped as a whole."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def bench_database_url(name: str) -> str:
    """BENCH_DATABASE_URL, else database ``name`` on DATABASE_URL's server (default: local PostgreSQL)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        server = "postgres://postgres@127.0.0.1:5432"
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def bench_stores(database: str, default_redis_url: str) -> tuple[str, str]:
    """A bench's own database (created when missing) and Redis database (BENCH_REDIS_URL
    overrides ``default_redis_url``), flushed so that runs do not see each other's state."""
    import redis

    database_url = bench_database_url(database)
    ensure_database(database_url)
    redis_url = os.environ.get("BENCH_REDIS_URL", default_redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    return database_url, redis_url


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
            print(f"created database {name}")


ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Processes started here, each in its own session: stopping one signals its whole group
    (gunicorn's workers and their render children, the Dramatiq worker's process tree)."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log = log  # type: ignore[attr-defined]
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for proc in self.started:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # leftovers of the group (render children) whatever the leader did
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.log.close()  # type: ignore[attr-defined]
        self.started.clear()


def wait_http(port: int, proc: subprocess.Popen, timeout: float = 30, *, path: str = "/healthz",
              what: str = "gunicorn") -> None:  # fmt: skip
    """Until ``GET path`` on the local ``port`` gets any answer; fails early when ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer in time")


def start_moto_s3(procs: Processes, name: str = "moto", timeout: float = 30) -> str:
    """A moto S3 server (``python -m moto.server``) on a free port, started in ``procs``; returns
    its endpoint URL once it answers. Its buckets live in its memory and die with it."""
    port = free_port()
    python = ROOT / ".venv" / "bin" / "python"
    proc = procs.start(
        name,
        [
            str(python if python.exists() else sys.executable),
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    wait_http(port, proc, timeout, path="/", what="moto server")
    return f"http://127.0.0.1:{port}"


def s3_env(endpoint: str, bucket: str, create: bool = True) -> dict:
    """The settings' AWS_* variables for ``bucket`` on an S3-compatible ``endpoint`` (moto's test
    credentials); creates the bucket first unless ``create`` is false."""
    env = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    if create:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106  (moto's fake credentials)
        ).create_bucket(Bucket=bucket)
    return env


def seconds_left_in_window(identity: str, period: int = 60) -> int:
    """django-ratelimit's fixed windows end at a per-identity offset (billing/ratelimit.py counts
    ``key:<pk>``, ``user:<pk>`` or ``ip:<address>``); the same arithmetic as
    django_ratelimit.core._get_window."""
    now = int(time.time())
    end = now - (now % period) + (zlib.crc32(identity.encode()) % period)
    if end < now:
        end += period
    return end - now


def wait_for_fresh_window(*identities: str, need: int, period: int = 60) -> None:
    """Sleeps until every identity's rate-limit window has ``need`` seconds left, so a burst that
    counts exactly to the limit cannot straddle two windows."""
    while (left := min(seconds_left_in_window(i, period) for i in identities)) < need:
        time.sleep(left + 1)


def run_bench(main) -> None:
    """Runs a bench's ``main`` as a script: its return value is the exit code; Ctrl-C is 130 once
    the processes it started are stopped (each bench stops them in its own ``finally``)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; every process started here was stopped", file=sys.stderr)
        sys.exit(130)
