"""report.html: content, escaping, determinism and size from model fixtures; then headless Chromium
renders it (DOM dump and screenshot) without touching the network."""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import zipfile
import zlib
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from annexa.collector.export.model import (
    AttachmentRef,
    ControlPeriod,
    DayStatus,
    EvidenceRow,
    ExportMeta,
    ExportScope,
    GapEntry,
    Period,
    RunRef,
)
from annexa.collector.export.report_html import render
from annexa.collector.inventory import AiAsset
from annexa.mappings.catalogue import load_catalogue

# Read at import: the autouse fixture in conftest.py removes ANNEXA_* variables before each test.
REQUIRE_BROWSER = os.environ.get("ANNEXA_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")

PERIOD = Period(date(2024, 3, 1), date(2024, 3, 10))
FAILING = "arn:aws:iam::111122223333:user/alice"
HOSTILE = "<script>document.title='pwned'</script>"
STALE = "no fresh aws.cloudtrail.trail evidence: last collected 2024-03-06 (window 1 day)"
DENIED = 'AccessDenied: cloudtrail:DescribeTrails <b>not</b> allowed & "quoted"'
ASSET = "fraud-detector-v3"
KEY_ID = "annexa-ed25519-3f2a9c71"
COLOURS = {"pass": (0x2E, 0x7D, 0x32), "fail": (0xC6, 0x28, 0x28), "gap": (0xF0, 0xA2, 0x02)}


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def row(control: str, status: str, resource: str, day: date, reason: str, seq: int) -> EvidenceRow:
    return EvidenceRow(
        run_id=f"run-{day.isoformat()}",
        evaluation_seq=seq,
        rule_id="aws.iam.user.mfa_enabled",
        status=status,
        reason=reason,
        controls=(control,),
        severity="high",
        evaluation_hash=f"{seq:064x}",
        observation_seq=seq,
        kind="aws.iam.user",
        resource_id=resource,
        target="acme",
        provider="aws",
        account="111122223333",
        region="",
        observed_at=at(day),
        source=("iam:ListUsers",),
        attributes={"name": resource},
        gaps={},
        payload_sha256=f"{seq:02x}" * 32,
        observation_hash=f"{seq + 1:064x}",
    )


def meta(period: Period = PERIOD, runs: int = 3) -> ExportMeta:
    refs = tuple(
        RunRef(
            id=f"run-{(period.start + timedelta(days=n)).isoformat()}",
            trigger="schedule",
            started_at=at(period.start + timedelta(days=n)),
            finished_at=at(period.start + timedelta(days=n), 7),
            status="complete",
            chain_position=7 + n,
            digest="{}",
            digest_sha256=f"{n + 0xD0:02x}" * 32,
            signature="c2ln",
            key_id=KEY_ID,
        )
        for n in range(runs)
    )
    return ExportMeta(
        scope=ExportScope(period, targets=("acme",)),
        generated_at=refs[-1].finished_at or at(period.end),
        agent_version="0.5.0",
        catalogue_version="ISO/IEC 27001:2022 Annex A",
        ruleset_digests=("e" * 64,),
        runs=refs,
        key_id=KEY_ID,
        freshness_hours={"aws.iam.user.mfa_enabled": 24, "aws.cloudtrail.enabled": 24},
    )


def days_of(statuses: dict[int, str], default: str, reason: str | None = None) -> list[DayStatus]:
    out = []
    for n, day in enumerate(PERIOD.days(), start=1):
        status = statuses.get(n, default)
        out.append(
            DayStatus(
                day,
                status,
                passed=3 if status in ("pass", "fail") else 0,
                failed=2 if status == "fail" else 0,
                evidence_day=day if status in ("pass", "fail") else None,
                reason=reason if status in ("gap", "no evidence") else None,
            )
        )
    return out


def small_export() -> tuple[
    ExportMeta, list[ControlPeriod], dict[str, list[EvidenceRow]], list[GapEntry], list[AiAsset]
]:
    cat = load_catalogue()
    policy = AttachmentRef(
        control="A.5.1",
        file_name="infosec-policy-v4.pdf",
        media_type="application/pdf",
        size=123456,
        sha256="9f" * 32,
        effective_from=date(2024, 1, 15),
        effective_to=date(2025, 1, 14),
        note="approved by the board",
        added_at=at(date(2024, 1, 15)),
        path="controls/A.5.1/manual/" + "9f" * 32 + "-infosec-policy-v4.pdf",
    )
    scope_doc = AttachmentRef(
        control="A.5.1",
        file_name="isms-scope.docx",
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        size=2048,
        sha256="5c" * 32,
        effective_from=date(2024, 2, 1),
        effective_to=None,
        note="",
        added_at=at(date(2024, 2, 1)),
        path="controls/A.5.1/manual/" + "5c" * 32 + "-isms-scope.docx",
    )
    controls = [
        ControlPeriod(cat["A.5.1"], 0, days=days_of({}, "manual"), attachments=[policy, scope_doc]),
        ControlPeriod(cat["A.5.9"], 2, days=days_of({}, "pass"), passed=30, latest=at(PERIOD.end)),
        ControlPeriod(
            cat["A.8.5"],
            4,
            days=days_of({5: "fail"}, "pass"),
            passed=30,
            failed=2,
            latest=at(PERIOD.end),
        ),
        ControlPeriod(
            cat["A.8.15"],
            1,
            days=days_of({7: "gap", 8: "gap", 9: "gap"}, "pass", STALE),
            passed=7,
            gaps=3,
            latest=at(date(2024, 3, 6)),
            gap_reasons=[f"acme/aws.cloudtrail/eu-west-1: denied ({DENIED})"],
        ),
        ControlPeriod(cat["A.8.24"], 3, days=days_of({}, "no evidence", "no rule evaluated")),
    ]
    fail_day = date(2024, 3, 5)
    samples = {
        "A.8.5": [
            row("A.8.5", "fail", FAILING, fail_day, "MFA is not enabled for console access", 1),
            row("A.8.5", "fail", HOSTILE, fail_day, "MFA is not enabled & <i>never</i> was", 2),
            row("A.8.5", "pass", "arn:aws:iam::111122223333:user/bob", fail_day, "MFA enabled", 3),
            row(
                "A.8.5",
                "error",
                "arn:aws:iam::111122223333:user/carol",
                fail_day,
                "attribute missing",
                4,
            ),
        ]
    }
    gaps = [GapEntry(date(2024, 3, d), "stale", "A.8.15", "", "", "gap", STALE) for d in (7, 8, 9)]
    gaps.append(
        GapEntry(
            date(2024, 3, 4),
            "unit",
            "",
            "run-2024-03-04",
            "acme/aws.cloudtrail/eu-west-1",
            "denied",
            DENIED,
        )
    )
    inventory = [
        AiAsset(
            "model",
            "aws.sagemaker.model",
            ASSET,
            "arn:aws:sagemaker:eu-west-1:111122223333:model/fraud-detector-v3",
            "111122223333",
            "eu-west-1",
            at(PERIOD.end),
        ),
        AiAsset(
            "endpoint",
            "aws.sagemaker.endpoint",
            "fraud-api",
            "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/fraud-api",
            "111122223333",
            "eu-west-1",
            at(PERIOD.end),
        ),
    ]
    return meta(), controls, samples, gaps, inventory


def year_export(
    adversarial: bool,
) -> tuple[
    ExportMeta, list[ControlPeriod], dict[str, list[EvidenceRow]], list[GapEntry], list[AiAsset]
]:
    """All 93 controls over 366 days, 50 samples each, a run a day. Realistic: documents-only
    controls have no rules, statuses change a few times; adversarial: every control has rules and
    its status changes every day."""
    period = Period(date(2024, 1, 1), date(2024, 12, 31))
    controls, samples, gaps = [], {}, []
    for i, control in enumerate(load_catalogue()):
        rules = 0 if control.automation == "manual" and not adversarial else 1 + i % 4
        days = []
        for j, day in enumerate(period.days()):
            if not rules:
                status = "manual"
            elif adversarial:
                status = ("pass", "fail", "gap", "pass", "no evidence")[(i + j) % 5]
            else:
                status = (
                    "fail" if 100 <= j < 110 and i % 3 == 0 else "gap" if 200 <= j < 205 else "pass"
                )
            last = day - timedelta(days=1 if adversarial else j - 199)
            reason = f"no fresh evidence: aws.s3.bucket (last collected {last}, window 24 h)"
            reason = reason if status == "gap" else None
            days.append(
                DayStatus(day, status, passed=5, failed=int(status == "fail"), reason=reason)
            )
            if status == "gap":
                gaps.append(GapEntry(day, "stale", control.id, "", "", "gap", reason or ""))
        controls.append(ControlPeriod(control, rules, days=days, passed=1000, failed=10, gaps=5))
        if rules:
            samples[control.id] = [
                row(
                    control.id,
                    ("fail", "error", "pass")[k % 3],
                    f"arn:aws:s3:::bucket-{control.id}-{k:04d}-logs",
                    period.start + timedelta(days=k),
                    "Server-side encryption is not enforced by bucket policy",
                    k,
                )
                for k in range(50)
            ]
    inventory = [
        AiAsset(
            "model",
            "aws.sagemaker.model",
            f"model-{n}",
            f"arn:aws:sagemaker:eu-west-1:111122223333:model/model-{n}",
            "111122223333",
            "eu-west-1",
            at(period.end),
        )
        for n in range(40)
    ]
    return meta(period, runs=366), controls, samples, gaps, inventory


class Links(HTMLParser):
    """Every URL-bearing attribute, every tag name, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in (
                "href",
                "src",
                "xlink:href",
                "action",
                "srcset",
                "poster",
                "data",
                "formaction",
            ):
                self.urls.append(value or "")

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


# ---- content ---------------------------------------------------------------------------------


def test_report_shows_period_scope_runs_and_verification() -> None:
    page = render(*small_export())
    assert page.startswith("<!DOCTYPE html>")
    assert "2024-03-01 to 2024-03-10 (10 days" in page
    assert "Targets in scope</dt><dd>acme</dd>" in page
    assert "2024-03-03 07:00:00 UTC (the end of the latest run included)" in page
    assert "Agent version</dt><dd>0.5.0</dd>" in page
    assert '<a href="VERIFY.txt">VERIFY.txt</a>' in page
    for n, position in enumerate((7, 8, 9)):
        assert f"<td>{position}</td>" in page
        digest = (
            f'runs/{position:06d}-run-2024-03-0{n + 1}.digest.json">{f"{n + 0xD0:02x}" * 32}</a>'
        )
        assert digest in page
    assert "<code>sha256sum -c SHA256SUMS</code>" in page
    assert page.count(KEY_ID) == 4  # the bundle's key and each run's
    assert "24 h (2 rules)" in page


def test_summary_counts_controls_by_period_and_last_day_status() -> None:
    page = render(*small_export())
    summary = page[page.index('id="summary"') : page.index('id="charts"')]
    # period: A.5.1 attached (the policy covers the end), A.5.9 pass, A.8.5 fail, A.8.15 gap,
    # A.8.24 no evidence; last day: A.8.5 and A.8.15 pass again
    assert '<tr><td><span class="st p">pass</span></td><td>1</td><td>3</td></tr>' in summary
    assert '<tr><td><span class="st t">attached</span></td><td>1</td><td>1</td></tr>' in summary
    assert '<tr><td><span class="st m">manual</span></td><td>0</td><td>0</td></tr>' in summary
    assert '<tr><td><span class="st f">fail</span></td><td>1</td><td>0</td></tr>' in summary
    assert '<tr><td><span class="st g">gap</span></td><td>1</td><td>0</td></tr>' in summary
    assert '<tr><td><span class="st n">no evidence</span></td><td>1</td><td>1</td></tr>' in summary
    assert "Evaluations in the period: 67 pass, 2 fail, 3 gap, 0 n/a" in summary


def test_control_table_and_sections_link_to_the_full_evidence() -> None:
    page = render(*small_export())
    assert (
        '<tr id="control-A.8.5"><td><a href="#evidence-A.8.5">A.8.5</a></td><td>Secure authentication</td><td>automated</td><td class="n">4</td><td class="n">30 / 2 / 0 / 0</td>'
        in page
    )
    assert (
        '<section class="control" id="evidence-A.8.5"><h3><a href="#control-A.8.5">A.8.5</a>'
        in page
    )
    assert '<a href="controls/A.8.5/evaluations.csv">evaluations.csv</a>' in page
    assert '<a href="controls/A.8.5/observations.jsonl">observations.jsonl</a>' in page
    assert "<td>1 fail, 9 pass</td>" in page  # days by status
    assert "A sample of 4 of 32 evaluations, failures and gaps first" in page
    sample = page[page.index('id="evidence-A.8.5"') : page.index('id="evidence-A.8.15"')]
    assert sample.index(FAILING) < sample.index("user/bob")  # order as given
    assert "111122223333 / \u2014" in sample and "2024-03-05 06:00:00 UTC" in sample
    assert "01" * 32 in sample  # payload sha256
    assert '<span class="st g">gap (error)</span>' in sample


def test_manual_control_shows_its_evidence_and_what_an_auditor_expects() -> None:
    page = render(*small_export())
    table_row = page[page.index('<tr id="control-A.5.1">') : page.index('<tr id="control-A.5.9">')]
    assert (
        '<a href="controls/A.5.1/manual/'
        + "9f" * 32
        + '-infosec-policy-v4.pdf">infosec-policy-v4.pdf</a>'
        in table_row
    )
    assert "effective 2024-01-15 to 2025-01-14 \u2014 approved by the board" in table_row
    assert "sha256 " + "9f" * 32 in table_row
    assert "isms-scope.docx</a> effective 2024-02-01 to further notice<br>" in table_row
    assert "approval record, review minutes" in table_row
    assert table_row.count('<span class="st t">attached</span>') == 2  # period and last day
    section = page[page.index('id="evidence-A.5.1"') : page.index('id="evidence-A.5.9"')]
    assert "evaluations.csv" not in section  # no rules, no evaluations: nothing to link


def test_gaps_are_grouped_over_consecutive_days_with_reasons() -> None:
    page = render(*small_export())
    gaps = page[page.index('id="gaps"') : page.index('id="inventory"')]
    assert "<td>2024-03-07 to 2024-03-09 (3 days)</td><td>stale</td>" in gaps
    assert STALE in gaps
    assert (
        "AccessDenied: cloudtrail:DescribeTrails &lt;b&gt;not&lt;/b&gt; allowed &amp; &quot;quoted&quot;"
        in gaps
    )
    assert gaps.index("2024-03-04") < gaps.index("2024-03-07")
    section = page[page.index('id="evidence-A.8.15"') : page.index('id="evidence-A.8.24"')]
    assert f'2024-03-07 to 2024-03-09 (3 days): <span class="st g">gap</span> {STALE}' in section
    assert "No sample included: all 10 are in the files above." in section


def test_charts_have_a_bar_per_day_and_merged_grid_cells() -> None:
    page = render(*small_export())
    daily = page[
        page.index('aria-labelledby="daily-title') : page.index('aria-labelledby="grid-title')
    ]
    assert daily.count("<g><title>") == 10
    assert "<title>2024-03-05: 1 fail, 0 gap, 2 pass, 1 other</title>" in daily
    assert "<title>2024-03-08: 0 fail, 1 gap, 2 pass, 1 other</title>" in daily
    grid = page[page.index('aria-labelledby="grid-title') :]
    grid = grid[: grid.index("</svg>")]
    a85 = [t for t in re.findall(r"<title>(A\.8\.5 [^<]*)</title>", grid)]
    assert a85 == [
        "A.8.5 2024-03-01 to 2024-03-04 (4 days): pass",
        "A.8.5 2024-03-05: fail (3 pass, 2 fail, 0 gap)",
        "A.8.5 2024-03-06 to 2024-03-10 (5 days): pass",
    ]
    assert f"A.8.15 2024-03-07 to 2024-03-09 (3 days): gap \u2014 {STALE}" in grid
    assert "A.5.1 " not in grid  # manual, no rules: not drawn
    assert "<td>2024-03-01 to 2024-03-04 (4 days)</td>" in page  # text alternative of the bars


def test_inventory_lists_ai_assets() -> None:
    page = render(*small_export())
    inventory = page[page.index('id="inventory"') :]
    assert "1 endpoint, 1 model." in inventory
    assert f"<td>model</td><td>{ASSET}</td>" in inventory


def test_evidence_strings_are_escaped() -> None:
    page = render(*small_export())
    assert HOSTILE not in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "MFA is not enabled &amp; &lt;i&gt;never&lt;/i&gt; was" in page
    parser = Links()
    parser.feed(page)
    assert len(parser.scripts) == 1 and "beforeprint" in parser.scripts[0]


def test_page_references_nothing_on_the_network() -> None:
    page = render(*small_export())
    parser = Links()
    parser.feed(page)
    assert parser.urls  # anchors, VERIFY.txt, evidence files
    for url in parser.urls:
        assert not re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, re.IGNORECASE), url
    assert not parser.tags & {"link", "img", "iframe", "object", "embed", "video", "audio", "base"}
    assert "url(" not in page and "@import" not in page


def test_output_is_deterministic() -> None:
    assert render(*small_export()) == render(*small_export())


@pytest.mark.parametrize("adversarial", [False, True], ids=["realistic", "daily-changes"])
def test_a_year_of_93_controls_stays_small(adversarial: bool) -> None:
    export = year_export(adversarial)
    started = time.perf_counter()
    page = render(*export)
    elapsed = time.perf_counter() - started
    size = len(page.encode())
    assert page == render(*export)
    assert page.count('<section class="control"') == 93
    assert page.count("<g><title>") == 366 + (93 if adversarial else 0)
    grid = page[page.index('aria-labelledby="grid-title') :]
    grid = grid[: grid.index("</svg>")]
    if adversarial:  # 93 x 366 cells: one path per status and one tooltip per row
        assert grid.count("<rect") == 0
        assert "<title>A.8.5: days 73 fail, 73 gap, 147 pass, 73 no evidence (see" in grid
    else:  # every run of days has its own cell and tooltip
        assert grid.count("<rect") == 32 * 3 + 9 * 2  # pass, gap, pass; 9 also fail for 10 days
        assert (
            "A.8.5 2024-07-19 to 2024-07-23 (5 days): gap \u2014 no fresh evidence: aws.s3.bucket (last collected 2024-07-18, window 24 h)"
            in grid
        )
    assert size < (3_500_000 if adversarial else 1_000_000), size
    assert elapsed < 5, elapsed


# ---- the browser -----------------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    if CHROMIUM is None:
        if REQUIRE_BROWSER:
            pytest.fail(
                "ANNEXA_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install -y chromium)"
            )
        pytest.skip(
            "chromium is not installed (apt-get install -y chromium); set ANNEXA_REQUIRE_BROWSER=1 to fail instead"
        )
    return CHROMIUM


# Chromium's own services (time, component updates, sign-in) call Google even with background
# networking disabled; any other host would be the page's doing.
BROWSER_SERVICES = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com)$")


class ConnectionTrap:
    """A local TCP listener set as the browser's proxy: every request the browser makes, to any
    host, arrives here (and fails), so none leaves the machine and each one is recorded."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.requests.append(conn.recv(300).split(b"\r\n")[0].decode("latin-1"))
                except OSError:
                    self.requests.append("")

    def page_hosts(self) -> set[str]:
        """Hosts requested other than the browser's own services (fonts count as the page's)."""
        hosts = set()
        for line in self.requests:
            target = line.split(" ")[1] if " " in line else line
            host = re.sub(r"^[a-z]+://", "", target).split("/")[0].rsplit(":", 1)[0]
            if not BROWSER_SERVICES.search(host) or host.startswith("fonts."):
                hosts.add(host)
        return hosts

    def __enter__(self) -> ConnectionTrap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)  # let the last connection be read
        self._stop.set()
        self._thread.join()
        self.sock.close()


def run_chromium(binary: str, tmp_path: Path, *args: str) -> tuple[str, set[str]]:
    """Run headless Chromium on a fresh profile behind a trap proxy: stdout and the hosts the page
    requested."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    with ConnectionTrap() as trap:
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--force-color-profile=srgb", f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{trap.port}", "--proxy-bypass-list=<-loopback>",
            *args,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout, trap.page_hosts()


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and unfiltered rows of an 8-bit RGB(A) non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    low, high = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
    prev, rows = bytes(stride), []
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        if kind == 2:  # Up, the common case: a bytewise add done on whole-row integers
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big"))
        elif kind:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + up) // 2
                else:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        prev = bytes(line)
        rows.append(prev)
    return width, height, bpp, rows


def pixels_of(rows: list[bytes], bpp: int, rgb: tuple[int, int, int]) -> int:
    needle = re.compile(re.escape(bytes(rgb)))
    return sum(1 for line in rows for m in needle.finditer(line) if m.start() % bpp == 0)


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render(*small_export()), encoding="utf-8")
    return path


def test_chromium_renders_the_report_offline(
    chromium: str, report_file: Path, tmp_path: Path
) -> None:
    dom, hosts = run_chromium(chromium, tmp_path, "--dump-dom", report_file.as_uri())
    assert hosts == set()  # the page requested nothing
    assert (
        "<title>Evidence report 2024-03-01 to 2024-03-10</title>" in dom
    )  # the hostile id did not run
    assert "2024-03-01 to 2024-03-10 (10 days" in dom
    assert "A.8.5</a></td><td>Secure authentication</td>" in dom
    assert FAILING in dom
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert STALE in dom
    assert ASSET in dom
    shot = tmp_path / "report.png"
    _, hosts = run_chromium(
        chromium, tmp_path, "--window-size=1400,3000", f"--screenshot={shot}", report_file.as_uri()
    )
    assert hosts == set()
    width, height, bpp, rows = decode_png(shot.read_bytes())
    assert (width, height) == (1400, 3000)
    white = sum(line.count(b"\xff" * bpp) for line in rows)
    assert 0.03 < 1 - white / (width * height) < 0.7  # ink on a white page, not a blank one
    for status, rgb in COLOURS.items():
        assert pixels_of(rows, bpp, rgb) > 200, status  # the charts drew every status colour


def test_the_trap_sees_a_page_that_would_leak(
    chromium: str, report_file: Path, tmp_path: Path
) -> None:
    leaky = tmp_path / "leaky.html"
    page = report_file.read_text(encoding="utf-8")
    leaky.write_text(
        page.replace("<footer>", '<footer><img src="http://leak.example/pixel.png">'),
        encoding="utf-8",
    )
    _, hosts = run_chromium(chromium, tmp_path, "--dump-dom", leaky.as_uri())
    assert hosts == {"leak.example"}


# ---- in a real bundle --------------------------------------------------------------------------


def test_every_link_in_an_exported_bundle_resolves(tmp_path: Path) -> None:
    """Built from a store by the export: each relative link names a file in the bundle, each
    fragment an element of the page."""
    from annexa.collector.export.bundle import export_bundle
    from tests.support.periods import day_run, engine, open_store

    days = [date(2026, 3, d) for d in range(1, 5)]
    store, signer = open_store(tmp_path)
    try:
        day_run(store, signer, days[0], {"website": True, "data": False})
        day_run(store, signer, days[1], {}, status="denied")
        day_run(store, signer, days[3], {"website": False, "data": False})
        out = tmp_path / "evidence.zip"
        export_bundle(store, signer, engine(), ExportScope(Period(days[0], days[3])), out)
    finally:
        store.close()
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        page = bundle.read("report.html").decode()
    links = Links()
    links.feed(page)
    ids = set(re.findall(r' id="([^"]+)"', page))
    files = {unquote(u) for u in links.urls if not u.startswith("#")}
    fragments = {u[1:] for u in links.urls if u.startswith("#")}
    assert files - names == set()
    assert fragments - ids == set()
    assert {"VERIFY.txt", "gaps.csv", "controls/A.8.3/evaluations.csv"} <= files
    assert any(f.startswith("runs/") and f.endswith(".digest.json") for f in files)
    assert "website" in page and "acme/aws.s3/global" in page  # the failing bucket, the denied unit


def test_a_control_excluded_as_not_applicable_says_so() -> None:
    export = small_export()
    export[1][4].applicable = False
    page = render(*export)
    assert "<td>Use of cryptography (not applicable)</td>" in page
    assert "<td>Secure authentication</td>" in page
