"""A webhook receiver that is down for a while, and one that never comes back. The schedule is
shortened through WEBHOOK_RETRY_SCHEDULE (production: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h)."""

from datetime import datetime

from bench.common import free_port
from rendering.models import WebhookDelivery
from tests.faults.conftest import Site, site_env
from tests.rendering.worker import Receiver
from tests.servers import wait_until

SCHEDULE = (1, 2, 4)


def seconds_between(attempts: list[dict]) -> list[float]:
    times = [datetime.fromisoformat(a["at"].replace("Z", "+00:00")) for a in attempts]
    return [(later - earlier).total_seconds() for earlier, later in zip(times, times[1:], strict=False)]


def test_receiver_down_then_back_and_redeliver(account, processes, _media):
    redis = processes.redis()
    env = site_env(
        media_root=_media, redis_url=redis.url, WEBHOOK_RETRY_SCHEDULE=",".join(map(str, SCHEDULE))
    )
    web = processes.web(env)
    env["SITE_URL"] = web.url
    processes.worker(env)
    site = Site(web.url, account["key"], account["user"].username)
    comes_back, never_back = free_port(), free_port()  # nothing listens on either yet

    first = site.submit(webhook=f"http://127.0.0.1:{comes_back}/hooks").json()["jobId"]
    second = site.submit(webhook=f"http://127.0.0.1:{never_back}/hooks").json()["jobId"]
    assert {s["status"] for s in site.wait_final([first, second], timeout=60).values()} == {"completed"}

    def delivery(job_id: str) -> dict:
        response = site.http.get(f"{site.url}/api/webhooks/deliveries", timeout=10)
        assert response.status_code == 200, response.text
        return next(d for d in response.json() if d["jobId"] == job_id)

    def wait_for_delivery(job_id: str, *, timeout: float, what: str, **state) -> dict:
        """Watches the database (polling the API would spend the key's rate limit, as it once did
        in CI), then returns what the API says once the delivery is in that state."""
        rows = WebhookDelivery.objects.filter(job__public_id=job_id, **state)
        wait_until(rows.exists, timeout=timeout, interval=0.2, what=what)
        return delivery(job_id)

    # three attempts fail (connection refused); the receiver is up before the fourth
    wait_for_delivery(first, attempts__gte=3, timeout=30, what="three failed attempts")
    receiver = Receiver(port=comes_back)
    try:
        done = wait_for_delivery(first, status="succeeded", timeout=30, what="delivered")
        log = done["attemptLog"]
        assert [a["number"] for a in log] == [1, 2, 3, 4]
        assert [a["ok"] for a in log] == [False, False, False, True]
        assert all(a["statusCode"] is None and a["error"] for a in log[:3]), log
        assert log[3]["statusCode"] == 200 and done["deliveredAt"] and done["nextAttemptAt"] is None
        for gap, planned in zip(seconds_between(log), SCHEDULE, strict=True):
            assert planned * 0.9 - 0.05 <= gap <= planned * 1.1 + 2, (seconds_between(log), SCHEDULE)
        [request] = receiver.wait_for(1)
        assert request["headers"]["webhook-id"] == done["webhookId"]

        redelivered = site.http.post(f"{site.url}/api/webhooks/deliveries/{done['id']}/redeliver", timeout=10)
        assert redelivered.status_code == 202, redelivered.text
        requests_seen = receiver.wait_for(2)
        assert len(requests_seen) == 2
        assert {r["headers"]["webhook-id"] for r in requests_seen} == {done["webhookId"]}
        again = wait_for_delivery(first, attempts=5, timeout=15, what="logged")
        assert again["status"] == "succeeded" and again["attemptLog"][-1]["ok"]
    finally:
        receiver.close()

    # the receiver that never came back: every scheduled attempt made and logged, then failed
    failed = wait_for_delivery(second, status="failed", timeout=30, what="given up")
    assert failed["attempts"] == len(SCHEDULE) + 1 and failed["nextAttemptAt"] is None
    assert len(failed["attemptLog"]) == len(SCHEDULE) + 1
    assert not any(a["ok"] for a in failed["attemptLog"]) and failed["lastError"]
