"""Real servers the fault tests stop and start: a private Redis, a private PostgreSQL cluster, a
moto S3 server and gunicorn. Private, so stopping one never disturbs another test run on the
machine (the shared Redis and PostgreSQL stay up)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.common import ROOT, free_port

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def wait_until(check, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout} s")


class _Server:
    """A server process started with fixed arguments, so it can be stopped and started again on
    the same port and data directory."""

    argv: list[str]
    env: dict | None = None

    def __init__(self, log: Path):
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self.ready, timeout=30, what=f"{type(self).__name__} ready")

    def ready(self) -> bool:
        raise NotImplementedError

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class RedisServer(_Server):
    """Redis as production should run it for a queue: the append-only file on, so queued jobs
    survive a restart. ``persist=False`` is Redis as a cache: a restart loses everything."""

    def __init__(self, workdir: Path, *, persist: bool = True):
        super().__init__(workdir / "redis.log")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.argv = [
            "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(workdir),
            "--appendonly", "yes" if persist else "no", "--appendfsync", "always", "--save", "",
        ]  # fmt: skip

    def ready(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False


class MotoServer(_Server):
    """An S3-compatible HTTP server. Its state lives in memory: ``snapshot``/``restore`` stand in
    for S3 keeping its objects across an outage."""

    def __init__(self, workdir: Path):
        super().__init__(workdir / "moto.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}

    def ready(self) -> bool:
        try:
            return requests.get(self.url, timeout=0.5).status_code < 500
        except requests.RequestException:
            return False

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )

    def snapshot(self, bucket: str) -> dict[str, bytes]:
        client = self.client()
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}

    def restore(self, bucket: str, objects: dict[str, bytes]) -> None:
        client = self.client()
        client.create_bucket(Bucket=bucket)
        for key, body in objects.items():
            client.put_object(Bucket=bucket, Key=key, Body=body)

    def env_for(self, bucket: str) -> dict[str, str]:
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }


class PostgresServer(_Server):
    """A PostgreSQL cluster of its own (initdb in a temporary folder), so it can be restarted
    without touching the machine's server. PostgreSQL refuses to run as root: as root, it runs
    as the ``postgres`` user."""

    def __init__(self):
        if PG_BIN is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.datadir = Path(tempfile.mkdtemp(prefix="loopwind-faults-pg-"))
        super().__init__(self.datadir / "server.log")
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.datadir, "postgres", "postgres")
        subprocess.run(
            [*self.as_user, str(PG_BIN / "initdb"), "-D", str(self.datadir / "data"), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.argv = [
            *self.as_user, str(PG_BIN / "postgres"), "-D", str(self.datadir / "data"), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off",
            "-c", "max_connections=60",
        ]  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, sig: int = signal.SIGINT) -> None:  # SIGINT is PostgreSQL's "fast" shutdown
        super().stop(sig)

    def remove(self) -> None:
        self.stop(signal.SIGQUIT)
        shutil.rmtree(self.datadir, ignore_errors=True)


def site_env(media, **overrides: str) -> dict:
    """The environment of a gunicorn serving this test's database, Redis and media folder (rate
    limits off), with ``overrides``."""
    from django.conf import settings

    from tests.rendering.worker import live_database_url

    return {
        **os.environ,
        "DATABASE_URL": live_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "lw"),
        "SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(media),
        "RATE_LIMITS_ENABLED": "0",
        "RENDER_PROCESSES": "1",
        **overrides,
    }


class WebServer(_Server):
    """gunicorn serving the site with ``env``, like the Procfile does."""

    def __init__(self, workdir: Path, env: dict, *, workers: int = 2, timeout: int = 60, name: str = "web"):
        super().__init__(workdir / f"{name}.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "SITE_URL": env.get("SITE_URL") or self.url}
        self.argv = [
            sys.executable, "-m", "gunicorn", "loopwind_site.wsgi", "-w", str(workers),
            "-b", f"127.0.0.1:{self.port}", "--timeout", str(timeout),
        ]  # fmt: skip

    def ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; log:\n{self.log.read_text()[-3000:]}")
        try:
            requests.get(f"{self.url}/healthz?storage=0", timeout=2)
            return True
        except requests.RequestException:
            return False
