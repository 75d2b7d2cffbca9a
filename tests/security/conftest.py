"""The security suite reuses the rendering fixtures (published templates, a private one) and adds
``objects``: one of every kind of thing a user owns, for the IDOR and scope matrices."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import api_key_create
from core import files as stored_files
from rendering.models import BatchRow, JobOutput, RenderBatch, RenderJob, WebhookDelivery
from templates_registry.services import template_publish
from tests.rendering.conftest import private_template, published, published_video  # noqa: F401
from tests.templates_registry.helpers import example_files


@pytest.fixture
def objects(user, other_user):
    user.plan = other_user.plan = "business"
    user.save(update_fields=["plan"])
    other_user.save(update_fields=["plan"])
    public = template_publish(user=user, files=example_files("og-card")).template
    private = template_publish(user=user, files=example_files("og-card"), name="secret-card", private=True)
    private = private.template
    version = private.latest_version
    job = RenderJob.objects.create(
        user=user,
        template=public,
        version=public.latest_version,
        props={"title": "x"},
        format="png",
        status="completed",
        completed_at=timezone.now(),
        duration_ms=10,
        webhook_url="https://example.com/hook",
    )
    stored_files.file_save("outputs/idor/out.png", b"\x89PNG fake")
    JobOutput.objects.create(
        job=job,
        name="outputs/idor/out.png",
        size=9,
        content_type="image/png",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    delivery = WebhookDelivery.objects.create(
        user=user, job=job, event="render.completed", url="https://example.com/hook", payload={}
    )
    batch = RenderBatch.objects.create(
        user=user, template=public, version=public.latest_version, format="png", status="completed",
        total_rows=1, completed_at=timezone.now(),
    )  # fmt: skip
    BatchRow.objects.create(batch=batch, number=1, filename="00001.png", props={"title": "x"}, status="failed",
                            error_code="render_failed", error_message="x")  # fmt: skip
    key, _ = api_key_create(user=user, name="owner key")
    return {
        "u": user.username,
        "pub": public.name,
        "priv": private.name,
        "v": version.version,
        "job": job.public_id,
        "batch": batch.public_id,
        "delivery": delivery.public_id,
        "key": key.public_id,
    }


TIME_BUDGET = 15.0  # seconds a hostile request may take: RENDER_TIME_LIMIT (10 s) plus the round trip


@pytest.fixture
def business(user_api, user):
    user.plan = "business"
    user.save(update_fields=["plan"])
    return user_api


def timed_request(call):
    """A request with a hostile template: answered within the time budget, and never with a 5xx."""
    start = time.monotonic()
    response = call()
    elapsed = time.monotonic() - start
    assert elapsed < TIME_BUDGET, elapsed
    assert response.status_code < 500, (response.status_code, response.content[:300])
    return response


def assert_no_leak(content: bytes) -> None:
    # what a successful escape would show: Python objects, tracebacks, secrets, /etc/passwd
    for marker in (b"<class '", b"<function ", b"<module ", b"Traceback", b"SECRET_KEY", b"root:x:0:0"):
        assert marker not in content
