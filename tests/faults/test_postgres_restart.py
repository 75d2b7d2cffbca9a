"""PostgreSQL restarted while the site is under load. The site runs on a PostgreSQL cluster of its
own (the machine's server, which other test runs use, is never touched)."""

import re
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.faults.conftest import manage, site_env
from tests.servers import PostgresServer, wait_until

DOWN_SECONDS = 3


@pytest.fixture
def postgres():
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


def worker_pids(master_pid: int) -> set[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return {int(pid) for pid in children}


def test_postgres_restart_under_load(postgres, processes, _media, tmp_path):
    redis = processes.redis()
    env = site_env(
        media_root=_media, redis_url=redis.url, database_url=postgres.create_database("loopwind"),
        RATE_LIMITS_ENABLED="0", SITE_URL="http://127.0.0.1",
    )  # fmt: skip
    manage(env, "migrate", "--noinput")
    key = re.search(
        r"Demo API key:\s+(\S+)", manage(env, "demo_data", "--templates", "og-card,quote-card")
    ).group(1)
    manage(env, "set_plan", "demo", "business")
    web = processes.web({**env, "SITE_URL": ""})
    env["SITE_URL"] = web.url
    worker = processes.worker(env)
    pids_before = worker_pids(web.process.pid)

    headers = {"Authorization": f"Bearer {key}"}
    calls = [
        ("GET", "/api/me", None),
        ("GET", "/api/templates?q=card", None),
        ("GET", "/api/templates/loopwind/og-card", None),
        ("POST", "/api/render", "render"),
    ]
    results: list[tuple[float, str, int, str, dict | None]] = []
    stop = threading.Event()

    def load(n: int) -> None:
        http = requests.Session()
        i = 0
        while not stop.is_set():
            method, path, body = calls[(n + i) % len(calls)]
            i += 1
            json = {"template": "loopwind/og-card", "props": {"title": f"pg {n}-{i}"}} if body else None
            started = time.monotonic()
            try:
                response = http.request(method, web.url + path, json=json, headers=headers, timeout=30)
            except requests.RequestException as exc:  # a dropped connection is a failure too
                results.append((started, path, 0, repr(exc), None))
                continue
            error = response.json().get("error") if response.status_code >= 400 else None
            results.append(
                (started, path, response.status_code, response.headers.get("Content-Type", ""), error)
            )

    threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        went_down = time.monotonic()
        postgres.stop()  # a fast shutdown: sessions are terminated, new connections refused
        time.sleep(DOWN_SECONDS)
        postgres.start()
        came_back = time.monotonic()
        time.sleep(8)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    failures = [r for r in results if r[2] != 200]
    assert not [r for r in results if r[2] == 0], "a connection was dropped"
    for _, path, status, content_type, error in failures:
        assert status == 503 and content_type.startswith("application/json"), (path, status, error)
        assert error["code"] == "database_unavailable" and error["message"], error
    during = [r for r in results if went_down <= r[0] <= came_back]
    assert any(r[2] == 503 for r in during), "the outage was not seen"
    after = [r for r in results if r[0] >= came_back + 1]
    assert len(after) >= 20 and all(r[2] == 200 for r in after), [r for r in after if r[2] != 200][:5]
    # recovered without restarting anything
    assert web.running and worker_pids(web.process.pid) == pids_before and worker.process.poll() is None
    http = requests.Session()
    http.headers.update(headers)
    accepted = http.post(
        f"{web.url}/api/render/async",
        json={"template": "loopwind/og-card", "props": {"title": "after the restart"}, "format": "png"},
        timeout=30,
    )
    assert accepted.status_code == 202, accepted.text
    status_url = f"{web.url}/api/render/{accepted.json()['jobId']}"
    done = wait_until(
        lambda: (s := http.get(status_url, timeout=10).json())["status"] in ("completed", "failed") and s,
        timeout=60, what="job after the restart",
    )  # fmt: skip
    assert done["status"] == "completed", done
    print(
        f"{len(results)} requests; {len(failures)} answered 503 database_unavailable during a "
        f"{DOWN_SECONDS} s outage; all {len(after)} requests from 1 s after the restart succeeded"
    )
