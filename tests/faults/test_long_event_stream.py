"""An event stream watched for longer than gunicorn's worker timeout (--timeout 60 in the Procfile).

A sync worker tells its arbiter it is alive only between requests, so a stream that outlived the
timeout got the worker aborted mid-stream (WORKER TIMEOUT, a broken chunked response and a
traceback). Streams now end cleanly after SSE_STREAM_SECONDS and the client reconnects, as a
browser's EventSource does by itself. Here the timeout is 4 s and a stream lasts 2 s."""

import threading
import time

import requests

from tests.faults.conftest import Site, site_env

WEB_TIMEOUT = 4
STREAM_SECONDS = 2


def read_stream(url: str, headers: dict) -> tuple[list[tuple[str, str]], str]:
    """One connection, read to its end: the (field, value) lines and how it ended."""
    fields = []
    try:
        with requests.get(url, headers=headers, stream=True, timeout=(5, WEB_TIMEOUT * 3)) as stream:
            assert stream.status_code == 200, stream.text
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            for line in stream.iter_lines(decode_unicode=True):
                if line:
                    field, _, value = line.partition(":")
                    fields.append((field, value.strip()))
    except requests.RequestException as exc:
        return fields, f"broken: {exc!r}"
    return fields, "closed"


def test_a_job_watched_longer_than_the_worker_timeout(account, processes, _media):
    redis = processes.redis()
    env = site_env(media_root=_media, redis_url=redis.url, SSE_STREAM_SECONDS=STREAM_SECONDS)
    web = processes.web(env, timeout=WEB_TIMEOUT)
    site = Site(web.url, account["key"], account["user"].username)
    job_id = site.submit().json()["jobId"]  # no worker runs: the job stays queued until cancelled
    events_url = f"{web.url}/api/render/{job_id}/events"

    cancel_after = WEB_TIMEOUT * 2.5
    canceller = threading.Timer(
        cancel_after, lambda: site.http.delete(f"{web.url}/api/render/{job_id}", timeout=10)
    )
    canceller.start()
    started = time.monotonic()
    connections = []
    try:
        while time.monotonic() - started < cancel_after + 10:  # reconnect, as EventSource does
            opened = time.monotonic()
            fields, ended = read_stream(events_url, dict(site.http.headers))
            connections.append((time.monotonic() - opened, fields, ended))
            assert ended == "closed", (ended, fields, web.log.read_text()[-3000:])
            if ("event", "cancelled") in fields:
                break
            # while one worker streams, the other still answers
            assert site.http.get(f"{web.url}/api/me", timeout=5).status_code == 200
    finally:
        canceller.cancel()

    assert time.monotonic() - started > WEB_TIMEOUT * 2, "watched for less than two worker timeouts"
    *open_ones, last = connections
    assert len(open_ones) >= 3, connections
    for seconds, fields, _ in open_ones:
        # a reconnect delay first, then the job's current state; the stream ends on its own in time
        assert fields[0] == ("retry", "1000") and fields[1] == ("event", "progress"), fields
        assert '"status": "queued"' in fields[2][1], fields
        assert STREAM_SECONDS * 0.9 <= seconds < WEB_TIMEOUT, seconds
    assert ("event", "cancelled") in last[1] and '"status": "cancelled"' in last[1][-1][1], last
    log = web.log.read_text()
    assert "WORKER TIMEOUT" not in log and "Traceback" not in log, log[-3000:]
