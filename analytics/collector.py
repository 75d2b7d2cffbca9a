"""Counting API requests without slowing them: each process adds every request to counters in its
own memory (a dict update under a lock, a few microseconds), and a background thread hands what
it counted to the worker every ANALYTICS_FLUSH_SECONDS as one record on a durable Redis list
(core.durablelog); the worker adds it to the rollups (analytics.services). A process that is
killed loses at most its last few seconds of counts, never a render, a charge or a response."""

from __future__ import annotations

import atexit
import bisect
import json
import logging
import os
import threading
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from analytics.models import LATENCY_BOUNDS_MS
from analytics.schedule import LOG

logger = logging.getLogger(__name__)
ERRORS_PER_ACCOUNT_MINUTE = 20  # sampled error records a process keeps per account a minute
BUFFER_LIMIT = 50_000  # groups held before a flush is forced (a flood of distinct templates)


class Collector:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple, list] = {}
        self._errors: list[list] = []
        self._sampled: dict[tuple[int, int], int] = {}
        self._pid = 0
        self._wake = threading.Event()

    def record(self, *, account_id: int, key_id: str, route: str, template: str, fmt: str, status: int,
               cache: str, latency_ms: float, error: dict | None = None) -> None:  # fmt: skip
        now = time.time()
        minute = int(now // 60) * 60
        group = (minute, account_id, key_id, route, template, fmt, f"{status // 100}xx", cache)
        bucket = bisect.bisect_left(LATENCY_BOUNDS_MS, latency_ms)
        with self._lock:
            counts = self._counts.get(group)
            if counts is None:
                counts = self._counts[group] = [0, 0, 0, 0.0, {}]
            counts[0] += 1
            if status >= 400:
                counts[1] += 1
            elif cache == "miss":
                counts[2] += 1
            counts[3] += latency_ms
            counts[4][bucket] = counts[4].get(bucket, 0) + 1
            if error is not None:
                sampled = self._sampled.get((minute, account_id), 0)
                if sampled < ERRORS_PER_ACCOUNT_MINUTE:
                    self._sampled[(minute, account_id)] = sampled + 1
                    self._errors.append([datetime.fromtimestamp(now, UTC).isoformat(), account_id, status,
                                         error.get("code", ""), error.get("message", ""), route,
                                         error.get("path", ""), error.get("keyPrefix", ""),
                                         error.get("requestId", ""), template])  # fmt: skip
            full = len(self._counts) >= BUFFER_LIMIT
        self._ensure_flusher()
        if full:
            self._wake.set()

    def take(self) -> dict | None:
        """What was counted since the last take, as one record (None when nothing was)."""
        with self._lock:
            counts, errors = self._counts, self._errors
            self._counts, self._errors, self._sampled = {}, [], {}
        if not counts and not errors:
            return None
        return {
            "id": uuid.uuid4().hex,
            "buckets": [[*group, *values] for group, values in counts.items()],
            "errors": errors,
        }

    def flush(self) -> bool:
        """Hands the counts to the worker (or, without a Redis broker, writes them); True when there
        was something to hand over."""
        from analytics import schedule, services  # late: services imports billing's plans

        record = self.take()
        if record is None:
            return False
        if LOG.push(json.dumps(record, separators=(",", ":"))):
            schedule.flush_soon()
            return True
        try:
            services.analytics_apply([record])
        except Exception:
            logger.warning("analytics lost a flush of %d groups", len(record["buckets"]), exc_info=True)
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()
        return True

    def _ensure_flusher(self) -> None:
        if self._pid == os.getpid() or not settings.ANALYTICS_FLUSH_SECONDS:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # a forked gunicorn worker starts its own thread
            self._wake = threading.Event()
        threading.Thread(target=self._run, name="analytics-flush", daemon=True).start()
        atexit.register(self._flush_quietly)

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.ANALYTICS_FLUSH_SECONDS)
            self._wake.clear()
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.warning("analytics flush failed", exc_info=True)


collector = Collector()
