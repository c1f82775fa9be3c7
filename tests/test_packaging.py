"""The wheel carries everything the installed package needs (tests run against the source tree)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_contents(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("annexa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "annexa/collector/cli.py",
        "annexa/connectors/aws/s3.py",
        "annexa/mappings/catalogue.csv",
        "annexa/mappings/rulesets/aws/iam.toml",
        "annexa/store/migrations/env.py",
        "annexa/store/migrations/script.py.mako",
        "annexa/store/migrations/versions/0001_initial.py",
    ):
        assert required in names, required
    for ruleset in (ROOT / "mappings" / "rulesets").rglob("*.toml"):
        assert f"annexa/mappings/{ruleset.relative_to(ROOT / 'mappings')}" in names
    entry_points = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("entry_points.txt")))
        .decode()
    )
    assert (
        "[annexa.connectors]" in entry_points
        and "annexa = annexa.collector.cli:main" in entry_points
    )
    assert not any(n.startswith(("tests/", "collector/", "store/")) for n in names)
