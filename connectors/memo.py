"""Reads shared by every unit of a run: computed once per session, errors included."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Memo:
    """Thread-safe compute-once cache. A failed computation is remembered and re-raised to every
    caller, so a denied account-wide read is one gap per unit, not one request per unit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[Any, threading.Lock] = {}
        self._values: dict[Any, tuple[bool, Any]] = {}

    def __call__(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                try:
                    self._values[key] = (True, compute())
                except Exception as exc:  # noqa: BLE001 (re-raised to every caller)
                    self._values[key] = (False, exc)
            ok, value = self._values[key]
        if not ok:
            raise value
        return value
