"""Sharding targets: parsing, the environment, stable assignments, balance, `collect --shard`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.collector.shard import Shard, ShardError, resolve_shard, shard_of
from annexa.store import Store


def test_parse() -> None:
    assert Shard.parse("0/3") == Shard(0, 3)
    assert Shard.parse(" 2 / 3 ") == Shard(2, 3)
    assert str(Shard.parse("1/2")) == "1/2"
    for bad, message in (
        ("3/3", r"--shard: shard index must be 0\.\.2 for 3 shard\(s\) \(0-based\), got 3"),
        ("1/0", "--shard: shard count must be at least 1, got 0"),
        ("-1/3", r"--shard: expected i/N \(e\.g\. 0/3, 0-based\), got '-1/3'"),
        ("1", "expected i/N"),
        ("a/b", "expected i/N"),
        ("1/2/3", "expected i/N"),
    ):
        with pytest.raises(ShardError, match=message):
            Shard.parse(bad, source="--shard")


def test_from_environment() -> None:
    assert Shard.from_env({}) is None
    assert Shard.from_env({"ANNEXA_SHARD": "1/4"}) == Shard(1, 4)
    indexed = {"JOB_COMPLETION_INDEX": "2", "ANNEXA_SHARD_COUNT": "3"}
    assert Shard.from_env(indexed) == Shard(2, 3)
    assert Shard.from_env({**indexed, "ANNEXA_SHARD": "0/2"}) == Shard(0, 2)  # explicit wins
    assert Shard.from_env({"JOB_COMPLETION_INDEX": "2"}) is None  # a Job that does not shard
    with pytest.raises(ShardError, match="ANNEXA_SHARD_COUNT is set but JOB_COMPLETION_INDEX"):
        Shard.from_env({"ANNEXA_SHARD_COUNT": "3"})
    with pytest.raises(ShardError, match=r"JOB_COMPLETION_INDEX and ANNEXA_SHARD_COUNT: .* got 3"):
        Shard.from_env({"JOB_COMPLETION_INDEX": "3", "ANNEXA_SHARD_COUNT": "3"})
    with pytest.raises(ShardError, match="ANNEXA_SHARD: expected i/N"):
        Shard.from_env({"ANNEXA_SHARD": "first"})
    assert resolve_shard("0/2", {"ANNEXA_SHARD": "1/2"}) == Shard(0, 2)
    assert resolve_shard(None, {"ANNEXA_SHARD": "1/2"}) == Shard(1, 2)


def test_assignments_are_fixed() -> None:
    # SHA-256 of the name, first 8 bytes big-endian, mod N: `printf acme | sha256sum` starts
    # 822b33ad87c148a0, which is 0 mod 3. These must never change between releases.
    expected = {"acme": 0, "globex": 1, "initech": 1, "umbrella": 2, "prod-org": 0}
    assert {name: shard_of(name, 3) for name in expected} == expected
    assert [Shard(i, 3).select(expected) for i in range(3)] == [
        ["acme", "prod-org"],
        ["globex", "initech"],
        ["umbrella"],
    ]
    assert Shard(4, 5).owns("globex") and not Shard(0, 5).owns("globex")
    assert Shard(0, 1).select(["a", "b"]) == ["a", "b"]


def test_every_name_has_exactly_one_shard_and_the_split_is_balanced() -> None:
    names = [f"account-{i:04d}" for i in range(1000)]
    owners = Counter(i for name in names for i in range(4) if Shard(i, 4).owns(name))
    assert sum(owners.values()) == 1000
    assert all(200 <= n <= 300 for n in owners.values()), owners


def write_config(tmp_path: Path, endpoint: str) -> Path:
    targets = "".join(
        f"""
[[targets]]
name = "{name}"
provider = "aws"
regions = ["us-east-1"]
endpoint_url = "{endpoint}"
connectors = ["aws.s3"]
"""
        for name in ("acme", "globex", "initech")
    )
    path = tmp_path / "annexa.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "evidence.db"}"\n'
        f'[signing]\nkey_path = "annexa.key"\n{targets}'
    )
    return path


def test_collect_shard_option(moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = str(write_config(tmp_path, moto))
    runner = CliRunner()
    result = runner.invoke(main, ["collect", "--config", config, "--quiet", "--shard", "1/3"])
    assert result.exit_code == 0, result.output
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    run = store.run()
    assert run is not None and {u.target for u in store.units(run.id)} == {"globex", "initech"}
    store.close()

    monkeypatch.setenv("JOB_COMPLETION_INDEX", "2")
    monkeypatch.setenv("ANNEXA_SHARD_COUNT", "3")
    args = ["collect", "--config", config, "--quiet", "--target", "acme"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0
    assert result.output == "Shard 2/3 owns none of the targets: nothing to collect.\n"

    result = runner.invoke(main, ["collect", "--config", config, "--shard", "3/3"])
    assert result.exit_code == 2
    assert "--shard: shard index must be 0..2 for 3 shard(s) (0-based), got 3" in result.output
