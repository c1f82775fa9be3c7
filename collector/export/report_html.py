"""The bundle's ``report.html``: one self-contained page an auditor can read without tools.

Everything is inline (CSS, SVG; a one-line script only opens collapsed sections for printing), so
the page loads nothing from the network and reads the same offline. Every string that comes from
evidence is escaped. The output depends only on the arguments: the same export gives the same
bytes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from html import escape
from urllib.parse import quote

from annexa.collector.export.model import (
    STATUS_ORDER,
    ControlPeriod,
    EvidenceRow,
    ExportMeta,
    GapEntry,
    RunRef,
)
from annexa.collector.export.report_charts import (
    CHART_STATUSES,
    daily_chart,
    daily_counts,
    day_runs,
    heatmap,
    legend,
    ordered_statuses,
    span_text,
    style_of,
    svg_css,
)
from annexa.collector.inventory import AiAsset, summary

EVALUATION_STATUS = {"pass": "pass", "fail": "fail", "not_applicable": "n/a", "error": "gap"}
MAX_NOT_PASS_RANGES = 40
MAX_GAP_ROWS = 500
MAX_RUNS_OPEN = 12
DASH = "\u2014"
NOTE_SEP = " \u2014 "

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1f2328;
margin:0 auto;padding:16px 24px;max-width:1500px;background:#fff}
h1{font-size:24px;margin:.2em 0}h2{font-size:19px;margin-top:1.6em;border-bottom:2px solid #ddd}
h3{font-size:16px;margin:.3em 0}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.n{text-align:right;white-space:nowrap}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.st{display:inline-block;padding:0 6px;border-radius:3px;font-weight:600;white-space:nowrap}
.st.p{background:#2e7d32;color:#fff}.st.f{background:#c62828;color:#fff}
.st.g{background:#f0a202;color:#000}.st.a{background:#90a4ae;color:#000}
.st.n{background:#d9d9d9;color:#000}.st.m{background:#7e57c2;color:#fff}
.st.t{background:#1565c0;color:#fff}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}dl.meta dt{font-weight:600}
dl.meta dd{margin:0}.cards{display:flex;flex-wrap:wrap;gap:8px;padding:0;list-style:none}
.cards li{border:1px solid #d0d7de;border-radius:6px;padding:6px 12px;min-width:90px}
.cards b{display:block;font-size:22px}
svg.chart{width:100%;height:auto;display:block}svg.chart text{font-size:10px;fill:#333}
svg.chart .grid line{stroke:#e5e5e5}svg.chart a text{fill:#0b57d0}
ul.legend{list-style:none;padding:0;display:flex;gap:16px;flex-wrap:wrap}
.swatch{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
section.control{border-top:1px solid #d0d7de;padding:8px 0}
.note{color:#57606a}nav ol{columns:2}
@media print{details{display:block}body{max-width:none}}
"""

SCRIPT = (
    'addEventListener("beforeprint",()=>'
    'document.querySelectorAll("details").forEach(d=>{d.open=true}))'
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _ts(moment: datetime | None) -> str:
    if moment is None:
        return "\u2014"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _end_status(control: ControlPeriod) -> str:
    """The last day's status; for a control without rules, whether manual evidence covers it."""
    return control.status if control.rules == 0 else control.end_status


def _pill(status: str, label: str | None = None) -> str:
    return f'<span class="st {style_of(status)}">{_e(label or status)}</span>'


def _href(path: str) -> str:
    return _e(quote(path))


def _table(head: list[str], rows: list[str], caption: str = "") -> str:
    cap = f"<caption>{caption}</caption>" if caption else ""
    th = "".join(f"<th>{h}</th>" for h in head)
    return f"<table>{cap}<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _td(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _digest_cell(run: RunRef) -> str:
    """The run digest's SHA-256, linked to its file in the bundle (see VERIFY.txt)."""
    if not (run.digest and run.signature and run.digest_sha256) or run.chain_position is None:
        return f'<span class="mono">{_e(run.digest_sha256 or "not signed")}</span>'
    path = f"runs/{run.chain_position:06d}-{run.id}.digest.json"
    return f'<a class="mono" href="{_href(path)}">{_e(run.digest_sha256)}</a>'


def _header(meta: ExportMeta, days: list[date]) -> str:
    scope = meta.scope
    period = scope.period
    controls = ", ".join(scope.controls) if scope.controls else "all Annex A controls"
    targets = ", ".join(scope.targets) if scope.targets else "all configured targets"
    windows = Counter(meta.freshness_hours.values())
    freshness = "; ".join(
        f"{w} h ({n} rule{'s' if n != 1 else ''})" for w, n in sorted(windows.items())
    )
    digests = "<br>".join(_e(d) for d in meta.ruleset_digests) or "\u2014"
    runs = [
        _td(
            f'<span class="mono">{_e(r.id)}</span>',
            _e(r.trigger),
            _ts(r.started_at),
            _ts(r.finished_at),
            _e(r.status),
            _e(DASH if r.chain_position is None else r.chain_position),
            _digest_cell(r),
            f'<span class="mono">{_e(r.key_id or DASH)}</span>',
        )
        for r in meta.runs
    ]
    head = ["Run", "Trigger", "Started", "Finished", "Status", "Chain position"]
    run_table = _table([*head, "Digest SHA-256", "Signing key id"], runs)
    is_open = " open" if len(runs) <= MAX_RUNS_OPEN else ""
    return f"""<header>
<h1>Evidence report: {_e(meta.catalogue_version)}</h1>
<p class="note">Audit period {period.start.isoformat()} to {period.end.isoformat()}
({len(days)} days, UTC). Produced by annexa, a read-only evidence collector.</p>
<dl class="meta">
<dt>Period</dt><dd>{period.start.isoformat()} to {period.end.isoformat()} ({len(days)} days, \
UTC; evidence counts for the day it was observed)</dd>
<dt>Controls in scope</dt><dd>{_e(controls)}</dd>
<dt>Targets in scope</dt><dd>{_e(targets)}</dd>
<dt>Generated at</dt><dd>{_ts(meta.generated_at)} (the end of the latest run included)</dd>
<dt>Agent version</dt><dd>{_e(meta.agent_version)}</dd>
<dt>Catalogue</dt><dd>{_e(meta.catalogue_version)}</dd>
<dt>Rule set digests</dt><dd class="mono">{digests}</dd>
{f"<dt>Freshness windows</dt><dd>{_e(freshness)}</dd>" if freshness else ""}
<dt>Signing key id</dt><dd class="mono">{_e(meta.key_id)}</dd>
</dl>
<h2 id="verify">How to verify this bundle</h2>
<p>Follow <a href="VERIFY.txt">VERIFY.txt</a> at the top of the bundle; it needs only
<code>sha256sum</code> and <code>openssl</code>. In short: <code>sha256sum -c SHA256SUMS</code>
checks that every file, this report included, is as exported; <code>openssl pkeyutl -verify</code>
checks the Ed25519 signatures on <code>manifest.json</code>, <code>SHA256SUMS</code> and each run
digest with <code>public_key.pem</code>, whose key id must equal the one above and the one your
organisation gave you separately. Each run's signed digest names the digest of the run before it,
so a removed, altered or inserted record or run breaks the chain.</p>
<details id="runs"{is_open}><summary>{len(runs)} run{"s" if len(runs) != 1 else ""} included
</summary>{run_table}</details>
</header>"""


def _summary(controls: list[ControlPeriod], gaps: list[GapEntry], inventory: list[AiAsset]) -> str:
    period = Counter(c.status for c in controls)
    end = Counter(_end_status(c) for c in controls)
    always = {"pass", "fail", "gap", "no evidence", "manual"}
    statuses = ordered_statuses(set(period) | set(end) | always)
    cards = "".join(
        f"<li>{_pill(s)}<b>{period.get(s, 0)}</b>control{'s' if period.get(s, 0) != 1 else ''}</li>"
        for s in statuses
    )
    rows = [_td(_pill(s), f"{period.get(s, 0)}", f"{end.get(s, 0)}") for s in statuses]
    totals = {
        "pass": sum(c.passed for c in controls),
        "fail": sum(c.failed for c in controls),
        "gap": sum(c.gaps for c in controls),
        "n/a": sum(c.not_applicable for c in controls),
    }
    evaluations = ", ".join(f"{n} {s}" for s, n in totals.items())
    return f"""<section id="summary"><h2>Summary</h2>
<p>{len(controls)} controls in scope. A control's status over the period is its worst day:
<b>fail</b> if any evaluation failed, <b>gap</b> if evidence was missing or not fresh (a failure
to collect is never a pass), <b>manual</b> if only documents can evidence it and none is
attached, <b>attached</b> if manual evidence is attached and effective on the period's last day
(the auditor judges the document, annexa does not).</p>
<ul class="cards">{cards}</ul>
{_table(["Status", "Controls over the period", "Controls on the last day"], rows)}
<p>Evaluations in the period: {evaluations}. Gap records: {len(gaps)}.
AI assets in the inventory: {len(inventory)}.</p></section>"""


def _charts(controls: list[ControlPeriod], days: list[date]) -> str:
    counts = [
        (day, tuple(count[s] for s in CHART_STATUSES))
        for day, count in zip(days, daily_counts(controls, days), strict=True)
    ]
    rows: list[str] = []
    start = 0
    for i in range(1, len(counts) + 1):
        if i == len(counts) or counts[i][1] != counts[start][1]:
            numbers = "".join(f'<td class="n">{n}</td>' for n in counts[start][1])
            rows.append(f"<tr><td>{span_text(counts[start][0], counts[i - 1][0])}</td>{numbers}")
            start = i
    table = _table(["Days", *CHART_STATUSES], rows)
    grid_statuses = ordered_statuses({d.status for c in controls if c.rules for d in c.days})
    return f"""<section id="charts"><h2>Status over the period</h2>
<h3>Controls with rules, by status per day</h3>
{daily_chart(controls, days)}{legend(CHART_STATUSES)}
<details><summary>The same counts as a table</summary>{table}</details>
<h3>Each control, day by day</h3>
<p class="note">Hover a cell for the dates, status and reason; click a control id for its
evidence. Controls without rules (documents only) are not drawn.</p>
{heatmap(controls, days)}{legend(grid_statuses or ("pass",))}</section>"""


def _days_by_status(control: ControlPeriod) -> str:
    count = Counter(d.status for d in control.days)
    return ", ".join(f"{count[s]} {_e(s)}" for s in ordered_statuses(set(count)))


def _attachments(control: ControlPeriod) -> str:
    items = [
        f'<li><a href="{_href(a.path)}">{_e(a.file_name)}</a> effective '
        f"{a.effective_from.isoformat()} to "
        f"{a.effective_to.isoformat() if a.effective_to else 'further notice'}"
        f"{NOTE_SEP + _e(a.note) if a.note else ''}"
        f'<br><span class="mono">sha256 {_e(a.sha256)}</span></li>'
        for a in control.attachments
    ]
    return f"<ul>{''.join(items)}</ul>" if items else "none"


def _control_table(controls: list[ControlPeriod]) -> str:
    rows = []
    for c in controls:
        cid = _e(c.control.id)
        expects = _e(c.control.auditor_expects) if c.control.automation != "automated" else ""
        rows.append(
            f'<tr id="control-{cid}"><td><a href="#evidence-{cid}">{cid}</a></td>'
            f"<td>{_e(c.control.title)}{'' if c.applicable else ' (not applicable)'}</td>"
            f"<td>{_e(c.control.automation)}</td>"
            f'<td class="n">{c.rules}</td><td class="n">{c.passed} / {c.failed} / {c.gaps} / '
            f"{c.not_applicable}</td><td>{_ts(c.latest)}</td><td>{_pill(c.status)}</td>"
            f"<td>{_pill(_end_status(c))}</td><td>{_days_by_status(c)}</td>"
            f"<td>{_attachments(c)}</td><td>{expects}</td></tr>"
        )
    head = ["Control", "Title", "Automation", "Rules", "Evaluations pass / fail / gap / n/a"]
    head += ["Latest evidence", "Period", "Last day", "Days by status", "Manual evidence"]
    head += ["What an auditor expects (manual and partial controls)"]
    return f'<section id="controls"><h2>Controls</h2>{_table(head, rows)}</section>'


def _sample_rows(rows: list[EvidenceRow]) -> list[str]:
    out = []
    for r in rows:
        status = EVALUATION_STATUS.get(r.status, "gap")  # anything unknown is a gap, never a pass
        label = f"gap ({r.status})" if status == "gap" else status
        out.append(
            f"<tr><td>{_pill(status, label)}</td><td class=mono>{_e(r.rule_id)}</td>"
            f"<td class=mono>{_e(r.resource_id)}</td><td>{_e(r.account)} / "
            f"{_e(r.region or DASH)}</td><td>{_ts(r.observed_at)}</td><td>{_e(r.reason)}</td>"
            f"<td class=mono>{_e(r.payload_sha256)}</td></tr>"
        )
    return out


def _control_section(control: ControlPeriod, sample: list[EvidenceRow]) -> str:
    c = control.control
    cid = _e(c.id)
    parts = [
        f'<section class="control" id="evidence-{cid}"><h3><a href="#control-{cid}">{cid}</a> '
        f"{_e(c.title)} {_pill(control.status)}</h3>",
        f"<p>{_e(c.automation)} control, {control.rules} rule{'s' if control.rules != 1 else ''}"
        f"; {control.evaluations} evaluations in the period; on the last day "
        f"{_pill(_end_status(control))}; latest evidence {_ts(control.latest)}.</p>",
    ]
    if control.rules or control.evaluations:
        base = f"controls/{c.id}/"
        parts.append(
            f'<p>Full evidence: <a href="{_href(base + "evaluations.csv")}">evaluations.csv</a>'
            f' and <a href="{_href(base + "observations.jsonl")}">observations.jsonl</a>.</p>'
        )
    if c.automation != "automated":
        parts.append(f"<p>An auditor expects: {_e(c.auditor_expects)}</p>")
    if control.attachments:
        parts.append(f"<p>Manual evidence:</p>{_attachments(control)}")
    not_pass = [r for r in day_runs(control.days) if r.status in ("fail", "gap", "no evidence")]
    if control.rules and not_pass:
        items = "".join(
            f"<li>{span_text(r.start, r.end)}: {_pill(r.status)}"
            f"{' ' + _e(r.reason) if r.reason else ''}</li>"
            for r in not_pass[:MAX_NOT_PASS_RANGES]
        )
        hidden = len(not_pass) - MAX_NOT_PASS_RANGES
        extra = f"<li>{hidden} more ranges: see the grid and gaps.csv</li>" if hidden > 0 else ""
        parts.append(f"<p>Days that were not a pass:</p><ul>{items}{extra}</ul>")
    reasons = list(dict.fromkeys(control.gap_reasons))
    if reasons:
        items = "".join(f"<li>{_e(r)}</li>" for r in reasons[:20])
        more = f"<li>{len(reasons) - 20} more in gaps.csv</li>" if len(reasons) > 20 else ""
        parts.append(f"<p>Why evidence is missing:</p><ul>{items}{more}</ul>")
    if sample:
        head = ["Status", "Rule", "Resource", "Account / region", "Observed at", "Reason"]
        caption = (
            f"A sample of {len(sample)} of {control.evaluations} evaluations, failures and gaps"
            " first"
        )
        parts.append(_table([*head, "Payload SHA-256"], _sample_rows(sample), caption))
    elif control.evaluations:
        parts.append(
            f"<p>No sample included: all {control.evaluations} are in the files above.</p>"
        )
    elif control.rules:
        parts.append("<p>No evaluations in the period.</p>")
    parts.append("</section>")
    return "".join(parts)


def _gap_rows(gaps: list[GapEntry]) -> tuple[list[str], int]:
    groups: dict[tuple[str, str, str, str, str], tuple[set[date], set[str]]] = defaultdict(
        lambda: (set(), set())
    )
    for g in gaps:
        days, runs = groups[(g.type, g.control, g.unit, g.status, g.reason)]
        days.add(g.day)
        if g.run_id:
            runs.add(g.run_id)
    entries = []
    for key, (days, runs) in groups.items():
        ordered = sorted(days)
        spans: list[list[date]] = []
        for d in ordered:
            if spans and spans[-1][1] + timedelta(days=1) == d:
                spans[-1][1] = d
            else:
                spans.append([d, d])
        entries.append((ordered[0], key, spans, len(runs)))
    entries.sort(key=lambda e: (e[0], e[1]))
    rows = []
    for _, (kind, control, unit, status, reason), spans, run_count in entries[:MAX_GAP_ROWS]:
        when = ", ".join(span_text(a, b) for a, b in spans[:10])
        when += f", and {len(spans) - 10} more ranges" if len(spans) > 10 else ""
        where = f'<a href="#evidence-{_e(control)}">{_e(control)}</a>' if control else "\u2014"
        rows.append(
            _td(
                when,
                _e(kind),
                where,
                f'<span class="mono">{_e(unit or DASH)}</span>',
                _pill("gap", status),
                _e(reason),
                str(run_count) if run_count else DASH,
            )
        )
    return rows, max(0, len(entries) - MAX_GAP_ROWS)


def _gaps(gaps: list[GapEntry]) -> str:
    rows, more = _gap_rows(gaps)
    head = ["Days", "Type", "Control", "Unit", "Status", "Reason", "Runs"]
    body = _table(head, rows) if rows else "<p>No evidence gaps in the period.</p>"
    extra = f"<p>{more} more groups are listed in gaps.csv.</p>" if more else ""
    return f"""<section id="gaps"><h2>Evidence gaps</h2>
<p>A <b>unit</b> gap is a collection that was denied, failed, interrupted or skipped; a
<b>stale</b> gap is a control-day without fresh evidence. Identical gaps on consecutive days are
shown once; every record is in <a href="gaps.csv">gaps.csv</a>.</p>{body}{extra}</section>"""


def _inventory(inventory: list[AiAsset]) -> str:
    rows = [
        _td(
            _e(a.category),
            _e(a.name),
            f'<span class="mono">{_e(a.kind)}</span>',
            f'<span class="mono">{_e(a.resource_id)}</span>',
            _e(a.account),
            _e(a.region or DASH),
            _ts(a.observed_at),
        )
        for a in inventory
    ]
    head = ["Category", "Name", "Kind", "Resource", "Account", "Region", "Observed at"]
    body = _table(head, rows) if rows else ""
    return f"""<section id="inventory"><h2>AI asset inventory</h2>
<p>{_e(summary(inventory))}. Evidence for A.5.9 (inventory of information and other associated
assets): the models, endpoints, notebooks, guardrails and invocation logging observed.</p>
{body}</section>"""


def render(
    meta: ExportMeta,
    controls: list[ControlPeriod],
    samples: dict[str, list[EvidenceRow]],
    gaps: list[GapEntry],
    inventory: list[AiAsset],
) -> str:
    """The whole report as one self-contained HTML document (deterministic, all text escaped).

    ``controls`` are in catalogue order, each with one :class:`DayStatus` per day of the period;
    ``samples`` maps control ids to a bounded sample of evaluations; ``gaps`` and ``inventory``
    are listed as given (gaps grouped over consecutive days).
    """
    days = meta.scope.period.days()
    period = meta.scope.period
    sections = "".join(_control_section(c, samples.get(c.control.id, [])) for c in controls)
    nav = "".join(
        f'<li><a href="#{anchor}">{title}</a></li>'
        for anchor, title in (
            ("verify", "How to verify this bundle"),
            ("summary", "Summary"),
            ("charts", "Status over the period"),
            ("controls", "Controls"),
            ("evidence", "Evidence per control"),
            ("gaps", "Evidence gaps"),
            ("inventory", "AI asset inventory"),
        )
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence report {period.start.isoformat()} to {period.end.isoformat()}</title>
<style>{CSS}{svg_css()}</style></head>
<body>
{_header(meta, days)}
<nav><ol>{nav}</ol></nav>
{_summary(controls, gaps, inventory)}
{_charts(controls, days)}
{_control_table(controls)}
<section id="evidence"><h2>Evidence per control</h2>{sections}</section>
{_gaps(gaps)}
{_inventory(inventory)}
<footer><p class="note">This page is self-contained and loads nothing from the network.
Status names, in order of severity: {", ".join(STATUS_ORDER)}.</p></footer>
<script>{SCRIPT}</script>
</body></html>
"""
