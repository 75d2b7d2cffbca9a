"""Sending work to the queue. With Redis, a separate `manage.py rundramatiq` worker takes it;
without (the embedded default), a worker thread in this process does.

Work is sent by actor name: the actors (rendering/tasks.py) call into the modules that send to
them, so naming them here keeps those modules free of an import cycle. RenderingConfig.ready
imports the actors in every process, so a name always resolves."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import dramatiq
from django.core.cache import cache
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name

from rendering.errors import QueueUnavailable

logger = logging.getLogger(__name__)

# The actors' names (rendering/tasks.py declares each under its name).
RENDER_JOB = "render_job"
RENDER_JOB_PRIORITY = "render_job_priority"
DELIVER_WEBHOOK = "deliver_webhook"
CLEANUP_OUTPUTS = "cleanup_outputs"
FLUSH_RENDER_COUNTS = "flush_render_counts"
RENDER_VERSION_PREVIEW = "render_version_preview"
RENDER_BATCH_CHUNK = "render_batch_chunk"
# How soon after the work they follow up on the upkeep actors run (enqueue_once).
UPKEEP_DELAY_MS = {CLEANUP_OUTPUTS: 3600 * 1000, FLUSH_RENDER_COUNTS: 60 * 1000}
_embedded_worker: dramatiq.Worker | None = None
_lock = threading.Lock()


def _ensure_embedded_worker(broker) -> None:
    global _embedded_worker
    with _lock:
        if _embedded_worker is None:
            _embedded_worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=250)
            _embedded_worker.start()


@contextlib.contextmanager
def _broker_down_is_503():
    try:
        yield
    except Exception as exc:  # redis.ConnectionError, timeouts: the broker is down
        logger.warning("queue unavailable: %s", exc)
        raise QueueUnavailable() from exc


def enqueue(actor_name: str, *args, delay_ms: int | None = None) -> None:
    """Sends a message; a broker that cannot take it is a 503 ``queue_unavailable``, not a 500."""
    broker = dramatiq.get_broker()
    actor = broker.get_actor(actor_name)
    if isinstance(broker, StubBroker):
        _ensure_embedded_worker(broker)
    with _broker_down_is_503():
        actor.send_with_options(args=args, delay=delay_ms)


# Per actor, until when (this process's monotonic clock) the marker enqueue_once saw last is known
# to stand: no call can schedule anything before then, so none needs to ask Redis (issue 14: one
# round trip less on every uncached render).
_marked_until: dict[str, float] = {}
MARKER_MARGIN_S = 5  # before the marker's end: its TTL's rounding, and a worker's clock running ahead


def enqueue_once(actor_name: str) -> None:
    """Upkeep without a separate scheduler: whoever does the work an upkeep actor follows up on
    calls this, and at most one message for it is pending, due UPKEEP_DELAY_MS from the first
    call. Best effort: a broker or cache that is down only postpones it to a later call.

    While the marker stands, a call can only find it there (and schedule nothing), and the message
    scheduled with it runs no earlier than the marker ends, after any work done meanwhile: so once a
    process has seen the marker, it skips the calls until shortly before the marker's end."""
    delay = UPKEEP_DELAY_MS[actor_name]
    now = time.monotonic()
    if now < _marked_until.get(actor_name, 0.0):
        return
    marker = f"rendering:{actor_name}-scheduled"
    try:
        if cache.add(marker, 1, timeout=delay // 1000):
            enqueue(actor_name, delay_ms=delay)
            left = delay // 1000
        else:
            left = cache.ttl(marker) if hasattr(cache, "ttl") else 0  # django-redis; seconds, None: none
        if left:
            _marked_until[actor_name] = now + left - MARKER_MARGIN_S
    except Exception:
        logger.warning("could not schedule %s", actor_name, exc_info=True)


def held_arguments(*actor_names: str) -> set:
    """The first argument of every message the broker still holds for ``actors``: waiting, delayed
    (a retry), or taken by a worker and not yet acknowledged (Dramatiq gives those back itself when
    that worker dies). Read from Redis with HSCAN, a page at a time; an empty set for a broker that
    cannot be asked. A broker that does not answer is a 503 ``queue_unavailable``."""
    held = set()
    with _broker_down_is_503():
        for actor in map(dramatiq.get_broker().get_actor, actor_names):
            broker = actor.broker
            if not isinstance(broker, RedisBroker):
                continue
            for name in (actor.queue_name, dq_name(actor.queue_name)):
                for _, raw in broker.client.hscan_iter(f"{broker.namespace}:{name}.msgs", count=500):
                    message = dramatiq.Message.decode(raw)
                    if message.actor_name == actor.actor_name and message.args:
                        held.add(message.args[0])
    return held
