"""`annexa daemon` in a subprocess against moto: schedules, endpoints, SIGTERM, SIGKILL."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from annexa.store import Store, StoreError

CONNECTORS = ["aws.kms"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    tmp_path: Path, endpoint: str, port: int, *, cron: str = "*/2 * * * * *", grace: float = 30
) -> Path:
    path = tmp_path / "annexa.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "evidence.db"}"

[signing]
key_path = "{tmp_path / "annexa.key"}"

[collector]
max_workers = 2
max_attempts = 1

[daemon]
schedules = [{{ name = "fast", cron = "{cron}", timezone = "Europe/Berlin" }}]
grace_seconds = {grace}
http_address = "127.0.0.1"
http_port = {port}
log_format = "json"

[[targets]]
name = "acme"
provider = "aws"
regions = ["eu-west-1"]
endpoint_url = "{endpoint}"
connectors = {json.dumps(CONNECTORS)}
"""
    )
    return path


class Daemon:
    def __init__(self, config: Path, port: int) -> None:
        self.config, self.port = config, port
        self.log = config.parent / f"daemon-{time.monotonic_ns()}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "annexa.collector.cli", "daemon", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def events(self) -> list[dict]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def wait_for(check: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def runs(tmp_path: Path) -> list:
    """The store's runs, oldest first (none while the daemon has not created the store yet)."""
    if not (tmp_path / "evidence.db").exists():
        return []
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}", migrate_schema=False)
    try:
        return sorted(store.runs(limit=100), key=lambda r: r.started_at)
    except StoreError:
        return []
    finally:
        store.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()


def test_runs_on_schedule_with_health_and_metrics(moto: str, tmp_path: Path, daemons) -> None:
    port = free_port()
    daemon = Daemon(write_config(tmp_path, moto, port), port)
    daemons.append(daemon)
    wait_for(lambda: _up(daemon), 30, "healthz")
    wait_for(lambda: sum(r.status == "complete" for r in runs(tmp_path)) >= 2, 60, "two runs")
    done = [r for r in runs(tmp_path) if r.status == "complete"]
    gap = (done[1].started_at - done[0].started_at).total_seconds()
    assert 1.0 <= gap <= 5.0, gap  # every two seconds, give or take the scheduler's jitter
    assert all(r.trigger == "schedule" and r.chain_position for r in done)

    status, reason = daemon.get("/readyz")
    assert status == 200 and "store reachable" in reason
    status, body = daemon.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    complete = [
        s.value
        for s in families["annexa_runs"].samples
        if s.name == "annexa_runs_total" and s.labels.get("outcome") == "complete"
    ]
    assert status == 200 and complete and complete[0] >= 2
    last = [
        s
        for s in families["annexa_last_successful_collection_timestamp_seconds"].samples
        if s.labels.get("target") == "acme"
    ]
    assert last and last[0].value > time.time() - 60

    assert daemon.stop() == 0
    events = daemon.events()
    finished = [e for e in events if e["message"] == "collection finished"]
    assert finished and all(e.get("run_id") and e.get("schedule") == "fast" for e in finished)
    assert any(e["message"] == "unit finished" and e.get("unit") for e in events)
    assert events[-1]["message"] == "daemon stopped"
    assert all(r.status != "running" for r in runs(tmp_path))


def _up(daemon: Daemon) -> bool:
    try:
        return daemon.get("/healthz")[0] == 200
    except OSError:
        return False


def test_sigterm_mid_run_interrupts_and_exits_zero(proxy, tmp_path: Path, daemons) -> None:
    proxy.slow(3.0, service="kms")
    port = free_port()
    config = write_config(tmp_path, proxy.url, port, cron="*/1 * * * * *", grace=0.5)
    daemon = Daemon(config, port)
    daemons.append(daemon)
    wait_for(lambda: any(e["message"] == "run started" for e in daemon.events()), 60, "a run")
    assert daemon.stop() == 0
    found = runs(tmp_path)
    assert found and found[-1].status == "interrupted" and found[-1].chain_position
    assert all(r.status in ("complete", "interrupted") for r in found)


def test_sigkill_mid_run_is_interrupted_after_restart(proxy, tmp_path: Path, daemons) -> None:
    proxy.slow(3.0, service="kms")
    port = free_port()
    config = write_config(tmp_path, proxy.url, port, cron="0 0 1 1 *")  # never during the test
    config.write_text(
        config.read_text().replace("grace_seconds", "run_at_start = true\ngrace_seconds")
    )
    first = Daemon(config, port)
    daemons.append(first)
    wait_for(lambda: any(r.status == "running" for r in runs(tmp_path)), 60, "a running run")
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    [dead] = runs(tmp_path)
    assert dead.status == "running"
    proxy.rules.clear()
    second = Daemon(config, port)
    daemons.append(second)
    wait_for(lambda: any(r.status == "complete" for r in runs(tmp_path)), 60, "the next run")
    found = {r.id: r for r in runs(tmp_path)}
    assert found[dead.id].status == "interrupted" and found[dead.id].chain_position == 1
    assert second.stop() == 0


class ThrowawayPostgres:
    """A PostgreSQL server of our own on a free port, to stop and start under the daemon."""

    BIN = (
        Path("/usr/lib/postgresql")
        / (
            sorted(p.name for p in Path("/usr/lib/postgresql").iterdir())[-1]
            if Path("/usr/lib/postgresql").is_dir()
            else "none"
        )
        / "bin"
    )

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.data = root / "pgdata"
        root.mkdir(exist_ok=True)
        shutil.chown(root, "postgres")
        self._as_postgres(
            str(self.BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            str(self.BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "server.log"),
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(
            str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"
        )


@pytest.mark.postgres
@pytest.mark.skipif(not ThrowawayPostgres.BIN.is_dir(), reason="PostgreSQL server binaries absent")
def test_the_store_going_away_and_coming_back(moto: str, tmp_path: Path, daemons) -> None:
    # its own directory: the postgres user cannot enter pytest's (root-only) temporary folders
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="annexa-pg-")))
    server.start()
    try:
        port = free_port()
        config = write_config(tmp_path, moto, port)
        config.write_text(
            config.read_text().replace(
                f'url = "sqlite:///{tmp_path / "evidence.db"}"', f'url = "{server.url}"'
            )
        )
        daemon = Daemon(config, port)
        daemons.append(daemon)

        def complete() -> int:
            store = Store.open(server.url, migrate_schema=False)
            try:
                return sum(r.status == "complete" for r in store.runs(limit=200))
            except StoreError:
                return -1
            finally:
                store.close()

        wait_for(lambda: complete() >= 1, 60, "a run")
        server.stop()
        wait_for(lambda: daemon.get("/readyz")[0] == 503, 60, "not ready while the store is down")
        assert "store unreachable" in daemon.get("/readyz")[1]
        assert daemon.process.poll() is None  # still alive
        server.start()
        wait_for(lambda: daemon.get("/readyz")[0] == 200, 90, "ready again")
        count = complete()
        wait_for(lambda: complete() > count, 60, "runs again")
        store = Store.open(server.url, migrate_schema=False)
        statuses = [r.status for r in store.runs(limit=500)]
        store.close()
        assert "running" not in statuses[1:], statuses  # a cut-short run was signed as interrupted
        assert daemon.stop() == 0
        failed = [e for e in daemon.events() if "store is unreachable" in e.get("message", "")]
        assert failed, "the outage was logged"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.mark.postgres
def test_two_daemons_never_collect_one_target_at_once(
    proxy, postgres_url: str, tmp_path: Path, daemons
) -> None:
    proxy.slow(1.5, service="kms")  # runs long enough to overlap the other daemon's schedule
    started = []
    for n in range(2):
        folder = tmp_path / f"replica-{n}"
        folder.mkdir()
        port = free_port()
        config = write_config(folder, proxy.url, port, cron="*/1 * * * * *")
        config.write_text(
            config.read_text()
            .replace(f'url = "sqlite:///{folder / "evidence.db"}"', f'url = "{postgres_url}"')
            .replace(str(folder / "annexa.key"), str(tmp_path / "annexa.key"))
        )
        daemon = Daemon(config, port)
        daemons.append(daemon)
        started.append(daemon)
        if n == 0:  # one migrates the fresh database first
            wait_for(lambda d=daemon: _up(d), 60, "the first replica")

    def units() -> list:
        store = Store.open(postgres_url, migrate_schema=False)
        try:
            found = []
            for run in store.runs(limit=200):
                found += [u for u in store.units(run.id) if u.target == "acme"]
            return found
        except StoreError:
            return []
        finally:
            store.close()

    wait_for(lambda: len(units()) >= 6, 90, "six collections of the target")
    for daemon in started:
        assert daemon.stop() == 0
    intervals = sorted((u.started_at, u.finished_at) for u in units())
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end, "one target was collected by two runs at once"
    skipped = [
        e for d in started for e in d.events() if "being collected elsewhere" in json.dumps(e)
    ]
    assert skipped, "the replicas did contend for the target"
