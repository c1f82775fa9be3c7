"""Inline SVG charts for the HTML report: pass / fail / gap per day, and a control x day grid.

Both are plain SVG (no script, no external reference), sized by a ``viewBox`` so they scale to
the page. Consecutive days of a control with the same status and reason are drawn as one cell
with one tooltip, which keeps 93 controls x 366 days small; the per-day detail is in the text
alternatives and the bundle's CSV files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from annexa.collector.export.model import STATUS_ORDER, ControlPeriod, DayStatus

# Status -> (CSS class, colour). Colours are checked for in the rendered screenshot by the tests.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "pass": ("p", "#2e7d32"),
    "fail": ("f", "#c62828"),
    "gap": ("g", "#f0a202"),
    "n/a": ("a", "#90a4ae"),
    "no evidence": ("n", "#d9d9d9"),
    "attached": ("t", "#1565c0"),
    "manual": ("m", "#7e57c2"),
}
UNKNOWN_STYLE = ("n", "#d9d9d9")
CHART_STATUSES = ("fail", "gap", "pass", "other")  # stacked bottom to top: fail, gap, pass, other

LABEL_W = 70.0
PLOT_W = 1100.0
ROW_H = 12.0
AXIS_H = 18.0
BAR_H = 160.0
MAX_TITLED_CELLS = 8000  # grid cells with their own tooltip; past it, one tooltip per row


@dataclass
class DayRun:
    """Consecutive days of one control with the same status and reason."""

    start: date
    end: date
    status: str
    reason: str | None
    days: list[DayStatus]

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


def day_runs(days: list[DayStatus]) -> list[DayRun]:
    """Group consecutive days with the same status and reason."""
    runs: list[DayRun] = []
    for day in days:
        last = runs[-1] if runs else None
        if (
            last is not None
            and last.status == day.status
            and last.reason == day.reason
            and last.end + timedelta(days=1) == day.day
        ):
            last.days.append(day)
            last.end = day.day
        else:
            runs.append(DayRun(day.day, day.day, day.status, day.reason, [day]))
    return runs


def span_text(start: date, end: date) -> str:
    """'2024-01-01' or '2024-01-01 to 2024-01-31 (31 days)'."""
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()} to {end.isoformat()} ({(end - start).days + 1} days)"


def style_of(status: str) -> str:
    return STATUS_STYLE.get(status, UNKNOWN_STYLE)[0]


def svg_css() -> str:
    """The fill rules shared by the charts and the legend."""
    fills = "".join(f".{cls}{{fill:{colour}}}" for cls, colour in STATUS_STYLE.values())
    return fills + ".o{fill:#b0bec5}"


def legend(statuses: tuple[str, ...]) -> str:
    """A legend as HTML: a coloured square and the status name for each status."""
    items = []
    for status in statuses:
        colour = STATUS_STYLE[status][1] if status in STATUS_STYLE else "#b0bec5"
        label = "other (n/a, no evidence)" if status == "other" else status
        items.append(
            f'<li><span class="swatch" style="background:{colour}"></span>{escape(label)}</li>'
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _axis(days: list[date], top: float) -> str:
    """Date labels under a plot: every day for short periods, month starts for long ones."""
    n = len(days)
    cell = PLOT_W / n
    if n <= 31:
        step = max(1, -(-n // 12))
        picks = [(i, d.strftime("%d %b")) for i, d in enumerate(days) if i % step == 0]
    else:
        starts = [(i, d) for i, d in enumerate(days) if i == 0 or d.day == 1]
        step = max(1, -(-len(starts) // 14))
        picks = [(i, d.strftime("%b %Y")) for i, d in starts[::step]]
    labels = "".join(
        f'<text x="{_num(LABEL_W + i * cell)}" y="{_num(top + 12)}">{escape(t)}</text>'
        for i, t in picks
    )
    return f'<g class="axis">{labels}</g>'


def daily_counts(controls: list[ControlPeriod], days: list[date]) -> list[dict[str, int]]:
    """Per day of the period: how many controls with rules were fail, gap, pass or other."""
    counts = [dict.fromkeys(CHART_STATUSES, 0) for _ in days]
    index = {d: i for i, d in enumerate(days)}
    for control in controls:
        if control.rules > 0:
            for entry in control.days:
                i = index.get(entry.day)
                if i is not None:
                    key = entry.status if entry.status in ("fail", "gap", "pass") else "other"
                    counts[i][key] += 1
    return counts


def daily_chart(controls: list[ControlPeriod], days: list[date]) -> str:
    """Stacked bars, one per day: how many controls (with rules) were fail / gap / pass."""
    with_rules = sum(1 for c in controls if c.rules > 0)
    total = max(1, with_rules)
    counts = daily_counts(controls, days)
    cell = PLOT_W / len(days)
    width = cell * 0.85 if len(days) <= 62 else cell
    scale = BAR_H / total
    bars = []
    for i, (day, count) in enumerate(zip(days, counts, strict=True)):
        y = 10.0 + BAR_H
        rects = []
        for status in CHART_STATUSES:
            if count[status]:
                h = count[status] * scale
                y -= h
                cls = "o" if status == "other" else style_of(status)
                rects.append(
                    f'<rect x="{_num(LABEL_W + i * cell)}" y="{_num(y)}" width="{_num(width)}"'
                    f' height="{_num(h)}" class="{cls}"/>'
                )
        title = ", ".join(f"{count[s]} {s}" for s in CHART_STATUSES)
        bars.append(f"<g><title>{day.isoformat()}: {title}</title>{''.join(rects)}</g>")
    height = 10 + BAR_H + AXIS_H
    ticks = "".join(
        f'<text x="{_num(LABEL_W - 6)}" y="{_num(10 + BAR_H - v * scale + 4)}"'
        f' text-anchor="end">{v}</text>'
        f'<line x1="{_num(LABEL_W)}" x2="{_num(LABEL_W + PLOT_W)}"'
        f' y1="{_num(10 + BAR_H - v * scale)}" y2="{_num(10 + BAR_H - v * scale)}"/>'
        for v in sorted({0, total // 2, total})
    )
    return (
        f'<svg class="chart" role="img" aria-labelledby="daily-title daily-desc"'
        f' viewBox="0 0 {_num(LABEL_W + PLOT_W + 10)} {_num(height)}"'
        f' shape-rendering="crispEdges">'
        f'<title id="daily-title">Controls by status, per day</title>'
        f'<desc id="daily-desc">One bar per day of the period; each bar stacks the {with_rules}'
        f" controls that have rules by their status that day: fail, gap, pass, other."
        f" The same counts are in the table below the chart.</desc>"
        f'<g class="grid">{ticks}</g>{"".join(bars)}{_axis(days, 10 + BAR_H)}</svg>'
    )


def _cells(cid: str, runs: list[DayRun], first: date, y: float, cell: float) -> str:
    """A row as one rectangle per run of days, each with its own tooltip."""
    parts = []
    for run in runs:
        x = LABEL_W + (run.start - first).days * cell
        tip = f"{cid} {span_text(run.start, run.end)}: {escape(run.status)}"
        if run.length == 1:
            d = run.days[0]
            tip += f" ({d.passed} pass, {d.failed} fail, {d.gaps} gap)"
        if run.reason:
            tip += f" \u2014 {escape(run.reason)}"
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(run.length * cell)}"'
            f' height="{_num(ROW_H - 2)}" class="{style_of(run.status)}">'
            f"<title>{tip}</title></rect>"
        )
    return "".join(parts)


def _compact_cells(cid: str, runs: list[DayRun], first: date, y: float, cell: float) -> str:
    """A row as one path per status and a single tooltip: for statuses that change so often
    that a tooltip per cell would make the page too large."""
    shapes: dict[str, list[str]] = {}
    days: dict[str, int] = {}
    for run in runs:
        x = LABEL_W + (run.start - first).days * cell
        w = _num(run.length * cell)
        shapes.setdefault(run.status, []).append(
            f"M{_num(x)} {_num(y)}h{w}v{_num(ROW_H - 2)}h-{w}z"
        )
        days[run.status] = days.get(run.status, 0) + run.length
    order = ordered_statuses(set(shapes))
    tip = ", ".join(f"{days[s]} {escape(s)}" for s in order)
    paths = "".join(f'<path class="{style_of(s)}" d="{"".join(shapes[s])}"/>' for s in order)
    return f"<g><title>{cid}: days {tip} (see its section for the dates)</title>{paths}</g>"


def heatmap(controls: list[ControlPeriod], days: list[date]) -> str:
    """One row per control with rules, one cell per day coloured by the day's status.

    Days in a row with the same status and reason share a cell and a tooltip. Past
    :data:`MAX_TITLED_CELLS` cells in all, rows are drawn as paths with one tooltip each, which
    bounds the page for statuses that change every day (93 controls x 366 days).
    """
    rows = [(c, day_runs(c.days)) for c in controls if c.rules > 0]
    compact = sum(len(runs) for _, runs in rows) > MAX_TITLED_CELLS
    draw = _compact_cells if compact else _cells
    cell = PLOT_W / len(days)
    parts = []
    for r, (control, runs) in enumerate(rows):
        y = 4 + r * ROW_H
        cid = escape(control.control.id)
        parts.append(
            f'<a href="#evidence-{cid}"><text x="0" y="{_num(y + ROW_H - 3)}">{cid}</text></a>'
        )
        parts.append(draw(cid, runs, days[0], y, cell))
    height = 4 + len(rows) * ROW_H
    return (
        f'<svg class="chart" role="img" aria-labelledby="grid-title grid-desc"'
        f' viewBox="0 0 {_num(LABEL_W + PLOT_W + 10)} {_num(height + AXIS_H)}"'
        f' shape-rendering="crispEdges">'
        f'<title id="grid-title">Status of each control, per day</title>'
        f'<desc id="grid-desc">One row per control with rules ({len(rows)} rows), one column'
        f" per day; the colour is the control's status that day. The per-control table lists"
        f" the days by status, and each control's section lists the days that were not a"
        f" pass with their reasons.</desc>"
        f"{''.join(parts)}{_axis(days, height)}</svg>"
    )


def ordered_statuses(present: set[str]) -> tuple[str, ...]:
    """The statuses in :data:`STATUS_ORDER`, then any unknown ones, sorted."""
    return tuple(s for s in STATUS_ORDER if s in present) + tuple(
        sorted(present - set(STATUS_ORDER))
    )
