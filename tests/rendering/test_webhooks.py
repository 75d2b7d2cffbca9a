"""Webhook delivery against real local receivers: signatures, retries on the schedule with the
same webhook-id, redirects not followed, hangs time out, every attempt logged, redeliver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from standardwebhooks import Webhook

from rendering import webhooks
from rendering.models import RenderJob, WebhookAttempt, WebhookDelivery
from rendering.services import secrets_for
from tests.rendering.worker import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(user, published):
    from templates_registry.models import Template

    template = Template.objects.get(owner=user, name="og-card")
    return RenderJob.objects.create(
        user=user,
        template=template,
        version=template.latest_version,
        props={"title": "x"},
        format="png",
        status="completed",
        duration_ms=120,
    )


@pytest.fixture(autouse=True)
def _allow_local(settings):
    settings.LOOPWIND_SSRF_ALLOW = ["127.0.0.1"]


def make_delivery(job, url):
    job.webhook_url = url
    job.save()
    return webhooks.delivery_create(
        job=job, event="render.completed", output_url="https://example.com/out.png"
    )


def test_signed_delivery_verifies_with_standardwebhooks(job, user):
    receiver = Receiver()
    try:
        delivery = make_delivery(job, receiver.url)
        assert webhooks.attempt(delivery.pk) is None
        [request] = receiver.requests
        payload = Webhook(secrets_for(user).webhook_secret).verify(request["body"], request["headers"])
        assert payload["jobId"] == job.public_id and payload["event"] == "render.completed"
        assert set(payload) >= {
            "event",
            "jobId",
            "status",
            "outputUrl",
            "template",
            "format",
            "duration",
            "timestamp",
        }
        delivery.refresh_from_db()
        assert delivery.status == "succeeded" and delivery.attempts == 1
    finally:
        receiver.close()


def test_one_delivery_per_job_and_event(job):
    receiver = Receiver()
    try:
        assert make_delivery(job, receiver.url) is not None
        assert webhooks.delivery_create(job=job, event="render.completed", output_url=None) is None
        assert WebhookDelivery.objects.count() == 1
    finally:
        receiver.close()


def test_failures_retry_on_the_schedule_with_the_same_id_then_redeliver(job, user_api):
    receiver = Receiver(status=500)
    try:
        delivery = make_delivery(job, receiver.url)
        delay = webhooks.attempt(delivery.pk)
        assert 4_500 <= delay <= 5_500  # about 5 s, with jitter
        delay = webhooks.attempt(delivery.pk)
        assert 270_000 <= delay <= 330_000  # about 5 min
        delivery.refresh_from_db()
        assert delivery.status == "pending" and delivery.attempts == 2 and delivery.last_status_code == 500
        assert list(WebhookAttempt.objects.values_list("number", "ok", "status_code")) == [(1, False, 500),
                                                                                           (2, False, 500)]  # fmt: skip
        receiver.status = 200
        response = user_api.post(f"/api/webhooks/deliveries/{delivery.public_id}/redeliver")
        assert response.status_code == 202
        assert webhooks.attempt(delivery.pk) is None
        delivery.refresh_from_db()
        assert delivery.status == "succeeded" and delivery.attempts == 3
        assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
        listed = user_api.get("/api/webhooks/deliveries").json()[0]
        assert (
            listed["attempts"] == 3 and listed["status"] == "succeeded" and listed["jobId"] == job.public_id
        )
    finally:
        receiver.close()


def test_gives_up_after_the_last_scheduled_attempt(job):
    receiver = Receiver(status=503)
    try:
        delivery = make_delivery(job, receiver.url)
        delays = [webhooks.attempt(delivery.pk) for _ in range(len(settings.WEBHOOK_RETRY_SCHEDULE) + 1)]
        assert delays[-1] is None and all(d is not None for d in delays[:-1])
        delivery.refresh_from_db()
        assert delivery.status == "failed" and delivery.attempts == len(settings.WEBHOOK_RETRY_SCHEDULE) + 1
    finally:
        receiver.close()


class _Redirect(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_redirects_are_not_followed(job):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        delivery = make_delivery(job, f"http://127.0.0.1:{server.server_address[1]}/hook")
        assert webhooks.attempt(delivery.pk) is not None
        attempt = WebhookAttempt.objects.get()
        assert not attempt.ok and "redirect" in attempt.error
    finally:
        server.shutdown()


def test_receiver_down_is_logged_not_raised(job):
    delivery = make_delivery(job, "http://127.0.0.1:9/hook")  # discard port: nothing listens
    assert webhooks.attempt(delivery.pk) is not None
    assert WebhookAttempt.objects.get().error


def test_url_that_became_unsafe_is_refused_at_send_time(job, settings):
    receiver = Receiver()
    try:
        delivery = make_delivery(job, receiver.url)
        settings.LOOPWIND_SSRF_ALLOW = []
        webhooks.attempt(delivery.pk)
        assert receiver.requests == []
        assert "unsafe" in WebhookAttempt.objects.get().error
    finally:
        receiver.close()


def test_payload_is_stable_across_retries(job):
    receiver = Receiver(status=500)
    try:
        delivery = make_delivery(job, receiver.url)
        webhooks.attempt(delivery.pk)
        webhooks.attempt(delivery.pk)
        bodies = [json.loads(r["body"]) for r in receiver.requests]
        assert bodies[0] == bodies[1]
    finally:
        receiver.close()
