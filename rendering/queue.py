"""Sending work to the queue. With Redis, a separate `manage.py rundramatiq` worker takes it;
without (the embedded default), a worker thread in this process does."""

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


def enqueue(actor, *args, delay_ms: int | None = None) -> None:
    """Sends a message; a broker that cannot take it is a 503 ``queue_unavailable``, not a 500."""
    broker = dramatiq.get_broker()
    if isinstance(broker, StubBroker):
        _ensure_embedded_worker(broker)
    with _broker_down_is_503():
        actor.send_with_options(args=args, delay=delay_ms)


def held_arguments(*actors: dramatiq.Actor) -> set:
    """The first argument of every message the broker still holds for ``actors``: waiting, delayed
    (a retry), or taken by a worker and not yet acknowledged (Dramatiq gives those back itself when
    that worker dies). Read from Redis with HSCAN, a page at a time; an empty set for a broker that
    cannot be asked. A broker that does not answer is a 503 ``queue_unavailable``."""
    held = set()
    with _broker_down_is_503():
        for actor in actors:
            broker = actor.broker
            if not isinstance(broker, RedisBroker):
                continue
            for name in (actor.queue_name, dq_name(actor.queue_name)):
                for _, raw in broker.client.hscan_iter(f"{broker.namespace}:{name}.msgs", count=500):
                    message = dramatiq.Message.decode(raw)
                    if message.actor_name == actor.actor_name and message.args:
                        held.add(message.args[0])
    return held
