"""Two runs on one store never collect the same target at the same time."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from annexa.collector.cli import main
from annexa.collector.collect import TargetsLocked, collect
from annexa.collector.config import load_config
from annexa.collector.plan import Plan
from annexa.collector.runner import RunResult
from annexa.store import Store
from annexa.store.locks import TargetLocks
from tests.support.faultproxy import FaultProxy


def write_config(tmp_path: Path, store_url: str, acme: str, globex: str) -> Path:
    path = tmp_path / "annexa.toml"
    path.write_text(
        f"""
[store]
url = "{store_url}"

[signing]
key_path = "annexa.key"

[collector]
max_attempts = 1

[[targets]]
name = "acme"
provider = "aws"
regions = ["us-east-1"]
endpoint_url = "{acme}"
connectors = ["aws.s3"]

[[targets]]
name = "globex"
provider = "aws"
regions = ["us-east-1"]
endpoint_url = "{globex}"
connectors = ["aws.s3"]
"""
    )
    return path


def run_targets(store_url: str, result: RunResult) -> set[str]:
    store = Store.open(store_url)
    try:
        return {u.target for u in store.units(result.closed.run_id)}
    finally:
        store.close()


def run_count(store_url: str) -> int:
    store = Store.open(store_url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM runs")).scalar_one())
    finally:
        store.close()


@pytest.mark.postgres
def test_a_target_being_collected_is_skipped_by_the_second_run(
    moto: str, proxy: FaultProxy, tmp_path: Path, postgres_url: str
) -> None:
    config = load_config(write_config(tmp_path, postgres_url, proxy.url, moto))
    inner: dict[str, object] = {}

    def while_first_runs(plan: Plan, run_id: str) -> None:
        # The first run holds acme's lock from here until it returns.
        inner["second"] = collect(config)
        with pytest.raises(TargetsLocked, match=r"acme \(by .* pid \d+ \(manual") as raised:
            collect(config, only_targets=["acme"])
        inner["locked"] = raised.value.holders
        inner["runs"] = run_count(postgres_url)

    first = collect(config, only_targets=["acme"], on_start=while_first_runs)
    second = inner["second"]
    assert isinstance(second, RunResult)
    assert run_targets(postgres_url, first) == {"acme"} and first.skipped_targets == {}
    assert run_targets(postgres_url, second) == {"globex"}
    assert list(second.skipped_targets) == ["acme"]
    assert re.fullmatch(r".+ pid \d+ \(manual [0-9a-f]{6}\)", second.skipped_targets["acme"])
    assert inner["locked"] == second.skipped_targets
    assert inner["runs"] == 2  # the first (running) and the second; the refused one made none
    assert run_count(postgres_url) == 2
    third = collect(config, only_targets=["acme"])  # released when the first returned
    assert run_targets(postgres_url, third) == {"acme"} and third.skipped_targets == {}


@pytest.mark.postgres
def test_concurrent_runs_collect_each_target_exactly_once(
    moto: str, proxy: FaultProxy, tmp_path: Path, postgres_url: str
) -> None:
    proxy.slow(0.5, service="s3")  # keeps acme's run (and its locks) alive a while
    config = load_config(write_config(tmp_path, postgres_url, proxy.url, proxy.url))
    Store.open(postgres_url).close()  # migrate once, outside the race
    start = threading.Barrier(2)
    outcomes: list[RunResult | TargetsLocked] = []

    def run() -> None:
        start.wait()
        try:
            outcomes.append(collect(config))
        except TargetsLocked as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    collected: list[str] = []
    skipped: set[str] = set()
    for outcome in outcomes:
        if isinstance(outcome, TargetsLocked):
            skipped |= set(outcome.holders)
        else:
            collected += sorted(run_targets(postgres_url, outcome))
            skipped |= set(outcome.skipped_targets)
    assert sorted(collected) == ["acme", "globex"]  # each once, never twice
    assert skipped == {"acme", "globex"}  # and the loser says so for every target


def test_cli_reports_skipped_targets_as_a_gap(moto: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    config = str(write_config(tmp_path, url, moto, moto))
    store = Store.open(url)
    runner = CliRunner()
    with TargetLocks(store, "replica-b pid 7") as held:
        held.acquire(["acme"])
        result = runner.invoke(main, ["collect", "--config", config, "--quiet"])
        assert result.exit_code == 1, result.output
        assert "target acme skipped: being collected by replica-b pid 7" in result.output
        assert "complete: 1 units (1 ok)" in result.output
        held.acquire(["globex"])
        result = runner.invoke(main, ["collect", "--config", config, "--quiet"])
        assert result.exit_code == 1
        assert result.output == (
            "annexa: every target is being collected elsewhere: "
            "acme (by replica-b pid 7), globex (by replica-b pid 7)\n"
        )
    assert run_count(url) == 1
    result = runner.invoke(main, ["collect", "--config", config, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output
    store.close()
