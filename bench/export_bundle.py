"""Benchmark: `annexa export` of a large store against a plain streaming dump, memory above all.

Seeds a SQLite store with N observations (one evaluation each) over 30 daily signed runs, then
measures, each in a subprocess of its own: the baseline, a hand-written dump that streams the
same joined evaluation/observation/payload rows into one CSV member of a ZIP (no per-control
files, no period picture, no report, no OSCAL, no signatures); and `annexa export` of the whole
period. Printed per scale: wall time, peak RSS and bundle size of each side, annexa's ratios.
Peak RSS that does not grow with N is what streaming buys.

    python bench/export_bundle.py                         # 100,000 and 1,000,000 observations
    python bench/export_bundle.py --observations 20000    # a quick look
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAYS = 30
START = date(2026, 1, 1)
BASELINE = """
import csv, io, sqlite3, sys, zipfile
db, out = sys.argv[1], sys.argv[2]
connection = sqlite3.connect(db)
query = '''SELECT e.run_id, e.seq, e.rule_id, e.status, e.reason, e.controls, o.kind,
  o.resource_id, o.account, o.region, o.observed_at, p.body FROM evaluations e
  JOIN observations o ON o.run_id = e.run_id AND o.seq = e.observation_seq
  JOIN payloads p ON p.sha256 = o.payload_sha256 ORDER BY e.run_id, e.seq'''
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as bundle:
    with bundle.open('evidence.csv', 'w', force_zip64=True) as member:
        text = io.TextIOWrapper(member, 'utf-8', newline='')
        writer = csv.writer(text)
        for row in connection.execute(query):
            writer.writerow(row)
        text.flush()
"""


def seed(path: Path, observations: int) -> None:
    """N observations of S3 buckets (a tenth public) over DAYS daily runs."""
    from annexa.connectors.records import Observation, Scope
    from annexa.store import Signer, Store, UnitRecord
    from tests.support.periods import engine, run_writer

    store = Store.open(f"sqlite:///{path / 'evidence.db'}")
    signer = Signer.load_or_create(path / "annexa.key")
    rules = engine()
    per_day = observations // DAYS
    for day_number in range(DAYS):
        day = START + timedelta(days=day_number)
        moment = datetime.combine(day, clock_time(2), UTC)
        writer = run_writer(store, signer, lambda moment=moment: moment)
        for n in range(per_day):
            public = (n + day_number) % 10 == 0
            observation = Observation(
                "aws.s3.bucket",
                f"arn:aws:s3:::bucket-{n:07d}",
                Scope("aws", "123456789012", "global"),
                {"name": f"bucket-{n:07d}", "public": public, "tags": {"team": f"t{n % 50}"}},
                moment,
            )
            writer.add_observation(1, observation, rules.evaluate(observation))
        writer.add_unit(
            UnitRecord(
                1,
                "bench/aws.s3/global",
                "bench",
                "aws.s3",
                "aws",
                "123456789012",
                "global",
                "ok",
                None,
                None,
                moment,
                moment,
                per_day,
                per_day,
                ("aws.s3.bucket",),
            )
        )
        writer.close()
    store.close()
    (path / "annexa.toml").write_text(
        f'[store]\nurl = "sqlite:///{path / "evidence.db"}"\n'
        f'[signing]\nkey_path = "{path / "annexa.key"}"\n'
        f'[rules]\npaths = ["{path / "rules.toml"}"]\n'
    )
    from tests.support.periods import RULES

    (path / "rules.toml").write_text(RULES.replace("test.", "bench."))


def measure(command: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{output.decode()}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--observations", type=int, action="append")
    args = parser.parse_args()
    print(
        f"{'observations':>12} {'side':<9} {'wall s':>7} {'RSS MB':>7} {'MB out':>7}"
        f" {'x wall':>7} {'x RSS':>6}"
    )
    for count in args.observations or [100_000, 1_000_000]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp)
            started = time.perf_counter()
            seed(path, count)
            seeded = time.perf_counter() - started
            base_out, ours_out = path / "baseline.zip", path / "evidence.zip"
            base = measure(
                [sys.executable, "-c", BASELINE, str(path / "evidence.db"), str(base_out)]
            )
            end = START + timedelta(days=DAYS - 1)
            ours = measure(
                [
                    sys.executable,
                    "-m",
                    "annexa.collector.cli",
                    "export",
                    "--config",
                    str(path / "annexa.toml"),
                    "--from",
                    START.isoformat(),
                    "--to",
                    end.isoformat(),
                    "--out",
                    str(ours_out),
                ]
            )
            sizes = base_out.stat().st_size / 1e6, ours_out.stat().st_size / 1e6
        print(f"{count:>12,} {'baseline':<9} {base[0]:>7.1f} {base[1]:>7.0f} {sizes[0]:>7.1f}")
        print(
            f"{count:>12,} {'annexa':<9} {ours[0]:>7.1f} {ours[1]:>7.0f} {sizes[1]:>7.1f}"
            f" {ours[0] / base[0]:>7.2f} {ours[1] / base[1]:>6.2f}   (seeding took {seeded:.0f} s)"
        )


if __name__ == "__main__":
    main()
