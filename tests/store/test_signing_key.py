"""The signing key is created once, whole, even when several first runs race for it."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from annexa.store import Signer


def test_racing_first_runs_share_one_complete_key(tmp_path: Path) -> None:
    for attempt in range(20):
        path = tmp_path / f"key-{attempt}.pem"
        with ThreadPoolExecutor(8) as pool:
            signers = list(pool.map(Signer.load_or_create, [path] * 8))
        assert len({s.key_id for s in signers}) == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
