"""Bad configuration: exit code 2 and a message that names the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.collector.config import ConfigError, load_config

GOOD = """
[store]
url = "sqlite:///evidence.db"

[[targets]]
name = "prod"
provider = "aws"
regions = ["eu-west-1", "us-east-1"]
"""


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "annexa.toml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["collect", "--config", str(path), *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("[store]", "[stor]"), "stor: unknown key (did you mean 'store'?)"),
        (
            GOOD.replace("regions =", "regons ="),
            "targets[0].regons: unknown key (did you mean 'regions'?)",
        ),
        (GOOD.replace("regions =", "regions = 'eu-west-1'\nx ="), "targets[0].x: unknown key"),
        (
            GOOD.replace('["eu-west-1", "us-east-1"]', '"eu-west-1"'),
            "targets[0].regions: Input should be a valid tuple (got 'eu-west-1')",
        ),
        (
            GOOD.replace('"eu-west-1", ', '"eu-west", '),
            "targets[0].regions: 'eu-west' is not an AWS region name",
        ),
        (
            GOOD + "\n[collector]\nmax_workers = 0\n",
            "collector.max_workers: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            GOOD + "\n[collector]\nmax_workers = 'many'\n",
            "collector.max_workers: Input should be a valid integer",
        ),
        (
            GOOD.replace('provider = "aws"', 'provider = "gpc"'),
            "targets[0].provider: no plugin named 'gpc'",
        ),
        (GOOD.replace('provider = "aws"\n', ""), "targets[0].provider: required key is missing"),
        (
            GOOD.replace('regions = ["eu-west-1", "us-east-1"]', ""),
            "targets[0].regions: required key is missing",
        ),
        (
            GOOD + GOOD.replace('[store]\nurl = "sqlite:///evidence.db"', ""),
            "targets[1].name: 'prod' is used by another target",
        ),
        (
            GOOD.replace('url = "sqlite:///evidence.db"', 'url = "mysql://x"'),
            "store.url: must start with sqlite://",
        ),
        (
            GOOD + '\nconnectors = ["aws.ec3"]\n',
            "targets[0].connectors: no aws connector named 'aws.ec3'",
        ),
        (
            GOOD + '\n[rules.disabled]\n"aws.s3.bucket.access-logging" = ""\n',
            "rules.disabled: disabling 'aws.s3.bucket.access-logging' needs a justification",
        ),
        (GOOD + '\n[rules.disabled]\n"aws.s3.nope" = "n/a"\n', "no rule with id 'aws.s3.nope'"),
        (
            GOOD + '\n[redaction]\npatterns = ["(unclosed"]\n',
            "redaction.patterns: '(unclosed' is not a valid regular expression",
        ),
        ("[store\nurl=1", "not valid TOML"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    code, output = run(tmp_path, text)
    assert code == 2, output
    assert "annexa: config error:" in output and message in output, output


def test_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "config file not found" in result.output


def test_default_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["collect"])
    assert result.exit_code == 2 and "annexa.toml: config file not found" in result.output
    monkeypatch.setenv("ANNEXA_CONFIG", str(tmp_path / "elsewhere.toml"))
    result = CliRunner().invoke(main, ["collect"])
    assert "elsewhere.toml: config file not found" in result.output


def test_unknown_cli_target_and_connector(tmp_path: Path) -> None:
    code, output = run(tmp_path, GOOD, "--target", "staging", "--connector", "aws.nope")
    assert (
        code == 2
        and "--target: no target named staging" in output
        and "--connector: no connector named aws.nope" in output
    )


def test_paths_are_relative_to_the_config_and_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "conf" / "annexa.toml"
    path.parent.mkdir()
    path.write_text(GOOD + '\n[signing]\nkey_path = "keys/annexa.key"\n')
    config = load_config(path)
    assert config.key_path == tmp_path / "conf" / "keys" / "annexa.key"
    assert config.store_url == "sqlite:///evidence.db"
    monkeypatch.setenv("ANNEXA_STORE_URL", "postgresql://annexa:pw@db/annexa")
    config = load_config(path)
    assert config.store_url == "postgresql://annexa:pw@db/annexa"
    assert len(config.digest()) == 64


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "annexa.toml"
    path.write_text(
        GOOD.replace("regions =", "regons =")
        + GOOD.replace('[store]\nurl = "sqlite:///evidence.db"', "")
        .replace('"prod"', '"other"')
        .replace('provider = "aws"', 'provider = "nope"')
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert len(raised.value.problems) == 3  # regons unknown, regions missing, provider unknown


def test_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    config = load_config(example)
    assert [t.provider for t in config.targets] == ["aws", "kubernetes", "gcp"]


def test_example_config_documents_every_key() -> None:
    from annexa.collector.config import FileModel
    from annexa.connectors.aws.provider import AwsTarget

    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    for section, field in FileModel.model_fields.items():
        if section == "targets":
            continue
        assert f"[{section}]" in text
        for key in field.annotation.model_fields:
            assert f"{key} =" in text or f"[{section}.{key}]" in text, (
                f"{section}.{key} is not documented"
            )
    from annexa.connectors.gcp.provider import GcpTarget
    from annexa.connectors.kubernetes.provider import KubernetesTarget

    for key in (*AwsTarget.model_fields, *KubernetesTarget.model_fields, *GcpTarget.model_fields):
        assert f"{key} =" in text, f"targets.{key} is not documented"
