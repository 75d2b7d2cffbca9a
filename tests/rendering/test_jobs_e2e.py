"""The spec's async flows over HTTP with a real Dramatiq worker on Redis: an MP4 polled to
completed, the webhook received and verified with the standardwebhooks library, SSE progress,
cancellation and idempotency (a worker SIGKILLed mid-job: tests/faults/)."""

import json
import time

import pytest
import redis
import requests
from standardwebhooks import Webhook

from rendering.models import JobOutput, RenderJob
from templates_registry.services import template_publish
from tests.rendering.worker import Receiver, Worker
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a long passphrase nobody guesses 7"


@pytest.fixture
def env(live_server, settings, tmp_path, _media):
    settings.SITE_URL = live_server.url
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.1"]
    broker = redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)
    for key in broker.scan_iter("dramatiq:*"):
        broker.delete(key)
    registered = requests.post(
        f"{live_server.url}/api/auth/register",
        json={"email": "jobs@example.com", "password": PASSWORD},
        timeout=10,
    ).json()
    from accounts.models import User

    user = User.objects.get(email="jobs@example.com")
    User.objects.filter(pk=user.pk).update(plan="pro")  # webhooks are a paid feature
    template_publish(user=user, files=example_files("promo-video"))
    template_publish(user=user, files=example_files("og-card"))
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {registered['token']}"
    workers: list[Worker] = []

    def start_worker(**extra_env) -> Worker:
        worker = Worker(
            media_root=str(_media), site_url=live_server.url, log=tmp_path / "worker.log", extra_env=extra_env
        )
        workers.append(worker)
        return worker

    receiver = Receiver()
    yield {"url": live_server.url, "http": http, "user": user, "start_worker": start_worker, "receiver": receiver,
           "media": _media, "log": tmp_path / "worker.log"}  # fmt: skip
    receiver.close()
    for worker in workers:
        worker.stop()
    # A SIGKILLed worker's database session lingers until the server notices; end it so the
    # test database can be dropped.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )


def submit(env, **body):
    body = {
        "template": f"{env['user'].username}/promo-video",
        "props": {"headline": "Launch"},
        "format": "mp4",
        **body,
    }
    response = env["http"].post(f"{env['url']}/api/render/async", json=body, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()


def poll(env, job_id, until=("completed", "failed", "cancelled"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = env["http"].get(f"{env['url']}/api/render/{job_id}", timeout=10).json()
        if status["status"] in until:
            return status
        time.sleep(0.1)
    raise AssertionError(
        f"job {job_id} still {status['status']}; worker log:\n{env['log'].read_text()[-3000:]}"
    )


def test_async_mp4_polled_to_completed_with_a_verified_webhook(env):
    env["start_worker"]()
    accepted = submit(env, webhook=env["receiver"].url)
    assert accepted["status"] == "queued" and accepted["jobId"].startswith("job_")
    assert accepted["statusUrl"] == f"/api/render/{accepted['jobId']}"
    assert accepted["estimatedDuration"] > 0 and accepted["createdAt"]

    done = poll(env, accepted["jobId"])
    assert done["status"] == "completed", done
    assert done["progress"] == 1 and done["currentFrame"] == done["totalFrames"] == 90
    assert done["expiresAt"] and done["duration"] > 0 and done["startedAt"] and done["completedAt"]
    video = requests.get(done["outputUrl"], timeout=10)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"

    [request] = env["receiver"].wait_for(1)
    secret = env["http"].get(f"{env['url']}/api/webhooks/secret", timeout=10).json()["secret"]
    payload = Webhook(secret).verify(request["body"], request["headers"])
    assert payload["event"] == "render.completed" and payload["jobId"] == accepted["jobId"]
    assert payload["status"] == "completed" and payload["format"] == "mp4"
    assert payload["template"] == f"{env['user'].username}/promo-video"
    assert requests.get(payload["outputUrl"], timeout=10).status_code == 200
    assert request["headers"]["X-Loopwind-Signature"].startswith("sha256=")

    deliveries = env["http"].get(f"{env['url']}/api/webhooks/deliveries", timeout=10).json()
    assert deliveries[0]["status"] == "succeeded" and deliveries[0]["attempts"] == 1


def test_progress_events_stream(env):
    env["start_worker"]()
    accepted = submit(env)
    events = []
    with env["http"].get(
        f"{env['url']}/api/render/{accepted['jobId']}/events", stream=True, timeout=60
    ) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                events.append(line[7:])
            if line.startswith("data: ") and events[-1] in ("completed", "failed", "cancelled"):
                assert json.loads(line[6:])["status"] == "completed"
                break
    assert events[-1] == "completed" and "progress" in events


def test_image_job_and_failed_job(env):
    env["start_worker"]()
    image = submit(env, template=f"{env['user'].username}/og-card", props={"title": "Async"}, format="png")
    done = poll(env, image["jobId"])
    assert done["status"] == "completed"
    assert requests.get(done["outputUrl"], timeout=10).content[:4] == b"\x89PNG"

    # an image prop pointing at a host that serves no image fails at once, with a render.failed webhook
    bad = submit(
        env,
        template=f"{env['user'].username}/og-card",
        props={"title": "x", "logo": env["receiver"].url},  # answers text, not an image
        format="png",
        webhook=env["receiver"].url,
    )
    failed = poll(env, bad["jobId"])
    assert failed["status"] == "failed" and failed["error"]["code"]
    env["receiver"].wait_for(1)
    assert env["receiver"].payloads()[-1]["event"] == "render.failed"


def test_cancel_a_running_job(env):
    env["start_worker"]()
    accepted = submit(env)
    poll(env, accepted["jobId"], until=("processing",))
    cancelled = env["http"].delete(f"{env['url']}/api/render/{accepted['jobId']}", timeout=10)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    time.sleep(1.5)
    job = RenderJob.objects.get(public_id=accepted["jobId"])
    assert job.status == "cancelled" and not JobOutput.objects.filter(job=job).exists()
    again = env["http"].delete(f"{env['url']}/api/render/{accepted['jobId']}", timeout=10)
    assert again.status_code == 409


def test_idempotency_key_gives_one_job(env):
    headers = {"Idempotency-Key": "launch-42"}
    body = {"template": f"{env['user'].username}/promo-video", "props": {"headline": "Once"}, "format": "mp4"}
    first = env["http"].post(f"{env['url']}/api/render/async", json=body, headers=headers, timeout=30)
    second = env["http"].post(f"{env['url']}/api/render/async", json=body, headers=headers, timeout=30)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    assert RenderJob.objects.count() == 1
    other = env["http"].post(
        f"{env['url']}/api/render/async",
        json={**body, "props": {"headline": "Twice"}},
        headers=headers,
        timeout=30,
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_outputs_on_s3(env, s3_storage, moto_s3_endpoint):
    """The worker stores the output on S3 (a moto server); the status gives a presigned URL that works."""
    client, bucket = s3_storage
    env["start_worker"](
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=moto_s3_endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    # the templates were published to the filesystem before the switch: publish again onto S3
    template_publish(user=env["user"], files=example_files("og-card"), name="s3-card")
    accepted = submit(env, template=f"{env['user'].username}/s3-card", props={"title": "On S3"}, format="png")
    done = poll(env, accepted["jobId"])
    assert done["status"] == "completed", done
    assert "X-Amz-Signature=" in done["outputUrl"]
    assert requests.get(done["outputUrl"], timeout=10).content[:4] == b"\x89PNG"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(key.startswith("outputs/job_") for key in keys)
