"""Automatic retries on 429 and 503 honouring Retry-After (bounded), against a scripted local HTTP server."""

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from loopwind import AsyncLoopwind, Loopwind
from loopwind.sdk import APIConnectionError, QuotaExceeded, RateLimited, ServerError


class Script:
    """Answers each request with the next (status, headers, body) and records the requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.seen: list[tuple[str, float]] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                script.seen.append((self.headers.get("Authorization"), time.monotonic()))
                status, headers, body = script.answers.pop(0) if script.answers else (200, {}, {"ok": True})
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def error(code):
    return {"error": {"code": code, "message": code.replace("_", " "), "details": {}}}


@pytest.fixture
def script():
    made = []

    def make(*answers):
        made.append(Script(*answers))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_503_and_429_are_retried_after_retry_after(script):
    server = script(
        (503, {"Retry-After": "0"}, error("queue_unavailable")),
        (429, {"Retry-After": "1"}, error("rate_limited")),
        (200, {}, {"username": "x"}),
    )
    with Loopwind(api_key="lw_live_k", base_url=server.url) as lw:
        assert lw.me() == {"username": "x"}
    assert len(server.seen) == 3 and all(auth == "Bearer lw_live_k" for auth, _ in server.seen)
    assert server.seen[2][1] - server.seen[1][1] >= 0.9  # waited the Retry-After second


def test_retries_are_bounded(script):
    server = script(*[(503, {"Retry-After": "0"}, error("queue_unavailable"))] * 5)
    with (
        pytest.raises(ServerError) as failed,
        Loopwind(api_key="k", base_url=server.url, max_retries=2) as lw,
    ):
        lw.me()
    assert failed.value.status == 503 and failed.value.code == "queue_unavailable" and len(server.seen) == 3


def test_spent_quota_and_long_waits_are_not_retried(script):
    server = script(
        (429, {"Retry-After": "3600"}, error("quota_exceeded")),
        (429, {"Retry-After": "120"}, error("rate_limited")),
    )
    with Loopwind(api_key="k", base_url=server.url) as lw:
        with pytest.raises(QuotaExceeded) as quota:
            lw.me()
        assert quota.value.retry_after == 3600 and isinstance(quota.value, RateLimited)
        with pytest.raises(RateLimited) as limited:
            lw.me()
        assert limited.value.retry_after == 120
    assert len(server.seen) == 2


def test_async_client_retries_the_same_way(script):
    server = script((503, {"Retry-After": "0"}, error("queue_unavailable")), (200, {}, {"username": "y"}))

    async def main():
        async with AsyncLoopwind(api_key="k", base_url=server.url) as lw:
            return await lw.me()

    assert asyncio.run(main()) == {"username": "y"} and len(server.seen) == 2


def test_unreachable_server():
    with (
        pytest.raises(APIConnectionError) as down,
        Loopwind(api_key="k", base_url="http://127.0.0.1:9") as lw,
    ):
        lw.me()
    assert down.value.code == "connection_error" and "127.0.0.1:9" in down.value.message


def test_templates_list_sends_the_category(script):
    """The filters reach the query string (the marketplace's categories included)."""
    server = script((200, {}, {"templates": [], "total": 0, "page": 1, "pages": 1}))
    seen = []
    with Loopwind(api_key="lw_live_x", base_url=server.url) as lw:
        lw._http.event_hooks["request"].append(lambda request: seen.append(request.url))
        assert lw.templates.list(category="open-graph", tags=["og", "blog"])["total"] == 0
    assert dict(seen[0].params) == {"category": "open-graph", "tags": "og,blog"}
