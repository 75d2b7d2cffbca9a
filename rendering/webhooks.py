"""Webhooks, signed the Standard Webhooks way (webhook-id, webhook-timestamp,
webhook-signature) and with the spec's ``X-Loopwind-Signature: sha256=…``. Retried with
backoff and jitter, always with the same webhook-id; every attempt is recorded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from core.errors import ApiError
from core.ids import public_id
from core.netsafe import post_webhook
from rendering.models import RenderJob, WebhookAttempt, WebhookDelivery
from rendering.queue import DELIVER_WEBHOOK, enqueue
from rendering.selectors import delivery_get
from rendering.services import secrets_for

logger = logging.getLogger(__name__)
JITTER = 0.1  # of each delay in settings.WEBHOOK_RETRY_SCHEDULE


def payload_for(job: RenderJob, event: str, output_url: str | None) -> dict:
    payload = {
        "event": event,
        "jobId": job.public_id,
        "status": job.status,
        "outputUrl": output_url,
        "template": job.template.slug,
        "format": job.format,
        "duration": job.duration_ms,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
    }
    if job.status == RenderJob.Status.FAILED:
        payload["error"] = {"code": job.error_code, "message": job.error_message}
    return payload


def delivery_create(*, job: RenderJob, event: str, output_url: str | None) -> WebhookDelivery | None:
    """One delivery per job and event, held by a unique constraint (a job that runs twice after
    a crash still sends one webhook). Returns None when it already exists."""
    if not job.webhook_url:
        return None
    delivery, created = WebhookDelivery.objects.get_or_create(
        job=job,
        event=event,
        defaults={
            "user": job.user,
            "url": job.webhook_url,
            "payload": payload_for(job, event, output_url),
            "message_id": public_id("msg", 24),
        },
    )
    return delivery if created else None


def sign(secret: str, message_id: str, timestamp, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(message_id, timestamp, body)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    legacy = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "X-Loopwind-Signature": f"sha256={legacy}",
        "Content-Type": "application/json",
        "User-Agent": "loopwind-webhooks/1.0",
    }


def attempt(delivery_id: int) -> int | None:
    """One delivery attempt. Returns the delay in ms before the next one, or None when done."""
    delivery = WebhookDelivery.objects.select_related("user").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    now = timezone.now()
    headers = sign(secrets_for(delivery.user).webhook_secret, delivery.message_id, now, body)
    result = post_webhook(delivery.url, body=body.encode(), headers=headers)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            ok=result.ok,
            status_code=result.status,
            error=(result.error or "")[:500],
            response_excerpt=result.response_excerpt,
            duration_ms=result.duration_ms,
        )
        delivery.last_status_code = result.status
        delivery.last_error = (result.error or "")[:500]
        delay = None
        if result.ok:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif delivery.attempts > len(settings.WEBHOOK_RETRY_SCHEDULE):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            seconds = settings.WEBHOOK_RETRY_SCHEDULE[delivery.attempts - 1]
            seconds *= 1 + random.uniform(-JITTER, JITTER)  # noqa: S311 - jitter, not security
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=seconds)
            delay = int(seconds * 1000)
        delivery.save()
    return delay


@transaction.atomic
def webhook_redeliver(*, user, delivery_id: str) -> WebhookDelivery:
    """Sends a delivery again now, with the same webhook-id, whatever its state (the API and the
    dashboard). A queue that cannot take it is a 503 and the delivery is left as it was."""
    delivery = delivery_get(user=user, delivery_id=delivery_id)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    enqueue(DELIVER_WEBHOOK, delivery.pk)  # raises queue_unavailable, rolling the reset back
    return delivery


def webhook_enqueue(delivery_id: int, delay_ms: int | None = None) -> None:
    """Queues an attempt after a job's outcome or a retry delay. A broker that is down only delays
    it: the stale-job sweep (rendering/maintenance.py) sends overdue deliveries again."""
    try:
        enqueue(DELIVER_WEBHOOK, delivery_id, delay_ms=delay_ms)
    except ApiError:
        logger.warning("webhook %s could not be queued; the stale-job sweep will send it", delivery_id)
