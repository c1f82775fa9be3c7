"""SIGINT/SIGTERM during a run: finish cleanly instead of dying mid-write."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """The first SIGINT or SIGTERM sets ``stop`` (the run finishes its running units, records
    the rest as interrupted and signs what it has); a second SIGINT aborts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        name = signal.Signals(signum).name
        print(
            f"annexa: {name}: stopping after the running units (Ctrl-C again to abort)",
            file=sys.stderr,
        )

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
