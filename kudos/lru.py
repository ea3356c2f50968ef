"""What a web process keeps between requests: a map that forgets the least recently used entry when full, and
that the threads of a gunicorn worker (gthread) read and fill at once."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedLRU(Generic[K, V]):
    def __init__(self, maxsize: int) -> None:
        self._items: LRUCache[K, V] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()  # a get moves the entry to the front: reads change the map too

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
