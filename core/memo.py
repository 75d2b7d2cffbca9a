"""Bounded per-process maps, least recently used out first, shared by a process's threads. For
values that are pure functions of their keys (content-addressed bytes, a request's parse), which
no invalidation ever needs to reach."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class Memo:
    """At most ``size`` items."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def computed(self, key, compute):
        """The value kept for ``key``, else ``compute()``, kept (for values that are pure
        functions of their key: two threads computing one at once do no harm)."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value


class BytesMemo:
    """Byte strings up to ``max_bytes`` in all; one larger than ``max_item`` is not kept."""

    def __init__(self, max_bytes: int, max_item: int):
        self.max_bytes, self.max_item = max_bytes, max_item
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_item or len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = value
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
