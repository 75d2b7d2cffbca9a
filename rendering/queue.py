"""Sending work to the queue. With Redis, a separate `manage.py rundramatiq` worker takes it;
without (the embedded default), a worker thread in this process does.

Work is sent by actor name: the actors (rendering/tasks.py) call into the modules that send to
them, so naming them here keeps those modules free of an import cycle. RenderingConfig.ready
imports the actors in every process, so a name always resolves."""

from __future__ import annotations

import contextlib
import logging
import threading

import dramatiq
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
