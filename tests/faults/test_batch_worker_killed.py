"""The worker SIGKILLed halfway through a batch: a new worker finishes it, no finished row is lost
and none is rendered (committed, charged) twice."""

import time

from billing.models import Usage
from rendering.models import BatchRow, Render, RenderBatch, WebhookDelivery
from tests.faults.conftest import site_env
from tests.rendering.worker import Receiver
from tests.servers import wait_until

ROWS = 200
RECOVERY_BOUND_SECONDS = 60


def test_worker_killed_mid_batch_loses_and_doubles_nothing(account, processes, _media):
    import requests

    redis = processes.redis()
    env = site_env(media_root=_media, redis_url=redis.url)
    web = processes.web(env)
    env["SITE_URL"] = web.url
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {account['key']}"
    receiver = Receiver()
    try:
        first = processes.worker(env, name="worker-1")
        rows = [{"title": f"Row {i}", "filename": f"row-{i}"} for i in range(ROWS)]
        response = http.post(
            f"{web.url}/api/render/batch",
            json={"template": f"{account['user'].username}/og-card", "rows": rows, "webhook": receiver.url},
            timeout=60,
        )
        assert response.status_code == 202, response.text
        batch_id = response.json()["batchId"]
        done = BatchRow.objects.filter(batch__public_id=batch_id, status="done")
        wait_until(
            lambda: done.count() >= ROWS // 4, timeout=120, interval=0.05, what="a quarter of the rows"
        )
        first.kill()
        done_before = set(done.values_list("number", "output"))
        assert len(done_before) < ROWS, "the batch finished before the kill: make it bigger"

        restarted = time.monotonic()
        second = processes.worker(env, name="worker-2")
        wait_until(
            lambda: RenderBatch.objects.get(public_id=batch_id).status == "completed",
            timeout=RECOVERY_BOUND_SECONDS + 120, interval=0.2, what="the batch completed",
        )  # fmt: skip
        print(
            f"{len(done_before)} rows done at the kill; completed {time.monotonic() - restarted:.1f} s later"
        )
        batch = RenderBatch.objects.get(public_id=batch_id)
        assert BatchRow.objects.filter(batch=batch, status="done").count() == ROWS
        # the rows finished before the kill were not rendered again: same output, one attempt
        assert done_before <= set(BatchRow.objects.filter(batch=batch).values_list("number", "output"))
        assert Render.objects.filter(source="batch").count() == ROWS  # one committed render a row
        usage = Usage.objects.get(user=account["user"], type=Usage.Type.IMAGE_RENDER)
        assert usage.count == ROWS  # charged exactly the rendered rows
        assert WebhookDelivery.objects.filter(event="render.batch.completed").count() == 1
        assert len(receiver.wait_for(1)) == 1
        time.sleep(1)
        assert len(receiver.requests) == 1, "one webhook"
        status = http.get(f"{web.url}/api/render/batch/{batch_id}", timeout=30).json()
        assert status["done"] == ROWS and status["remaining"] == 0 and status["failed"] == 0
        assert second.process.poll() is None
    finally:
        receiver.close()
