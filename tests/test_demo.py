"""`annexa demo`, the README's first command, end to end in a fresh process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from annexa.connectors.registry import connector_registry


def annexa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from annexa.collector.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def expected_units() -> int:
    """Every registered AWS connector: one unit if global, one per demo region if regional."""
    loaded, failures = connector_registry().load_all()
    assert not failures
    return sum(2 if c.regional else 1 for c in loaded.values() if c.provider == "aws")


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    result = annexa("demo", "--dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"complete: {expected_units()} units" in out and "Signed at chain position 1" in out
    for control in ("A.5.15", "A.8.2", "A.8.5", "A.8.9", "A.8.15", "A.8.16", "A.8.24"):
        assert control in out
    assert (tmp_path / "annexa-demo.db").exists() and (tmp_path / "annexa-demo.key").exists()

    with sqlite3.connect(tmp_path / "annexa-demo.db") as db:
        statuses = dict(
            db.execute("SELECT status, count(*) FROM evaluations GROUP BY status").fetchall()
        )
        body = b"".join(row[0].encode() for row in db.execute("SELECT body FROM payloads"))
    assert statuses["pass"] > 10 and statuses["fail"] > 10 and statuses.get("error", 0) >= 1
    assert b"[REDACTED:secret-key-name]" in body and b"ghp_" not in body

    config = tmp_path / "annexa-demo.toml"
    verify = annexa("verify", "--config", str(config), cwd=tmp_path)
    assert verify.returncode == 0 and "OK: 1 run(s)" in verify.stdout
    findings = annexa(
        "findings", "--config", str(config), "--status", "fail", "--format", "csv", cwd=tmp_path
    )
    assert findings.returncode == 0 and "arn:aws:s3:::acme-public-website" in findings.stdout

    again = annexa("demo", "--dir", str(tmp_path), cwd=tmp_path)  # a second run extends the chain
    assert again.returncode == 0 and "Signed at chain position 2" in again.stdout
    assert annexa("verify", "--config", str(config), cwd=tmp_path).returncode == 0
