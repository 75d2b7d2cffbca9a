"""Request ids in every log line, JSON logs when LOG_FORMAT=json, and Prometheus metrics.

Metrics: render durations (by format and cache outcome), job outcomes, and the queue depth
read from the broker at scrape time. Under gunicorn set PROMETHEUS_MULTIPROC_DIR so every
worker process's counts are summed; /metrics needs ``Authorization: Bearer $METRICS_TOKEN``
and is a 404 while METRICS_TOKEN is unset."""

from __future__ import annotations

import contextvars
import hmac
import logging
import os
import re
import uuid

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

RENDER_SECONDS = Histogram(
    "loopwind_render_seconds",
    "Time to answer a render, by output format and render cache outcome",
    ["format", "cache"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
JOB_OUTCOMES = Counter("loopwind_render_jobs_total", "Async render jobs by final status", ["status"])
QUEUE_DEPTH = Gauge(
    "loopwind_queue_depth", "Messages waiting in each Dramatiq queue", ["queue"], multiprocess_mode="livemax"
)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    """Takes X-Request-Id from the proxy when it looks sane, else makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = request_id
        return response


def _queue_depths() -> dict[str, int]:
    import dramatiq

    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is None:
        return {}
    return {queue: int(client.hlen(f"{broker.namespace}:{queue}.msgs")) for queue in sorted(broker.queues)}


def metrics(request):
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise Http404()
    try:
        for queue, depth in _queue_depths().items():
            QUEUE_DEPTH.labels(queue=queue).set(depth)
    except Exception:  # the broker being down must not take the metrics down
        logging.getLogger(__name__).warning("queue depth unavailable", exc_info=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
