"""What the benchmarks that serve a fake API from a subprocess share.

The script re-runs itself with ``--serve N --ready FILE``: the server process seeds its fake,
then :func:`announce` writes what clients need (a kubeconfig path, an URL) to FILE atomically.
The measuring process uses :func:`served` to start it, wait for that text and stop it, and
:func:`print_header` / :func:`print_pair` to print a baseline and annexa side by side.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aws_collect import Measured


def announce(ready: Path, text: str) -> None:
    """Hand ``text`` to the measuring process (written whole, then renamed into place)."""
    partial = ready.with_suffix(".partial")
    partial.write_text(text)
    partial.rename(ready)


@contextmanager
def served(script: str, count: int, workdir: Path, what: str) -> Iterator[str]:
    """Run ``script --serve count`` and yield what it announces; stop it afterwards."""
    ready = workdir / "ready"
    server = subprocess.Popen(
        [sys.executable, script, "--serve", str(count), "--ready", str(ready)]
    )
    try:
        while not ready.exists():
            if server.poll() is not None:
                raise RuntimeError(f"the {what} did not start")
            time.sleep(0.2)
        yield ready.read_text()
    finally:
        server.kill()
        server.wait()


def print_header(label: str, width: int) -> None:
    print(
        f"{label:>{width}} {'side':<9} {'wall s':>7} {'requests':>9} {'RSS MB':>7}"
        f" {'x wall':>7} {'x req':>6} {'x RSS':>6}"
    )


def print_pair(scale: int, width: int, base: Measured, ours: Measured) -> None:
    """The baseline's row, then annexa's with its ratios to the baseline."""
    print(
        f"{scale:>{width}} {'baseline':<9} {base.wall_s:>7.1f} {base.requests:>9}"
        f" {base.peak_rss_mb:>7.0f}"
    )
    print(
        f"{scale:>{width}} {'annexa':<9} {ours.wall_s:>7.1f} {ours.requests:>9}"
        f" {ours.peak_rss_mb:>7.0f} {ours.wall_s / base.wall_s:>7.2f}"
        f" {ours.requests / base.requests:>6.2f} {ours.peak_rss_mb / base.peak_rss_mb:>6.2f}"
    )
