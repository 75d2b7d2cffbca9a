"""POST /api/render/async and the job endpoints without a worker: validation, ownership,
webhook URL checks, cancellation of queued jobs, deliveries and secrets."""

import io

import pytest
from django.utils.timezone import now as timezone_now

from rendering.models import RenderJob, WebhookDelivery
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def submit(client, template, **body):
    return client.post("/api/render/async", {"template": template, **body}, format="json")


@pytest.fixture
def video_slug(user, published_video):
    user.plan = "pro"  # webhooks are a paid feature
    user.save()
    return f"{user.username}/promo-video"


def test_accepts_and_reports_queued(user_api, video_slug):
    response = submit(user_api, video_slug, props={"headline": "Go"}, format="mp4")
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"jobId", "status", "estimatedDuration", "statusUrl", "createdAt", "deprecation"}
    assert body["deprecation"] is None
    job = RenderJob.objects.get(public_id=body["jobId"])
    assert job.status == "queued" and job.total_frames == 90
    status = user_api.get(body["statusUrl"]).json()
    assert status["status"] == "queued" and status["outputUrl"] is None and status["progress"] == 0


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"format": "png"}, 400, "format_mismatch"),
        ({"format": "bmp"}, 400, "validation_error"),
        ({"props": {"headline": 5, "nope": True}}, 400, None),
        ({"props": {"headline": "x" * 81}}, 400, None),
        ({"webhook": "http://127.0.0.1/hook"}, 400, "unsafe_url"),
        ({"webhook": "http://169.254.169.254/latest"}, 400, "unsafe_url"),
        ({"webhook": "http://[::1]/hook"}, 400, "unsafe_url"),
        ({"webhook": "http://0x7f000001/hook"}, 400, None),
        ({"webhook": "ftp://example.com/x"}, 400, None),
        ({"webhook": "not a url"}, 400, "validation_error"),
    ],
)
def test_bad_requests_create_no_job(user_api, video_slug, body, status, code):
    payload = {"props": {"headline": "Go"}, "format": "mp4", **body}
    assert_error(submit(user_api, video_slug, **payload), status, code)
    assert not RenderJob.objects.exists()


def test_webhook_name_resolving_to_a_private_address_is_refused(user_api, video_slug, monkeypatch):
    import socket

    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):  # simulated DNS: this machine cannot resolve real names
        if host == "hooks.internal.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    response = submit(
        user_api, video_slug, props={"headline": "Go"}, webhook="http://hooks.internal.example/x"
    )
    assert_error(response, 400, "unsafe_url")


def test_unknown_and_private_templates(user_api, private_template):
    assert_error(submit(user_api, "nobody/nothing"), 404)
    assert_error(submit(user_api, private_template.slug, props={"title": "x"}, format="png"), 404)


def test_jobs_are_visible_to_their_owner_only(user_api, api, other_user, video_slug):
    from accounts.services import tokens_for_user

    job_id = submit(user_api, video_slug, props={"headline": "Mine"}).json()["jobId"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(other_user)['token']}")
    assert_error(api.get(f"/api/render/{job_id}"), 404)
    assert_error(api.delete(f"/api/render/{job_id}"), 404)
    assert_error(api.get(f"/api/render/{job_id}/events"), 404)
    api.credentials()
    assert_error(api.get(f"/api/render/{job_id}"), 401)
    assert_error(user_api.get("/api/render/job_nope"), 404)


def test_cancel_a_queued_job(user_api, video_slug):
    job_id = submit(user_api, video_slug, props={"headline": "Stop"}).json()["jobId"]
    response = user_api.delete(f"/api/render/{job_id}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert_error(user_api.delete(f"/api/render/{job_id}"), 409, "job_final")
    # a worker that picks the message up later leaves it alone
    from rendering.worker import render_job_run

    render_job_run(job_id)
    assert RenderJob.objects.get(public_id=job_id).status == "cancelled"


def test_read_only_key_can_poll_but_not_submit(api, user, video_slug, user_api):
    from accounts.services import api_key_create

    job_id = submit(user_api, video_slug, props={"headline": "Go"}).json()["jobId"]
    _, raw = api_key_create(user=user, name="ro", scopes=["render:read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(f"/api/render/{job_id}").status_code == 200
    assert_error(submit(api, video_slug, props={"headline": "x"}), 403, "insufficient_scope")
    assert_error(api.delete(f"/api/render/{job_id}"), 403, "insufficient_scope")


def test_webhook_secret_show_and_rotate(user_api):
    first = user_api.get("/api/webhooks/secret").json()
    assert first["secret"].startswith("whsec_")
    rotated = user_api.post("/api/webhooks/secret").json()
    assert rotated["secret"] != first["secret"]
    assert user_api.get("/api/webhooks/secret").json()["secret"] == rotated["secret"]


def test_deliveries_are_private_and_redeliver_404s_for_others(user_api, api, other_user):
    assert user_api.get("/api/webhooks/deliveries").json() == []
    assert_error(user_api.post("/api/webhooks/deliveries/whd_nope/redeliver"), 404)
    assert_error(api.get("/api/webhooks/deliveries"), 401)
    assert not WebhookDelivery.objects.exists()


def test_sync_render_idempotency(user_api, user, published):
    body = {"template": f"{user.username}/og-card", "props": {"title": "Once"}}
    first = user_api.post("/api/render", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = user_api.post("/api/render", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    changed = user_api.post(
        "/api/render", {**body, "props": {"title": "Twice"}}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert_error(changed, 409, "idempotency_key_reused")
    # a failed request does not burn the key
    bad = user_api.post("/api/render", {**body, "props": {}}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert_error(bad, 400)
    assert user_api.post("/api/render", body, format="json", HTTP_IDEMPOTENCY_KEY="k2").status_code == 200


def test_cleanup_deletes_expired_outputs(user, published, _media):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from core import files
    from rendering.models import IdempotencyRecord, JobOutput
    from templates_registry.models import Template

    template = Template.objects.get(owner=user, name="og-card")
    job = RenderJob.objects.create(
        user=user, template=template, version=template.latest_version, format="png"
    )
    files.file_save("outputs/old.png", b"png")
    files.file_save("outputs/fresh.png", b"png")
    JobOutput.objects.create(job=job, name="outputs/old.png", content_type="image/png",
                             expires_at=timezone.now() - timedelta(seconds=1))  # fmt: skip
    fresh_job = RenderJob.objects.create(
        user=user, template=template, version=template.latest_version, format="png"
    )
    JobOutput.objects.create(job=fresh_job, name="outputs/fresh.png", content_type="image/png",
                             expires_at=timezone.now() + timedelta(hours=1))  # fmt: skip
    IdempotencyRecord.objects.create(user=user, key="k", endpoint="render", request_hash="x",
                                     created_at=timezone.now() - timedelta(hours=25))  # fmt: skip
    call_command("cleanup_outputs")
    assert not (_media / "outputs/old.png").exists() and (_media / "outputs/fresh.png").exists()
    assert JobOutput.objects.get(job=job).deleted_at is not None
    assert not IdempotencyRecord.objects.exists()


def test_queue_down_is_503_and_nothing_is_kept(user_api, user, video_slug, monkeypatch):
    """A real Redis broker pointed at a port where nothing listens: not accepted, not counted."""
    from dramatiq.brokers.redis import RedisBroker

    from billing.models import Usage
    from rendering import tasks

    dead = RedisBroker(url="redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    for actor in (tasks.render_job, tasks.render_job_priority):
        monkeypatch.setattr(actor, "broker", dead)
    response = submit(user_api, video_slug, props={"headline": "Go"})
    assert_error(response, 503, "queue_unavailable")
    assert not RenderJob.objects.exists()
    assert not Usage.objects.filter(user=user, type="video_render", count__gt=0).exists()


def test_stale_sweep_sends_lost_jobs_and_deliveries_again(user, published):
    """Only what waited past the threshold, and whose message the broker no longer holds, is sent
    again, onto the real broker."""
    from datetime import timedelta

    import dramatiq
    from django.core.management import CommandError, call_command
    from django.utils import timezone

    from rendering.jobs import render_job_send
    from rendering.maintenance import STALE_AFTER
    from rendering.queue import enqueue
    from templates_registry.models import Template

    broker = dramatiq.get_broker()
    broker.flush_all()
    template = Template.objects.get(owner=user, name="og-card")
    now = timezone.now()

    def job(status, **times):
        return RenderJob.objects.create(
            user=user,
            template=template,
            version=template.latest_version,
            format="png",
            status=status,
            **times,
        )

    lost = job("queued", created_at=now - STALE_AFTER - timedelta(minutes=1))
    job("queued", created_at=now - timedelta(minutes=1))  # recent: probably still in the queue
    job("processing", started_at=now - timedelta(minutes=5))  # may well be rendering
    dead = job("processing", started_at=now - timedelta(hours=2))  # past any time limit
    job("completed", created_at=now - timedelta(days=1))
    overdue = WebhookDelivery.objects.create(user=user, job=lost, event="render.completed", url="http://x.test",
                                             payload={}, message_id="msg_a", next_attempt_at=now - timedelta(hours=1))  # fmt: skip
    WebhookDelivery.objects.create(user=user, job=dead, event="render.completed", url="http://x.test",
                                   payload={}, message_id="msg_b", next_attempt_at=now + timedelta(minutes=5))  # fmt: skip

    waiting = job("queued", created_at=now - STALE_AFTER - timedelta(minutes=30))
    render_job_send(waiting)  # its message is still in the queue, behind a backlog: nothing was lost
    retrying = job("processing", started_at=now - timedelta(hours=3))
    enqueue("render_job", retrying.public_id, delay_ms=3_600_000)  # a retry waiting out its backoff

    def sweep() -> str:
        out = io.StringIO()
        call_command("requeue_stale_jobs", stdout=out)
        return out.getvalue()

    assert sweep().startswith("Requeued 2 jobs and 1 webhook deliveries; 2 more are still in the broker")
    sent = {queue: broker.client.hvals(f"dramatiq:{queue}.msgs") for queue in ("render", "webhooks")}
    sent_jobs = sorted(dramatiq.Message.decode(m).args[0] for m in sent["render"])
    assert sent_jobs == sorted([lost.public_id, dead.public_id, waiting.public_id])  # waiting once
    assert [dramatiq.Message.decode(m).args[0] for m in sent["webhooks"]] == [overdue.pk]
    # now that all of them are in the queue, a second sweep sends nothing
    assert sweep().startswith("Requeued 0 jobs and 0 webhook deliveries; 5 more are still in the broker")
    with pytest.raises(CommandError, match="0 or more"):
        call_command("requeue_stale_jobs", "--older-than", "-5")


def test_stale_sweep_with_the_broker_down_is_a_clear_error(user, published, monkeypatch):
    from datetime import timedelta

    from django.core.management import CommandError, call_command
    from dramatiq.brokers.redis import RedisBroker

    from rendering import tasks
    from rendering.maintenance import STALE_AFTER
    from templates_registry.models import Template

    template = Template.objects.get(owner=user, name="og-card")
    RenderJob.objects.create(user=user, template=template, version=template.latest_version, format="png",
                             created_at=timezone_now() - STALE_AFTER - timedelta(minutes=1))  # fmt: skip
    dead = RedisBroker(url="redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    for actor in (tasks.render_job, tasks.render_job_priority, tasks.deliver_webhook):
        monkeypatch.setattr(actor, "broker", dead)
    with pytest.raises(CommandError, match="render queue is unavailable.*Nothing was sent"):
        call_command("requeue_stale_jobs")
    assert RenderJob.objects.get().status == "queued"
