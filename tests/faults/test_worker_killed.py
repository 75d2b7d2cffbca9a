"""The worker SIGKILLed in the middle of a video: no clean shutdown, no acknowledgement."""

import time

from billing.models import Usage
from rendering.models import JobOutput, RenderJob, WebhookDelivery
from tests.faults.conftest import Site, site_env
from tests.rendering.worker import Receiver
from tests.servers import wait_until

# Redelivery waits for the dead worker's heartbeat to time out: 3 s here
# (DRAMATIQ_HEARTBEAT_TIMEOUT), 60 s with Dramatiq's default.
RECOVERY_BOUND_SECONDS = 60


def test_worker_killed_mid_video_completes_exactly_once(account, processes, _media):
    redis = processes.redis()
    env = site_env(media_root=_media, redis_url=redis.url)
    web = processes.web(env)
    env["SITE_URL"] = web.url
    site = Site(web.url, account["key"], account["user"].username)
    receiver = Receiver()
    try:
        first = processes.worker(env, name="worker-1")
        job_id = site.submit(
            template=f"{site.username}/promo-video", props={"headline": "Killed"}, format="mp4",
            webhook=receiver.url,
        ).json()["jobId"]  # fmt: skip
        wait_until(
            lambda: (job := RenderJob.objects.get(public_id=job_id)).status == "processing"
            and job.current_frame > 0,
            timeout=60, interval=0.05, what="video rendering",
        )  # fmt: skip
        first.kill()
        assert RenderJob.objects.get(public_id=job_id).status == "processing"

        restarted = time.monotonic()
        second = processes.worker(env, name="worker-2")
        done = site.wait_final([job_id], timeout=RECOVERY_BOUND_SECONDS + 30, log=second.log_path)[job_id]
        recovered_in = time.monotonic() - restarted
        assert done["status"] == "completed", done
        job = RenderJob.objects.get(public_id=job_id)
        assert job.attempts == 2
        assert JobOutput.objects.filter(job=job).count() == 1
        assert WebhookDelivery.objects.filter(job=job).count() == 1
        usage = Usage.objects.filter(user=account["user"], type=Usage.Type.VIDEO_RENDER)
        assert sum(row.count for row in usage) == 1  # counted once, when accepted
        time.sleep(1)  # a duplicate webhook would arrive by now
        assert len(receiver.requests) == 1
        assert (
            receiver.requests[0]["headers"]["webhook-id"] == WebhookDelivery.objects.get(job=job).message_id
        )
        assert [p.name for p in (_media / "outputs").iterdir()] == [
            JobOutput.objects.get(job=job).name.split("/")[-1]
        ]
        assert recovered_in < RECOVERY_BOUND_SECONDS, recovered_in
        print(f"completed {recovered_in:.1f} s after the new worker started")
    finally:
        receiver.close()
